/** `--exclude` (and the `exclude` setting): which family crates a root leaves exactly as they are. */
import * as semver from '../semver.js';
import type { ReleaseData } from '../family/release-data.js';
import { floorVersion } from '../manifest/requirement.js';
import { closest } from './features.js';
import type { Candidate } from './target.js';
import type { ExcludedCrate } from './types.js';

/**
 * An excluded crate that requires wasmtime on its own line, where the workspace asks for wasmtime on that line
 * too: wasmtime is never held back, so when it moves cargo builds two copies.
 */
export interface UnheldTie {
  /** The excluded crate (as listed in `excluded`) that requires it, or the one holding it. */
  readonly by: string;
  readonly crate: string;
  /** The wasmtime release the excluded crate belongs to. */
  readonly release: string;
}

/**
 * `--exclude`: crates left exactly as they are, together with the family crates they require on their own
 * release's line (pinned with `=`, as wiggle is by wasi-common, or by a caret a 0.x or lockstep requirement
 * makes as tight, as cranelift-codegen `^0.112.3` is by cranelift-wasm 0.112.3), followed through crates the
 * workspace does not use itself (wiggle `=` wiggle-macro `=` wiggle-generate), and the members that inherit them.
 * wasmtime itself is never held (it is what the run aligns to): an excluded crate requiring it on another line
 * comes back in `unheld`, for a warning that cargo builds two copies.
 */
export function applyExclusions(
  all: readonly Candidate[],
  patterns: readonly string[],
  data: ReleaseData,
): { registry: Candidate[]; excluded: ExcludedCrate[]; unheld: UnheldTie[] } {
  if (patterns.length === 0) return { registry: [...all], excluded: [], unheld: [] };
  const matches = crateMatcher(patterns);
  const inUse = new Set(all.map((c) => c.entry.package));
  // crate -> what holds it ('' for a match), and through which crates the workspace does not use
  const held = new Map<string, { heldBy: string; through: string[]; exact: boolean }>();
  const unheld: UnheldTie[] = [];
  const queue: { crate: string; versions: readonly string[]; listed: string; through: string[] }[] = [];
  const versionsInUse = (crate: string): string[] =>
    [...new Set(all.filter((c) => c.entry.package === crate).flatMap((c) => (c.requirement ? [floorVersion(c.requirement)?.version] : [])).filter((v): v is string => v !== undefined))];
  for (const crate of [...inUse].filter(matches).sort()) {
    held.set(crate, { heldBy: '', through: [], exact: true });
    queue.push({ crate, versions: versionsInUse(crate), listed: crate, through: [] });
  }
  for (let i = 0; i < queue.length; i++) {
    const { crate: holder, versions, listed, through } = queue[i]!;
    for (const version of versions) {
      const release = data.releaseOf(holder, version);
      const pins = new Set(data.exactPins(holder, version));
      for (const dep of [...pins, ...data.lockstepTies(holder, version).filter((d) => !pins.has(d))]) {
        if (held.has(dep) || dep === holder) continue;
        if (dep === 'wasmtime') {
          // Only where the workspace asks for wasmtime on that line now: one already on another line is no news.
          const onLine = release !== undefined && versionsInUse(dep).some((v) => sameLine(v, release));
          if (onLine && !unheld.some((u) => u.by === listed)) unheld.push({ by: listed, crate: dep, release });
          continue;
        }
        const exact = pins.has(dep);
        if (inUse.has(dep)) {
          // Only the workspace's own requirements on the holder's release line are held: another line is a
          // second copy already, which moving it does not change.
          const own = versionsInUse(dep).filter((v) => release === undefined || sameLine(data.releaseOf(dep, v), release));
          if (own.length === 0) continue;
          held.set(dep, { heldBy: listed, through, exact });
          queue.push({ crate: dep, versions: own, listed: dep, through: [] });
        } else {
          const v = release === undefined ? undefined : data.versionAt(dep, release);
          if (v === undefined) continue;
          held.set(dep, { heldBy: listed, through, exact });
          queue.push({ crate: dep, versions: [v], listed, through: [...through, dep] });
        }
      }
    }
  }
  const excluded: ExcludedCrate[] = [...held]
    .filter(([crate]) => inUse.has(crate))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([crate, h]) => ({ crate, ...(h.heldBy ? { heldBy: h.heldBy, ...(h.exact ? {} : { tie: 'requirement' as const }), ...(h.through.length > 0 ? { through: h.through } : {}) } : {}) }));
  return { registry: all.filter((c) => !held.has(c.entry.package)), excluded, unheld };
}

/** Whether two wasmtime releases are on one semver-compatible line. */
export function sameLine(a: string | undefined, b: string): boolean {
  const x = a === undefined ? null : semver.coerce(a, { includePrerelease: true });
  const y = semver.coerce(b, { includePrerelease: true });
  if (!x || !y) return false;
  return x.major === y.major && (x.major !== 0 || x.minor === y.minor);
}

/** `wasi-common`, `cranelift-*`: exact names or globs (`*` any run of characters, `?` one). */
export function crateMatcher(patterns: readonly string[]): (crate: string) => boolean {
  const res = patterns.map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`));
  return (crate) => res.some((r) => r.test(crate));
}

/** Patterns that matched no crate any root left out, each with the family crate nearest to it: likely typos. */
export function unmatchedPatterns(patterns: readonly string[], excluded: readonly (readonly ExcludedCrate[])[], data: ReleaseData): { pattern: string; closest: string | undefined }[] {
  const matched = new Set(excluded.flat().filter((x) => x.heldBy === undefined).map((x) => x.crate));
  return patterns
    .filter((p) => ![...matched].some(crateMatcher([p])))
    .map((pattern) => ({ pattern, closest: /[*?]/.test(pattern) ? undefined : closest(pattern, data.familyNames()) }));
}
