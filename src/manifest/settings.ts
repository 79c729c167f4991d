/**
 * Per-repository settings: `[workspace.metadata.wasmtime-align]` in a workspace root, or
 * `[package.metadata.wasmtime-align]` in a standalone package. They hold the options that are a property of the
 * repository (which release, which crates to leave alone, how to write requirements); the command line wins.
 */
import { UserError } from '../errors.js';
import { locatedError } from '../discover/config.js';
import { closest } from '../plan/features.js';
import { isTable, keyName, lookup } from './dependencies.js';
import { nodeLocation } from './locate.js';
import type { Manifest } from './read.js';

/** The planning options a repository can set for itself (and a run can give, which wins). */
export interface RepoSettings {
  /** `--to`: `X.Y.Z`, a line `X` / `X.Y`, or `latest`. */
  readonly to?: string;
  /** Crates left exactly as they are: names or globs (`cranelift-*`). */
  readonly exclude?: readonly string[];
  readonly exact?: boolean;
  /** Default true. */
  readonly lift?: boolean;
  readonly allKeys?: boolean;
  readonly dropUnknownFeatures?: boolean;
  readonly applyCrateMigrations?: boolean;
  readonly bumpRustVersion?: boolean;
  readonly allowUnknownVersion?: boolean;
  readonly allowYanked?: boolean;
}

/** Each key as written in the manifest, the setting it sets, and the type its value must have. */
const KEYS = {
  to: ['to', 'string'],
  exclude: ['exclude', 'strings'],
  exact: ['exact', 'boolean'],
  lift: ['lift', 'boolean'],
  'all-keys': ['allKeys', 'boolean'],
  'drop-unknown-features': ['dropUnknownFeatures', 'boolean'],
  'apply-crate-migrations': ['applyCrateMigrations', 'boolean'],
  'bump-rust-version': ['bumpRustVersion', 'boolean'],
  'allow-unknown-version': ['allowUnknownVersion', 'boolean'],
  'allow-yanked': ['allowYanked', 'boolean'],
} as const satisfies Record<string, readonly [keyof RepoSettings, 'string' | 'strings' | 'boolean']>;

/** Where the settings table sits in a root manifest of that kind. */
export function settingsPath(kind: 'workspace' | 'standalone'): readonly string[] {
  return [kind === 'workspace' ? 'workspace' : 'package', 'metadata', 'wasmtime-align'];
}

/** The root's settings (empty when it has none); a key this tool does not know, or a wrong type, is an error. */
export function readSettings(manifest: Manifest, kind: 'workspace' | 'standalone'): RepoSettings {
  const at = settingsPath(kind);
  const table = lookup(manifest.value, at);
  if (table === undefined) return {};
  if (!isTable(table)) throw locatedError(manifest, at, `\`${at.join('.')}\` must be a table`);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(table)) {
    if (!Object.hasOwn(KEYS, key)) {
      const near = closest(key, Object.keys(KEYS));
      throw keyError(
        manifest,
        at,
        key,
        `unknown setting \`${key}\` in [${at.join('.')}]${near ? `; the closest is \`${near}\`` : ''}. Settings: ${Object.keys(KEYS).join(', ')}`,
      );
    }
    const [name, type] = KEYS[key as keyof typeof KEYS];
    const ok =
      type === 'boolean'
        ? typeof value === 'boolean'
        : type === 'string'
          ? typeof value === 'string'
          : Array.isArray(value) && value.every((v) => typeof v === 'string');
    if (!ok) {
      const want = type === 'strings' ? 'an array of strings' : type === 'string' ? 'a string' : 'true or false';
      throw locatedError(manifest, [...at, key], `invalid type: \`${key}\` in [${at.join('.')}] must be ${want}`);
    }
    out[name] = value;
  }
  return out as RepoSettings;
}

/** An error at a key of the settings table (where cargo points for an unknown key), else at its value. */
function keyError(manifest: Manifest, at: readonly string[], key: string, message: string): UserError {
  const table = manifest.ast.body[0]!.body.find((n) => n.type === 'TOMLTable' && n.resolvedKey.join('\0') === at.join('\0'));
  const kv = table?.type === 'TOMLTable' ? table.body.find((k) => k.key.keys.length === 1 && keyName(k.key.keys[0]!) === key) : undefined;
  return kv ? new UserError(message, nodeLocation(manifest, kv)) : locatedError(manifest, [...at, key], message);
}

/** Where a setting is written, for errors about its value (`to = "99"`). */
export function settingError(manifest: Manifest, kind: 'workspace' | 'standalone', key: string, message: string): UserError {
  return locatedError(manifest, [...settingsPath(kind), key], message);
}
