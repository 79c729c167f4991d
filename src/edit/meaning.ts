/**
 * The last check before anything is written: what cargo reads from each package of a root, before and after the
 * plan, differs only as planned. Every dependency (key, package, kind, target, source, optional, default
 * features) and what each `[features]` entry switches on are compared; only family requirements, family
 * features, and what a crate migration does (another crate under a new key, a merge that keeps a dependency
 * required) may change. The written manifests are also read the way cargo checks `[features]`: an item valid
 * before must be valid after. A difference is a bug in the plan: exit 2, nothing written, and a message that says
 * which package and entry, and what would have changed.
 */
import { isDeepStrictEqual } from 'node:util';
import { UserError } from '../errors.js';
import { isTable, packageDependencyTables, workspaceDependencies } from '../manifest/dependencies.js';
import type { Manifest, TomlTable } from '../manifest/read.js';
import type { Change, RootPlan } from '../plan/types.js';
import { usesDefaultFeatures } from '../plan/values.js';
import { plannedValue } from './validate.js';

/** One dependency as cargo reads it, inheritance resolved. */
interface Dependency {
  readonly key: string;
  /** `kind|target`: which table it sits in. */
  readonly table: string;
  readonly package: string;
  readonly requirement: string | undefined;
  readonly optional: boolean;
  readonly defaultFeatures: boolean;
  readonly features: readonly string[];
  /** Every other key (path, git, registry, ...), as JSON: nothing the plan may touch. */
  readonly rest: string;
}

interface PackageView {
  readonly deps: ReadonlyMap<string, Dependency>;
  readonly features: Readonly<Record<string, readonly string[]>>;
}

/** How a crate migration moved a dependency: to another key, and whether it may have become required. */
interface Moved {
  readonly to: string;
  readonly merged: boolean;
}

/** Throws UserError (a bug report) when the plan of `root` would change what cargo reads beyond the plan. */
export function checkMeaning(root: RootPlan, isFamily: (packageName: string) => boolean): void {
  const byManifest = new Map<Manifest, Change[]>();
  for (const c of root.changes) {
    const m = c.kind === 'rewrite' || c.kind === 'remove' ? c.entry.manifest : c.manifest;
    byManifest.set(m, [...(byManifest.get(m) ?? []), c]);
  }
  if (byManifest.size === 0) return;
  const after = (m: Manifest): TomlTable => (byManifest.has(m) ? plannedValue(m, byManifest.get(m)!) : m.value);
  const wsBefore = workspaceDependencies(root.manifest);
  const wsAfterValue = after(root.manifest);
  const wsAfter = isTable(wsAfterValue.workspace) && isTable(wsAfterValue.workspace.dependencies) ? wsAfterValue.workspace.dependencies : {};
  const changedWsKeys = new Set(Object.keys({ ...wsBefore, ...wsAfter }).filter((k) => !isDeepStrictEqual(wsBefore[k], wsAfter[k])));

  for (const m of root.manifests) {
    if (!isTable(m.value.package)) continue;
    // A member whose text does not change reads differently only through a workspace entry that does.
    if (!byManifest.has(m) && !inherits(m.value, changedWsKeys)) continue;
    const moved = movesOf(byManifest.get(m) ?? []);
    const problems = compare(view(m.value, wsBefore), view(after(m), wsAfter), moved, isFamily);
    if (problems.length > 0) {
      throw new UserError(
        `this plan would change what cargo reads beyond what was planned: ${problems.join('; ')}. Nothing was written: this is a bug in wasmtime-align, please report it with this message`,
        { file: m.path },
      );
    }
  }
}

function inherits(value: TomlTable, keys: ReadonlySet<string>): boolean {
  if (keys.size === 0) return false;
  return packageDependencyTables(value).some(({ table }) => Object.entries(table).some(([k, spec]) => keys.has(k) && isTable(spec) && spec.workspace === true));
}

/** Dependency keys a crate migration renamed or merged, by `table|key`. */
function movesOf(changes: readonly Change[]): Map<string, Moved> {
  const out = new Map<string, Moved>();
  for (const c of changes) {
    if ((c.kind !== 'rewrite' && c.kind !== 'remove') || c.entry.table.scope !== 'package') continue;
    const table = tableId(c.entry.path.slice(0, -1));
    if (c.kind === 'rewrite' && c.newKey !== undefined) out.set(`${table}|${c.entry.key}`, { to: c.newKey, merged: false });
    if (c.kind === 'remove') out.set(`${table}|${c.entry.key}`, { to: c.mergedInto, merged: true });
  }
  return out;
}

/** `normal|` or `dev|cfg(unix)`, from a table path (`['target', 'cfg(unix)', 'dev-dependencies']`). */
function tableId(at: readonly string[]): string {
  const kind = at.at(-1)!.replace(/_/g, '-').replace(/^dependencies$/, 'normal').replace(/-dependencies$/, '');
  return `${kind}|${at[0] === 'target' ? at[1] : ''}`;
}

function view(value: TomlTable, ws: TomlTable): PackageView {
  const deps = new Map<string, Dependency>();
  for (const { at, table } of packageDependencyTables(value)) {
    const id = tableId(at);
    for (const [key, spec] of Object.entries(table)) deps.set(`${id}|${key}`, dependency(key, id, spec, ws));
  }
  const features: Record<string, readonly string[]> = {};
  if (isTable(value.features)) {
    for (const [name, list] of Object.entries(value.features)) features[name] = Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  }
  return { deps, features };
}

function dependency(key: string, table: string, spec: unknown, ws: TomlTable): Dependency {
  const own: TomlTable = typeof spec === 'string' ? { version: spec } : isTable(spec) ? spec : {};
  const inherited = own.workspace === true ? ws[key] : undefined;
  const base: TomlTable = typeof inherited === 'string' ? { version: inherited } : isTable(inherited) ? inherited : {};
  const from = own.workspace === true ? base : own;
  const list = (t: TomlTable): string[] => (Array.isArray(t.features) ? t.features.filter((x): x is string => typeof x === 'string') : []);
  const restOf = (t: TomlTable): Record<string, unknown> =>
    Object.fromEntries(Object.entries(t).filter(([k]) => !['version', 'package', 'features', 'optional', 'default-features', 'default_features', 'workspace'].includes(k)));
  return {
    key,
    table,
    package: typeof from.package === 'string' ? from.package : key,
    requirement: typeof from.version === 'string' ? from.version : undefined,
    optional: own.optional === true,
    defaultFeatures: own.workspace === true ? usesDefaultFeatures(own, base) : usesDefaultFeatures(own),
    features: [...new Set([...(own.workspace === true ? list(base) : []), ...list(own)])].sort(),
    rest: JSON.stringify(sorted({ ...restOf(from), ...(own.workspace === true ? restOf(own) : {}) })),
  };
}

function sorted(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function compare(before: PackageView, after: PackageView, moved: ReadonlyMap<string, Moved>, isFamily: (p: string) => boolean): string[] {
  const problems: string[] = [];
  const matched = new Set<string>();
  const renamed = new Map<string, string>(); // key before -> key after
  const madeRequired = new Set<string>();
  for (const [slot, b] of before.deps) {
    const move = moved.get(slot);
    const afterSlot = move ? `${b.table}|${move.to}` : slot;
    const a = after.deps.get(afterSlot);
    const what = `\`${b.key}\` in [${b.table.replace(/\|$/, '').replace('|', ' ')}]`;
    if (a === undefined) {
      problems.push(`${what} would disappear`);
      continue;
    }
    matched.add(afterSlot);
    if (move) renamed.set(b.key, move.to);
    const family = isFamily(b.package) || isFamily(a.package);
    if (!family) {
      if (!isDeepStrictEqual(b, a)) problems.push(`${what} (${b.package}, not of the wasmtime family) would change`);
      continue;
    }
    if (a.rest !== b.rest) problems.push(`${what} would change its source (${b.rest} -> ${a.rest})`);
    if (a.package !== b.package && !move) problems.push(`${what} would name ${a.package} instead of ${b.package}`);
    if (a.defaultFeatures !== b.defaultFeatures) problems.push(`${what} would ${a.defaultFeatures ? 'enable' : 'disable'} ${b.package}'s default features`);
    if (a.optional !== b.optional) {
      // A merge keeps the dependency required if any part was: the only change of `optional` a plan makes.
      const merge = move?.merged === true || [...moved.values()].some((m) => m.merged && m.to === b.key);
      if (merge && !a.optional) madeRequired.add(a.key);
      else problems.push(`${what} would become ${a.optional ? 'optional' : 'required'}`);
    }
  }
  for (const [slot, a] of after.deps) {
    if (matched.has(slot)) continue;
    // The entry another was merged into was matched under its own slot; a new slot is new.
    if (!before.deps.has(slot)) problems.push(`\`${a.key}\` would appear in [${a.table.replace(/\|$/, '').replace('|', ' ')}]`);
  }
  // Dependency features an entry builds now that it did not before (family features may be renamed or added).
  const gainedAlways = new Map<string, string>(); // feature -> the key that builds it
  for (const [slot, a] of after.deps) {
    if (!isFamily(a.package)) continue;
    const beforeSlot = [...moved.entries()].find(([, m]) => `${a.table}|${m.to}` === slot && !m.merged)?.[0] ?? slot;
    const b = before.deps.get(beforeSlot);
    for (const f of a.features) if (!b?.features.includes(f)) gainedAlways.set(f, a.key);
  }
  problems.push(...compareFeatures(before, after, renamed, madeRequired, gainedAlways, isFamily));
  return problems;
}

/**
 * `[features]`: the same names; each switches on the same optional dependencies (followed through crate
 * migrations; a dependency a merge made required is always on); and no item cargo accepted before is one it
 * rejects after.
 */
function compareFeatures(
  before: PackageView,
  after: PackageView,
  renamed: ReadonlyMap<string, string>,
  madeRequired: ReadonlySet<string>,
  gainedAlways: ReadonlyMap<string, string>,
  isFamily: (p: string) => boolean,
): string[] {
  const problems: string[] = [];
  const names = new Set([...Object.keys(before.features), ...Object.keys(after.features)]);
  const enabledBefore = enables(before);
  const enabledAfter = enables(after);
  const activatedBefore = activations(before, isFamily);
  const activatedAfter = activations(after, isFamily);
  const invalidBefore = invalidItems(before);
  const invalidAfter = invalidItems(after);
  for (const name of names) {
    if (!(name in before.features) || !(name in after.features)) {
      problems.push(`feature \`${name}\` would ${name in before.features ? 'disappear' : 'appear'}`);
      continue;
    }
    const want = [...(enabledBefore.get(name) ?? [])].map((k) => renamed.get(k) ?? k).filter((k) => !madeRequired.has(k));
    const got = enabledAfter.get(name) ?? new Set<string>();
    const lost = want.filter((k) => !got.has(k));
    const actBefore = activatedBefore.get(name) ?? [];
    const actAfter = activatedAfter.get(name) ?? [];
    // A family feature that moved to another crate (wasmtime-wasi `sync` -> wasi-common): the item naming it
    // there may switch that crate on, as the item naming the old crate did for it.
    const movedTo = new Set(actAfter.filter((a) => actBefore.some((b) => b.feature === a.feature && (renamed.get(b.key) ?? b.key) !== a.key)).map((a) => a.key));
    const gained = [...got].filter((k) => !want.includes(k) && !movedTo.has(k));
    // A dependency feature this feature switched on must not become one an entry always builds instead.
    for (const b of actBefore) {
      const key = gainedAlways.get(b.feature);
      if (key !== undefined && !actAfter.some((a) => a.feature === b.feature)) {
        problems.push(`feature \`${name}\` would no longer switch on \`${b.key}/${b.feature}\`, and \`${key}\` would build \`${b.feature}\` always`);
      }
    }
    if (lost.length > 0) problems.push(`feature \`${name}\` would no longer switch on ${lost.map((k) => `\`${k}\``).join(', ')}`);
    if (gained.length > 0) problems.push(`feature \`${name}\` would newly switch on ${gained.map((k) => `\`${k}\``).join(', ')}`);
    for (const item of invalidAfter.get(name) ?? []) {
      if (!(invalidBefore.get(name) ?? []).some((b) => b === item || renameItem(b, renamed) === item)) problems.push(`\`${item}\` in feature \`${name}\` would be rejected by cargo`);
    }
  }
  return problems;
}

function renameItem(item: string, renamed: ReadonlyMap<string, string>): string {
  return item.replace(/^(dep:)?([^/?]+)/, (all, dep: string | undefined, name: string) => `${dep ?? ''}${renamed.get(name) ?? name}`);
}

function optionalKeys(v: PackageView): Set<string> {
  return new Set([...v.deps.values()].filter((d) => d.optional).map((d) => d.key));
}

/** Per feature, the optional dependencies it switches on, through other features too. */
function enables(v: PackageView): Map<string, Set<string>> {
  const optional = optionalKeys(v);
  const direct = (name: string): { deps: string[]; features: string[] } => {
    const deps: string[] = [];
    const features: string[] = [];
    for (const item of v.features[name] ?? []) {
      const m = /^(dep:)?([^/?]+)(\?)?(\/.*)?$/.exec(item);
      if (!m) continue;
      const [, dep, x, weak, slash] = m;
      if (dep !== undefined || (slash === undefined && !(x! in v.features))) {
        if (optional.has(x!)) deps.push(x!);
      } else if (slash !== undefined) {
        // `x/f` switches x on; the weak `x?/f` does not.
        if (weak === undefined && optional.has(x!)) deps.push(x!);
      } else features.push(x!);
    }
    return { deps, features };
  };
  const out = new Map<string, Set<string>>();
  for (const name of Object.keys(v.features)) {
    const seen = new Set<string>([name]);
    const deps = new Set<string>();
    for (const queue = [name]; queue.length > 0; ) {
      const d = direct(queue.pop()!);
      for (const x of d.deps) deps.add(x);
      for (const f of d.features.filter((f) => !seen.has(f))) {
        seen.add(f);
        queue.push(f);
      }
    }
    out.set(name, deps);
  }
  return out;
}

/**
 * Per feature, the family dependency features it switches on (`x/f`, `x?/f`), through other features too. Only
 * the feature's name and the key are kept: a rule may rename the feature, a crate migration the key.
 */
function activations(v: PackageView, isFamily: (p: string) => boolean): Map<string, { key: string; feature: string }[]> {
  const family = new Set([...v.deps.values()].filter((d) => isFamily(d.package)).map((d) => d.key));
  const out = new Map<string, { key: string; feature: string }[]>();
  for (const name of Object.keys(v.features)) {
    const seen = new Set<string>([name]);
    const list: { key: string; feature: string }[] = [];
    for (const queue = [name]; queue.length > 0; ) {
      for (const item of v.features[queue.pop()!] ?? []) {
        const m = /^([^/?:]+)\??\/(.+)$/.exec(item);
        if (m) {
          if (family.has(m[1]!)) list.push({ key: m[1]!, feature: m[2]! });
        } else if (item in v.features && !seen.has(item)) {
          seen.add(item);
          queue.push(item);
        }
      }
    }
    out.set(name, list);
  }
  return out;
}

/** Items cargo rejects (`dep:x` of a dependency that is not optional, `x?/f` likewise, `x` naming nothing, ...). */
function invalidItems(v: PackageView): Map<string, string[]> {
  const optional = optionalKeys(v);
  const keys = new Set([...v.deps.values()].map((d) => d.key));
  const depSyntax = new Set(Object.values(v.features).flat().filter((x) => x.startsWith('dep:')).map((x) => x.slice(4)));
  const out = new Map<string, string[]>();
  for (const [name, items] of Object.entries(v.features)) {
    const bad = items.filter((item) => {
      const m = /^(dep:)?([^/?]+)(\?)?(\/.+)?$/.exec(item);
      if (!m) return true;
      const [, dep, x, weak, slash] = m;
      if (dep !== undefined) return !optional.has(x!) || slash !== undefined;
      if (slash !== undefined) return weak !== undefined ? !optional.has(x!) : !keys.has(x!) && !(x! in v.features);
      return !(x! in v.features) && !(optional.has(x!) && !depSyntax.has(x!));
    });
    if (bad.length > 0) out.set(name, bad);
  }
  return out;
}
