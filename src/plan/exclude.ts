/** `--exclude` (and the `exclude` setting): which family crates a root leaves exactly as they are. */
import type { ReleaseData } from '../family/release-data.js';
import { floorVersion } from '../manifest/requirement.js';
import { closest } from './features.js';
import type { Candidate } from './target.js';
import type { ExcludedCrate } from './types.js';

/**
 * `--exclude`: crates left exactly as they are, together with the family crates they pin exactly at the
 * releases the workspace asks for (wiggle stays with wasi-common), and the members that inherit them.
 */
export function applyExclusions(
  all: readonly Candidate[],
  patterns: readonly string[],
  data: ReleaseData,
): { registry: Candidate[]; excluded: ExcludedCrate[] } {
  if (patterns.length === 0) return { registry: [...all], excluded: [] };
  const matches = crateMatcher(patterns);
  const why = new Map<string, string>(); // crate -> the excluded crate that holds it ('' for a match)
  const queue = [...new Set(all.map((c) => c.entry.package).filter(matches))];
  for (const crate of queue) why.set(crate, '');
  for (let i = 0; i < queue.length; i++) {
    const holder = queue[i]!;
    for (const c of all.filter((c) => c.entry.package === holder)) {
      const floor = c.requirement && floorVersion(c.requirement)?.version;
      for (const pinned of floor === undefined ? [] : data.exactPins(holder, floor)) {
        if (why.has(pinned) || !all.some((o) => o.entry.package === pinned)) continue;
        why.set(pinned, holder);
        queue.push(pinned);
      }
    }
  }
  const excluded: ExcludedCrate[] = [...why].sort(([a], [b]) => (a < b ? -1 : 1)).map(([crate, heldBy]) => ({ crate, ...(heldBy ? { heldBy } : {}) }));
  return { registry: all.filter((c) => !why.has(c.entry.package)), excluded };
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
