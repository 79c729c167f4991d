import type { DependencyEntry } from '../manifest/dependencies.js';
import type { Manifest } from '../manifest/read.js';

/**
 * What crate migrations did to a manifest's dependency keys, for its `[features]` items to follow: a key renamed
 * (`wasi-cap-std-sync` -> `wasi-common`, or merged into the table's `wasi-common` entry), and keys whose entry is
 * no longer optional (a merge keeps a dependency required if any part of it was).
 */
export class CrateMoves {
  private readonly renamed = new Map<Manifest, Map<string, string>>();
  private readonly required = new Map<Manifest, Set<string>>();

  rename(e: DependencyEntry, to: string): void {
    if (e.table.scope !== 'package' || e.key === to) return;
    let m = this.renamed.get(e.manifest);
    if (m === undefined) this.renamed.set(e.manifest, (m = new Map()));
    m.set(e.key, to);
  }

  /** The entry under `key` is required now, though an entry its `[features]` items name was optional. */
  madeRequired(e: DependencyEntry, key: string): void {
    if (e.table.scope !== 'package') return;
    let s = this.required.get(e.manifest);
    if (s === undefined) this.required.set(e.manifest, (s = new Set()));
    s.add(key);
  }

  /** The key a `[features]` item of `m` should name for `key`. */
  keyOf(m: Manifest, key: string): string {
    return this.renamed.get(m)?.get(key) ?? key;
  }

  isMadeRequired(m: Manifest, key: string): boolean {
    return this.required.get(m)?.has(key) === true;
  }

  /** Whether anything in `m` moved (so its `[features]` table must be read). */
  touches(m: Manifest): boolean {
    return this.renamed.has(m) || this.required.has(m);
  }
}
