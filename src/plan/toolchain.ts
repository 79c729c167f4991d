import * as fs from 'node:fs';
import * as path from 'node:path';
import * as semver from '../semver.js';
import { getStaticTOMLValue, type AST } from 'toml-eslint-parser';
import type { Root } from '../discover/index.js';
import type { ReleaseData } from '../family/release-data.js';
import { keyName, lookup } from '../manifest/dependencies.js';
import { nodeLocation } from '../manifest/locate.js';
import { parseToml, type Manifest, type TomlTable } from '../manifest/read.js';
import type { Finding, RewriteString, Target } from './types.js';
import { familyBuilders, inheritsRustVersion, isUnpublished } from './family-build.js';
import { packageName } from '../discover/config.js';

/** Edition 2024 needs Rust 1.85. */
const EDITION_2024_RUST = '1.85.0';

/**
 * The chosen release's minimum Rust version against the workspace's `rust-version` fields and its
 * rust-toolchain file; edition 2024 against the toolchain file. Warnings, and with --bump-rust-version,
 * format-preserving raises of the `rust-version` fields.
 */
export function toolchainFindings(root: Root, manifests: readonly Manifest[], target: Target, data: ReleaseData, bump: boolean, excluded: readonly string[] = []): { findings: Finding[]; changes: RewriteString[] } {
  const findings: Finding[] = [];
  const changes: RewriteString[] = [];
  const info = target.release === null ? undefined : data.msrvInfo(target.release);
  const msrv = info?.rustVersion;
  const msrvText = msrv?.replace(/\.0$/, '');
  // A release whose own minimum no source states: the newest known earlier one, and the warning says so.
  const whose = info === undefined || info.own ? '' : ` (${target.release}'s own minimum is not in the data; ${info.rustVersion} is ${info.release}'s)`;
  if (msrv !== undefined) {
    // Only packages whose build reaches the family count (family-build.ts; doctor uses the same rule).
    const names = new Set(data.familyNames());
    for (const x of excluded) names.delete(x);
    // Computed when a field is below the minimum: on a monorepo whose fields are all recent it is never needed.
    let known: ReturnType<typeof familyBuilders> | undefined;
    const builders = { get: (p: Manifest) => (known ??= familyBuilders(root.manifest, manifests, (c) => names.has(c))).get(p) };
    for (const m of manifests) {
      for (const path of [['package', 'rust-version'], ['workspace', 'package', 'rust-version']]) {
        // The value first: only a field that is too low needs the syntax tree.
        const text = lookup(m.value, path);
        const have = typeof text === 'string' ? rustVersion(text) : undefined;
        if (!have || semver.gte(have, msrv)) continue;
        // Whose build the field governs: the package's own, or those of the packages inheriting it.
        const shared = path[0] === 'workspace';
        const governed = shared ? manifests.filter((p) => inheritsRustVersion(p)) : [m];
        const needing = governed.filter((p) => builders.get(p) === 'build');
        const devOnly = governed.filter((p) => builders.get(p) === 'dev');
        if (needing.length === 0 && devOnly.length === 0) continue;
        const node = stringNode(m, path);
        if (!node) continue;
        const loc = nodeLocation(m, node);
        const written = String(node.value);
        const below = `\`rust-version = "${written}"\` is below ${msrvText}, the minimum Rust version of wasmtime ${target.release}${whose}`;
        // A shared field is also the declared Rust of every published package inheriting it: it is raised for a
        // published package that builds the family, not for unpublished ones alone (nobody builds those from a
        // registry, and cargo refuses an older Rust for them anyway, naming the family crate's rust-version).
        const published = governed.filter((p) => !isUnpublished(p, root.manifest));
        const unpublishedOnly = shared && needing.length > 0 && published.length > 0 && !needing.some((p) => published.includes(p));
        if (needing.length === 0) {
          const who = shared ? `the packages inheriting it that use the family (${listNames(devOnly)}) use it only as a dev-dependency: their` : 'the package uses the family only as a dev-dependency: its';
          findings.push({ level: 'note', ...loc, message: `${below}, but ${who} tests, examples and benches need Rust ${msrvText}, ${shared ? 'their' : 'its'} consumers do not; not raised` });
        } else if (unpublishedOnly) {
          findings.push({ level: 'note', ...loc, message: `${below}, which ${listNames(needing)} (publish = false) ${inherit(needing)}; not raised, as ${published.length} published ${published.length === 1 ? 'package inherits' : 'packages inherit'} it too without building the family: give ${needing.length === 1 ? 'that package its' : 'those packages their'} own rust-version` });
        } else if (bump) {
          const after = sameShape(written, msrv);
          changes.push({ kind: 'string', manifest: m, path, node, after, reasons: ['rust-version'] });
          findings.push({ level: 'note', ...loc, message: `\`rust-version\` raised from ${written} to ${after}, the minimum Rust version of wasmtime ${target.release}${whose}${shared ? ` (for ${listNames(needing)}, which ${inherit(needing)} it)` : ''}` });
        } else {
          findings.push({ level: 'warning', ...loc, message: `${below}${shared ? ` (inherited by ${listNames(needing)}, which ${needing.length === 1 ? 'builds' : 'build'} it)` : ''} (--bump-rust-version raises it)` });
        }
      }
    }
  }
  const toolchain = findToolchain(path.dirname(root.manifest.path));
  if (toolchain?.version) {
    if (msrv !== undefined && semver.lt(toolchain.version, msrv)) {
      findings.push({ level: 'warning', file: toolchain.file, message: `the toolchain file pins ${pinned(toolchain.channel, toolchain.version)}, below ${msrvText}, the minimum Rust version of wasmtime ${target.release}${whose}` });
    }
    const edition2024 = manifests.filter((m) => editionOf(m, root.manifest) === '2024');
    if (edition2024.length > 0 && semver.lt(toolchain.version, EDITION_2024_RUST)) {
      findings.push({
        level: 'warning',
        file: toolchain.file,
        message: `the toolchain file pins ${pinned(toolchain.channel, toolchain.version)}, but ${edition2024.length} ${edition2024.length === 1 ? 'member uses' : 'members use'} edition 2024, which needs Rust 1.85`,
      });
    }
  }
  return { findings, changes };
}

/** The string value node at a document path (`package.rust-version`), in any of TOML's spellings. */
function stringNode(m: Manifest, path: readonly string[]): AST.TOMLValue | undefined {
  if (typeof lookup(m.value, path) !== 'string') return undefined;
  for (const top of m.ast.body) {
    for (const node of top.body) {
      const kvs = node.type === 'TOMLKeyValue' ? [{ prefix: [] as (string | number)[], kv: node }] : node.body.map((kv) => ({ prefix: node.resolvedKey, kv }));
      for (const { prefix, kv } of kvs) {
        const full = [...prefix, ...kv.key.keys.map(keyName)];
        if (full.length === path.length && full.every((k, i) => k === path[i]) && kv.value.type === 'TOMLValue') return kv.value;
      }
    }
  }
  return undefined;
}

function editionOf(m: Manifest, rootManifest: Manifest): string | undefined {
  const own = lookup(m.value, ['package', 'edition']);
  if (typeof own === 'string') return own;
  if (typeof own === 'object' && own !== null && (own as Record<string, unknown>).workspace === true) {
    const ws = lookup(rootManifest.value, ['workspace', 'package', 'edition']);
    return typeof ws === 'string' ? ws : undefined;
  }
  return undefined;
}

/** `1.70` -> 1.70.0; anything else (a channel name, garbage) is not a version. */
function rustVersion(text: string): semver.SemVer | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text.trim());
  return m ? new semver.SemVer(`${m[1]}.${m[2]}.${m[3] ?? '0'}`) : undefined;
}

/** `1.86.0` written in the shape of `written`: `1.85` -> `1.86`, `1.85.0` -> `1.86.0` (a patch is never dropped). */
function sameShape(written: string, msrv: string): string {
  const v = new semver.SemVer(msrv);
  return written.trim().split('.').length >= 3 || v.patch !== 0 ? `${v.major}.${v.minor}.${v.patch}` : `${v.major}.${v.minor}`;
}

function inherit(ms: readonly Manifest[]): string {
  return ms.length === 1 ? 'inherits' : 'inherit';
}

/** Package names for a message: up to three, then a count. */
function listNames(ms: readonly Manifest[]): string {
  const names = ms.map((m) => packageName(m) ?? m.path).sort();
  return names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
}

/** `Rust 1.91.1` for a channel that is a version; `nightly-2023-04-15 (Rust 1.70)` for one that leads to one. */
function pinned(channel: string, version: semver.SemVer): string {
  return /^\d+\.\d+(\.\d+)?$/.test(channel) ? `Rust ${channel}` : `${channel} (Rust ${shortVersion(version)})`;
}

function shortVersion(v: semver.SemVer): string {
  return v.patch === 0 ? `${v.major}.${v.minor}` : v.version;
}

interface Toolchain {
  readonly file: string;
  readonly channel: string;
  /** The Rust version the channel pins, if it pins one (a nightly's date is read as the version it led to). */
  readonly version: semver.SemVer | undefined;
}

/** rustup's search: `rust-toolchain.toml` or `rust-toolchain` in the directory or the nearest ancestor. */
export function findToolchain(dir: string): Toolchain | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    for (const name of ['rust-toolchain.toml', 'rust-toolchain']) {
      const file = path.join(d, name);
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      const channel = channelOf(file, text);
      return channel === undefined ? undefined : { file, channel, version: channelVersion(channel) };
    }
    if (path.dirname(d) === d) return undefined;
  }
}

function channelOf(file: string, text: string): string | undefined {
  const trimmed = text.trim();
  if (/^[\w.-]+$/.test(trimmed)) return trimmed; // the legacy one-line form
  try {
    const value = lookup(getStaticTOMLValue(parseToml(file, text)) as TomlTable, ['toolchain', 'channel']);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `1.80`, `1.80.0`, `1.80.0-x86_64-unknown-linux-gnu` pin a version; `nightly-2023-04-15` pins the version that
 * nightly became (a release every six weeks since 1.0 on 2015-05-15). `stable`, `beta`, `nightly` pin nothing.
 */
function channelVersion(channel: string): semver.SemVer | undefined {
  const v = /^(\d+\.\d+(?:\.\d+)?)/.exec(channel);
  if (v) return rustVersion(v[1]!);
  const nightly = /^(?:nightly|beta)-(\d{4})-(\d{2})-(\d{2})/.exec(channel);
  if (!nightly) return undefined;
  const days = (Date.UTC(+nightly[1]!, +nightly[2]! - 1, +nightly[3]!) - Date.UTC(2015, 4, 15)) / 86_400_000;
  return new semver.SemVer(`1.${Math.floor(days / 42) + 2}.0`);
}
