import { isDeepStrictEqual } from 'node:util';
import type { DependencyEntry } from '../manifest/dependencies.js';
import type { Manifest, TomlTable } from '../manifest/read.js';
import { requirementText, type Candidate } from './target.js';
import type { Changes } from './changes.js';
import type { ChangeReason, EntryValue } from './types.js';
import { featuresOf, ownDefaultFeatures, sameText, setDefaultFeatures, usesDefaultFeatures, withVersion } from './values.js';
import { sameKey } from './util.js';

/**
 * Keys that keep their meaning next to `workspace = true` (cargo-rules.md section 1), plus `version` and
 * `package`, which move to the workspace entry. Cargo silently ignores any other key there, so an entry that
 * has one is not lifted.
 */
const MEMBER_KEYS = new Set(['features', 'optional', 'default-features', 'default_features']);
const MOVED_KEYS = new Set(['version', 'package']);

/** Why this member entry cannot inherit the workspace entry for its key, or undefined when it can. */
export function isLiftable(entry: DependencyEntry, ws: DependencyEntry | undefined, secondLines: ReadonlySet<DependencyEntry>): string | undefined {
  const value = entry.value;
  if (typeof value === 'object') {
    const extra = Object.keys(value).filter((k) => !MEMBER_KEYS.has(k) && !MOVED_KEYS.has(k));
    if (extra.length > 0) {
      return `it sets ${extra.map((k) => `\`${k}\``).join(', ')}, which cargo would ignore next to \`workspace = true\``;
    }
    if (entry.table.scope === 'package' && entry.table.kind === 'dev' && value.optional === true) {
      return 'dev-dependencies cannot be optional';
    }
  }
  if (!ws) return undefined;
  if (secondLines.has(ws)) return `the workspace entry \`${ws.key}\` is a second line kept as it is`;
  if (ws.source !== 'registry') return `the workspace entry \`${ws.key}\` is a ${ws.source} dependency`;
  if (ws.package !== entry.package) return `the workspace entry \`${ws.key}\` is the crate ${ws.package}`;
  if (typeof ws.value === 'object') {
    const wsExtra = Object.keys(ws.value).filter((k) => !['version', 'package', 'features', 'default-features', 'default_features'].includes(k));
    if (wsExtra.length > 0) return `the workspace entry \`${ws.key}\` sets ${wsExtra.map((k) => `\`${k}\``).join(', ')}`;
    const own = new Set(featuresOf(value));
    const missing = featuresOf(ws.value).filter((f) => !own.has(f));
    if (missing.length > 0) {
      return `the workspace entry \`${ws.key}\` enables ${missing.map((f) => `\`${f}\``).join(', ')}, which this member does not`;
    }
  }
  return undefined;
}

/** The member's entry once it inherits: `workspace = true` plus its own features, optional and default-features. */
export function inheritedValue(value: EntryValue, defaultFeaturesTrue: boolean): TomlTable {
  const after: TomlTable = { workspace: true };
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) if (MEMBER_KEYS.has(k)) after[k] = v;
  }
  if (defaultFeaturesTrue) {
    if ('default_features' in after && !('default-features' in after)) after.default_features = true;
    else after['default-features'] = true;
  }
  return after;
}

/**
 * Lift one workspace key. The default-features rule of cargo-rules.md section 2: if any inheriting member turns
 * default features off, the workspace entry gets `default-features = false` and every member that used defaults
 * gets `default-features = true`; otherwise the workspace entry carries no such key.
 */
export function planLift(
  key: string,
  liftable: readonly Candidate[],
  ws: DependencyEntry | undefined,
  memberEntries: readonly DependencyEntry[],
  requirement: string,
  changes: Changes,
  rootManifest: Manifest,
): void {
  const wsDf = ws ? ownDefaultFeatures(ws.value) : undefined;
  const inheriting = memberEntries.filter((e) => e.source === 'inherited' && e.key === key);
  // What each inheriting member gets today.
  const inheritedUsesDefaults = (e: DependencyEntry): boolean => usesDefaultFeatures(e.value, ws?.value ?? {});
  // A lifted entry may already carry planned changes (a crate migration merged a feature into it).
  const planned = (e: DependencyEntry): EntryValue => changes.valueOf(e);
  const liftedUsesDefaults = (c: Candidate): boolean => usesDefaultFeatures(planned(c.entry));
  const anyOff = liftable.some((c) => !liftedUsesDefaults(c)) || inheriting.some((e) => !inheritedUsesDefaults(e));
  const finalWsDf = anyOff ? false : wsDf;

  for (const c of liftable) {
    const needsTrue = finalWsDf === false && liftedUsesDefaults(c);
    changes.set(c.entry, inheritedValue(planned(c.entry), needsTrue), 'lift');
  }
  if (finalWsDf === false) {
    for (const e of inheriting) {
      if (inheritedUsesDefaults(e) && ownDefaultFeatures(e.value) !== true) {
        changes.set(e, setDefaultFeatures(e.value, true), 'default-features');
      }
    }
  }

  const pkg = liftable[0]!.entry.package;
  if (ws) {
    let after = withVersion(ws.value, requirement);
    if (finalWsDf === false && wsDf !== false) after = setDefaultFeatures(after, false);
    // `default_features` on a workspace entry breaks edition-2024 members (cargo-rules.md section 3).
    if (typeof after === 'object' && 'default_features' in after && !('default-features' in after)) {
      const { default_features: df, ...rest } = after;
      after = { ...rest, 'default-features': df };
    }
    const reasons: ChangeReason[] = [];
    if (!sameText(requirementText(ws), requirement)) reasons.push('align');
    if (!isDeepStrictEqual(after, withVersion(ws.value, requirement))) reasons.push('default-features');
    for (const r of reasons) changes.set(ws, after, r);
    return;
  }
  let value: EntryValue = requirement;
  if (pkg !== key || finalWsDf === false) {
    const table: TomlTable = { version: requirement };
    if (pkg !== key) table.package = pkg;
    if (finalWsDf === false) table['default-features'] = false;
    value = table;
  }
  changes.add(rootManifest, key, value);
}

/** Why no new entry can be added to this root's `[workspace.dependencies]`, if anything prevents it. */
export function addBlockerOf(rootManifest: Manifest, wsByKey: ReadonlyMap<string, DependencyEntry>): string | undefined {
  const tables = rootManifest.ast.body[0]!.body.filter((n) => n.type === 'TOMLTable');
  if (tables.some((t) => sameKey(t.resolvedKey, ['workspace', 'dependencies']))) return undefined;
  const workspace = rootManifest.value.workspace;
  const declared = typeof workspace === 'object' && workspace !== null && 'dependencies' in workspace;
  // Only `[workspace.dependencies.x]` sub-tables leave room for a `[workspace.dependencies]` header.
  if (declared && (wsByKey.size === 0 || [...wsByKey.values()].some((e) => e.style !== 'subtable'))) {
    return '[workspace.dependencies] is written as dotted keys or an inline table, which this tool does not extend';
  }
  if (!tables.some((t) => sameKey(t.resolvedKey, ['workspace']))) {
    return 'the root declares `workspace` without a [workspace] table header, so no [workspace.dependencies] table can be placed after it';
  }
  return undefined;
}
