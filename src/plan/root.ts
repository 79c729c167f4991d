import { isDeepStrictEqual } from 'node:util';
import semver from 'semver';
import { UserError } from '../errors.js';
import type { Root } from '../discover/index.js';
import { dependencyEntries, tableLabel, type DependencyEntry } from '../manifest/dependencies.js';
import { entryLocation, valueLocation } from '../manifest/locate.js';
import type { Manifest, TomlTable } from '../manifest/read.js';
import { parseRequirement, sameRequirement } from '../manifest/requirement.js';
import { familyCrate } from '../family/crates.js';
import { candidateOf, chooseTarget, requirementText, type Candidate } from './target.js';
import { inheritedValue, isLiftable, ownDefaultFeatures } from './lift.js';
import type { Change, ChangeReason, EntryValue, Finding, RootPlan, Target } from './types.js';

export interface PlanOptions {
  /** The release to align to; the newest already requested when absent. */
  readonly to?: string;
  /** Write `=X.Y.Z`. */
  readonly exact: boolean;
  /** Move the family into `[workspace.dependencies]`; false aligns versions where they stand. */
  readonly lift: boolean;
  /** Also align renamed second copies of a crate (an LTS line kept on purpose). */
  readonly allKeys: boolean;
}

/** Plans one workspace or standalone package. Pure: reads the parsed manifests, returns changes. */
export function planRoot(root: Root, opts: PlanOptions): RootPlan {
  const manifests = root.kind === 'workspace' ? uniqueManifests([root.manifest, ...root.members]) : [root.manifest];
  const entries = manifests.flatMap((m) => dependencyEntries(m));
  const wsByKey = new Map<string, DependencyEntry>();
  for (const e of entries) {
    if (e.table.scope === 'workspace' && e.manifest === root.manifest) wsByKey.set(e.key, e);
  }
  const workspaceEntries = [...wsByKey.values()];
  const memberEntries = entries.filter((e) => e.table.scope === 'package');
  // An inherited entry's crate is named by the workspace entry it inherits.
  const packageOf = (e: DependencyEntry): string =>
    e.source === 'inherited' ? (wsByKey.get(e.key)?.package ?? e.key) : e.package;
  const isFamily = (e: DependencyEntry): boolean => familyCrate(packageOf(e)) !== undefined;

  const findings: Finding[] = [];
  const familyEntries = [...workspaceEntries, ...memberEntries].filter(isFamily);
  for (const e of familyEntries) {
    if (e.source === 'path' || e.source === 'git') {
      const where = typeof e.value === 'object' ? String(e.source === 'path' ? e.value.path : e.value.git) : '';
      findings.push(note(e, `\`${e.key}\` in [${tableLabel(e.table)}] is a ${e.source} dependency (${where}): left as it is`));
    }
  }

  // Renamed copies of a crate next to the crate itself may be a deliberate second line; they do not choose the
  // target, and they are kept where they do not already name it (so a second run decides the same).
  const maybeSecond = opts.allKeys ? new Set<string>() : renamedCopyKeys(familyEntries, packageOf);
  const registry: Candidate[] = [];
  for (const c of familyEntries.filter((e) => e.source === 'registry').map(candidateOf)) {
    // Cargo checks workspace entries only when used; one without any source is left for cargo to judge.
    if (c.requirement === undefined && c.entry.table.scope === 'workspace') {
      findings.push(note(c.entry, `\`${c.entry.key}\` in [workspace.dependencies] has no version: left as it is`));
    } else registry.push(c);
  }
  const target = chooseTarget(
    registry.filter((c) => !maybeSecond.has(c.entry.key)),
    opts,
  ) ?? (registry.length > 0 ? chooseTarget(registry, opts) : undefined);
  const members = root.kind === 'workspace' ? root.members : [root.manifest];
  const base = { kind: root.kind, manifest: root.manifest, members, manifests } as const;
  if (!target) {
    if (registry.length > 0) {
      findings.push({ level: 'warning', file: root.manifest.path, message: 'no family requirement names a version to align to; pass --to' });
    }
    return { ...base, target: undefined, changes: [], findings, lifted: [] };
  }
  const targetReq = parseRequirement(target.requirement)!;
  const secondKeys = new Set(
    [...maybeSecond].filter((k) => registry.some((c) => c.entry.key === k && !(c.requirement && sameRequirement(c.requirement, targetReq)))),
  );
  for (const c of registry) {
    if (!secondKeys.has(c.entry.key)) continue;
    const e = c.entry;
    findings.push(
      note(e, `\`${e.key}\` (${e.package} ${requirementText(e) ?? ''}) is a second line of ${e.package} next to \`${e.package}\`: kept as it is (--all-keys aligns it too)`),
    );
  }
  const candidates = registry.filter((c) => !secondKeys.has(c.entry.key));
  const secondLines = new Set(registry.filter((c) => secondKeys.has(c.entry.key)).map((c) => c.entry));
  for (const c of candidates) checkCrateExists(c.entry, target);

  const changes = new Changes();
  const align = (c: Candidate): void => {
    if (c.requirement && sameRequirement(c.requirement, targetReq)) return;
    changes.set(c.entry, withVersion(c.entry.value, target.requirement), 'align');
  };

  const lifted: string[] = [];
  const memberCandidates = candidates.filter((c) => c.entry.table.scope === 'package');
  // A workspace whose only member is its root package has nobody to share entries with: align in place.
  const wantsLift = root.kind === 'workspace' && opts.lift && manifests.some((m) => m !== root.manifest);
  const addBlocker = wantsLift ? addBlockerOf(root.manifest, wsByKey) : undefined;

  if (wantsLift) {
    const byKey = groupBy(memberCandidates, (c) => c.entry.key);
    for (const [key, group] of byKey) {
      const ws = wsByKey.get(key);
      const packages = new Set(group.map((c) => c.entry.package));
      const liftable: Candidate[] = [];
      for (const c of group) {
        const why =
          packages.size > 1
            ? `\`${key}\` names different crates (${[...packages].sort().join(', ')}) in different members`
            : !ws && addBlocker !== undefined
              ? addBlocker
              : isLiftable(c.entry, ws, secondLines);
        if (why === undefined) liftable.push(c);
        else {
          findings.push(note(c.entry, `\`${key}\` not lifted: ${why}; its version is aligned in place`));
          align(c);
        }
      }
      if (liftable.length === 0) continue;
      lifted.push(key);
      planLift(key, liftable, ws, memberEntries, target, changes, root.manifest);
    }
  } else {
    memberCandidates.forEach(align);
  }

  // Workspace entries not rewritten by a lift still name the chosen version.
  for (const c of candidates) {
    if (c.entry.table.scope === 'workspace' && !changes.has(c.entry)) align(c);
  }

  const list = changes.list();
  findings.push(...patchWarnings(root.manifest, list, target));
  return { ...base, target, changes: list, findings, lifted: lifted.sort() };
}

/**
 * `[patch]` tables are out of this tool's reach (and of `cargo metadata --no-deps`): a patched family crate
 * must itself be a release that meets the new requirement, or cargo silently stops using the patch.
 */
function patchWarnings(rootManifest: Manifest, changes: readonly Change[], target: Target): Finding[] {
  const moved = changes.some((c) => c.kind === 'add' || c.reasons.includes('align'));
  const patch = rootManifest.value.patch;
  if (!moved || typeof patch !== 'object' || patch === null) return [];
  const out: Finding[] = [];
  for (const [registry, table] of Object.entries(patch as TomlTable)) {
    if (typeof table !== 'object' || table === null) continue;
    for (const [key, value] of Object.entries(table as TomlTable)) {
      const pkg = typeof value === 'object' && value !== null && typeof (value as TomlTable).package === 'string' ? String((value as TomlTable).package) : key;
      if (!familyCrate(pkg)) continue;
      out.push({
        level: 'warning',
        file: rootManifest.path,
        message: `[patch.${registry}] replaces \`${key}\`: the patched copy must be a release that meets ${target.requirement}, or cargo ignores the patch`,
      });
    }
  }
  return out;
}

/**
 * Lift one workspace key. The default-features rule of cargo-rules.md section 2: if any inheriting member turns
 * default features off, the workspace entry gets `default-features = false` and every member that used defaults
 * gets `default-features = true`; otherwise the workspace entry carries no such key.
 */
function planLift(
  key: string,
  liftable: readonly Candidate[],
  ws: DependencyEntry | undefined,
  memberEntries: readonly DependencyEntry[],
  target: Target,
  changes: Changes,
  rootManifest: Manifest,
): void {
  const wsDf = ws ? ownDefaultFeatures(ws.value) : undefined;
  const inheriting = memberEntries.filter((e) => e.source === 'inherited' && e.key === key);
  // What each member gets today: a member's own `false` only counts when the workspace entry also says false.
  const inheritedUsesDefaults = (e: DependencyEntry): boolean => (wsDf === false ? ownDefaultFeatures(e.value) ?? false : true);
  const liftedUsesDefaults = (c: Candidate): boolean => ownDefaultFeatures(c.entry.value) !== false;
  const anyOff = liftable.some((c) => !liftedUsesDefaults(c)) || inheriting.some((e) => !inheritedUsesDefaults(e));
  const finalWsDf = anyOff ? false : wsDf;

  for (const c of liftable) {
    const needsTrue = finalWsDf === false && liftedUsesDefaults(c);
    changes.set(c.entry, inheritedValue(c.entry.value, needsTrue), 'lift');
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
    let after = withVersion(ws.value, target.requirement);
    if (finalWsDf === false && wsDf !== false) after = setDefaultFeatures(after, false);
    // `default_features` on a workspace entry breaks edition-2024 members (cargo-rules.md section 3).
    if (typeof after === 'object' && 'default_features' in after && !('default-features' in after)) {
      const { default_features: df, ...rest } = after;
      after = { ...rest, 'default-features': df };
    }
    const reasons: ChangeReason[] = [];
    if (!sameText(requirementText(ws), target.requirement)) reasons.push('align');
    if (!isDeepStrictEqual(after, withVersion(ws.value, target.requirement))) reasons.push('default-features');
    for (const r of reasons) changes.set(ws, after, r);
    return;
  }
  let value: EntryValue = target.requirement;
  if (pkg !== key || finalWsDf === false) {
    const table: TomlTable = { version: target.requirement };
    if (pkg !== key) table.package = pkg;
    if (finalWsDf === false) table['default-features'] = false;
    value = table;
  }
  changes.add(rootManifest, key, value);
}

/** Why no new entry can be added to this root's `[workspace.dependencies]`, if anything prevents it. */
function addBlockerOf(rootManifest: Manifest, wsByKey: ReadonlyMap<string, DependencyEntry>): string | undefined {
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

/**
 * Keys that rename a crate which some manifest (or the workspace table) also has under its own name: an LTS
 * copy kept on purpose, say. Every entry with such a key belongs to that line.
 */
function renamedCopyKeys(family: readonly DependencyEntry[], packageOf: (e: DependencyEntry) => string): Set<string> {
  const keys = new Set<string>();
  for (const [, group] of groupBy(family, (e) => `${e.manifest.path}\0${e.table.scope}\0${packageOf(e)}`)) {
    if (!group.some((e) => e.key === packageOf(e))) continue;
    for (const e of group) if (e.key !== packageOf(e)) keys.add(e.key);
  }
  return keys;
}

/** A family crate that does not exist at the target release cannot follow it. */
function checkCrateExists(entry: DependencyEntry, target: Target): void {
  const crate = familyCrate(entry.package)!;
  const v = semver.coerce(target.version, { includePrerelease: true });
  if (!v) return;
  if (crate.removedIn && v.major >= crate.removedIn.major) {
    throw new UserError(`\`${entry.key}\` cannot follow wasmtime to ${target.version}: ${crate.name} was ${crate.removedIn.note}`, entryLocation(entry));
  }
  if (semver.lt(v, crate.since)) {
    throw new UserError(`\`${entry.key}\` cannot go to ${target.version}: ${crate.name} was first released at ${crate.since}`, valueLocation(entry, 'version'));
  }
}

function withVersion(value: EntryValue, requirement: string): EntryValue {
  if (typeof value === 'string') return requirement;
  return { ...value, version: requirement };
}

function setDefaultFeatures(value: EntryValue, on: boolean): TomlTable {
  const table: TomlTable = typeof value === 'string' ? { version: value } : { ...value };
  // Keep the spelling the entry already has; a new key is written with a hyphen (cargo-rules.md section 3).
  const name = 'default_features' in table && !('default-features' in table) && on ? 'default_features' : 'default-features';
  if (name === 'default-features') delete table.default_features;
  table[name] = on;
  return table;
}

function sameText(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const ra = parseRequirement(a);
  const rb = parseRequirement(b);
  return ra && rb ? sameRequirement(ra, rb) : a.trim() === b.trim();
}

function note(e: DependencyEntry, message: string): Finding {
  return { level: 'note', ...entryLocation(e), message };
}

function sameKey(a: readonly (string | number)[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

function uniqueManifests(list: readonly Manifest[]): Manifest[] {
  const seen = new Map<string, Manifest>();
  for (const m of list) if (!seen.has(m.path)) seen.set(m.path, m);
  return [...seen.values()];
}

function groupBy<T>(items: readonly T[], keyOf: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = keyOf(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

/** Collects changes so that one entry gets one rewrite carrying every reason. */
class Changes {
  private readonly rewrites = new Map<DependencyEntry, { after: EntryValue; reasons: ChangeReason[] }>();
  private readonly adds: Change[] = [];

  has(entry: DependencyEntry): boolean {
    return this.rewrites.has(entry);
  }

  set(entry: DependencyEntry, after: EntryValue, reason: ChangeReason): void {
    const prev = this.rewrites.get(entry);
    if (prev) {
      prev.after = after;
      if (!prev.reasons.includes(reason)) prev.reasons.push(reason);
    } else this.rewrites.set(entry, { after, reasons: [reason] });
  }

  add(manifest: Manifest, key: string, after: EntryValue): void {
    this.adds.push({ kind: 'add', manifest, key, after, reasons: ['lift'] });
  }

  list(): Change[] {
    const rewrites: Change[] = [...this.rewrites].map(([entry, r]) => ({ kind: 'rewrite', entry, after: r.after, reasons: r.reasons }));
    return [...rewrites, ...this.adds];
  }
}
