/**
 * What a root's plan does to each family crate, as the summary's table and the JSON report's `crates` show it:
 * the requirements written before, the one written after, the members whose manifests change; and which wasmtime
 * releases the upgrade crosses (for the count of breaking release notes and for `wasmtime-align notes`).
 */
import * as semver from '../semver.js';
import type { ReleaseData } from '../family/release-data.js';
import { isTable, type DependencyEntry } from '../manifest/dependencies.js';
import type { Manifest } from '../manifest/read.js';
import { floorVersion, parseRequirement } from '../manifest/requirement.js';
import { requirementText } from './target.js';
import type { Change, CrateChange } from './types.js';

export interface CrateChangeContext {
  readonly data: ReleaseData;
  /** The crate an entry names (an inheriting entry's is the workspace entry's). */
  readonly packageOf: (e: DependencyEntry) => string;
  /** The root's `[workspace.dependencies]` entries by key. */
  readonly wsByKey: ReadonlyMap<string, DependencyEntry>;
  /** The entry a crate migration planned in the stead of an entry (its package is the new crate). */
  readonly plannedAs: ReadonlyMap<DependencyEntry, DependencyEntry>;
  /** Registry entries on the family, to find the entry a removed one was merged into. */
  readonly registry: readonly DependencyEntry[];
  /** The requirement written for a crate at the target. */
  readonly requirementOf: (crate: string) => string | undefined;
  readonly members: readonly Manifest[];
}

/** One row per family crate whose entries change, sorted by name. */
export function crateChanges(changes: readonly Change[], ctx: CrateChangeContext): CrateChange[] {
  const rows = new Map<string, { from: Set<string>; becomes?: string; members: Set<Manifest> }>();
  const members = new Set(ctx.members);
  for (const c of changes) {
    let crate: string;
    let becomes: string | undefined;
    let manifest: Manifest;
    let from: string | undefined;
    if (c.kind === 'add') {
      crate = isTable(c.after) && typeof c.after.package === 'string' ? c.after.package : c.key;
      manifest = c.manifest;
    } else if (c.kind === 'rewrite' || c.kind === 'remove') {
      crate = ctx.packageOf(c.entry);
      manifest = c.entry.manifest;
      from = c.entry.source === 'registry' ? requirementText(c.entry) : undefined;
      becomes =
        c.kind === 'remove'
          ? ctx.registry.find((o) => o.manifest === c.entry.manifest && o.key === c.mergedInto)?.package
          : ctx.plannedAs.get(c.entry)?.package;
    } else continue;
    if (ctx.data.family(crate) === undefined) continue;
    let row = rows.get(crate);
    if (row === undefined) rows.set(crate, (row = { from: new Set(), members: new Set() }));
    if (from !== undefined) row.from.add(from);
    if (becomes !== undefined && becomes !== crate) row.becomes = becomes;
    if (members.has(manifest)) row.members.add(manifest);
  }
  const out: CrateChange[] = [];
  for (const [name, row] of rows) {
    const to = ctx.requirementOf(row.becomes ?? name);
    if (to === undefined) continue;
    // Only members inheriting changed (default features): the workspace entry's requirement is what they had.
    if (row.from.size === 0) {
      for (const ws of ctx.wsByKey.values()) {
        const text = ws.package === name && ws.source === 'registry' ? requirementText(ws) : undefined;
        if (text !== undefined) row.from.add(text);
      }
    }
    out.push({
      name,
      from: [...row.from].sort(byFloor),
      to,
      ...(row.becomes !== undefined ? { becomes: row.becomes } : {}),
      members: ctx.members.filter((m) => row.members.has(m)),
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Requirements by the lowest version they admit, then by text. */
function byFloor(a: string, b: string): number {
  const fa = floorOf(a);
  const fb = floorOf(b);
  if (fa !== undefined && fb !== undefined && fa !== fb) return semver.compare(fa, fb);
  if (fa !== fb) return fa === undefined ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function floorOf(text: string): string | undefined {
  const r = parseRequirement(text);
  return r === undefined ? undefined : floorVersion(r)?.version;
}

/**
 * A row's mark, as `cargo upgrade` shows one: `downgrade` when the new requirement is lower than one of the old
 * ones (`major downgrade` when that old one is on another line), `major` when some old requirement does not admit the new line (another major; for 0.x, another minor).
 */
export function crateJump(row: CrateChange): 'major' | 'downgrade' | 'major downgrade' | undefined {
  const to = floorOf(row.to);
  const froms = row.from.map(floorOf).filter((v): v is string => v !== undefined);
  if (to === undefined || froms.length === 0) return undefined;
  const higher = froms.filter((f) => semver.lt(to, f));
  // A downgrade to another line (47 -> 36; for 0.x another minor) is both, and says so.
  if (higher.length > 0) return higher.some((f) => !semver.satisfies(f, `^${to}`, { includePrerelease: true })) ? 'major downgrade' : 'downgrade';
  return froms.some((f) => !semver.satisfies(to, `^${f}`, { includePrerelease: true })) ? 'major' : undefined;
}

/**
 * The wasmtime releases among `releases` that the upgrade crosses, oldest first: above what a crate's requirement
 * asks for (not admitted by it; a caret `24.0.0` already admits 24.0.x), up to and including `target`.
 */
export function crossedReleases(rows: readonly CrateChange[], releases: Iterable<string>, target: string | null, data: ReleaseData): string[] {
  if (target === null || semver.valid(target) === null) return [];
  const bases: { crate: string; base: string; range: string }[] = [];
  for (const row of rows) {
    for (const text of row.from) {
      const req = parseRequirement(text);
      const floor = req && floorVersion(req)?.version;
      const base = floor && data.releaseOf(row.name, floor);
      if (req && base !== undefined && base !== '') bases.push({ crate: row.name, base, range: req.npmRange });
    }
  }
  const out: string[] = [];
  for (const r of releases) {
    // A pre-release is crossed only as the target itself: `latest` and lines never choose one.
    if (semver.valid(r) === null || semver.gt(r, target) || (semver.prerelease(r) !== null && r !== target)) continue;
    const crossed = bases.some(({ crate, base, range }) => {
      if (!semver.gt(r, base)) return false;
      const v = data.versionAt(crate, r);
      return v === undefined || !semver.satisfies(v, range, { includePrerelease: true });
    });
    if (crossed) out.push(r);
  }
  return out.sort(semver.compare);
}
