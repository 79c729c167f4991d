import type { DependencyEntry } from '../manifest/dependencies.js';
import type { Manifest } from '../manifest/read.js';
import type { Change, ChangeReason, EntryValue } from './types.js';

/**
 * Collects changes so that one entry gets one rewrite carrying every reason. An entry may be planned through a
 * stand-in (a crate migration turns `wasi-cap-std-sync` into a `wasi-common` entry that is then lifted like any
 * other): the stand-in's changes land on the original entry, under the stand-in's key.
 */
export class Changes {
  private readonly rewrites = new Map<DependencyEntry, { after: EntryValue; reasons: ChangeReason[] }>();
  private readonly removed = new Map<DependencyEntry, string>();
  private readonly others: Change[] = [];
  private readonly originals = new Map<DependencyEntry, DependencyEntry>();

  /** Plans `standIn` (same place in the file, another key or crate) in the stead of `entry`. */
  standIn(entry: DependencyEntry, standIn: DependencyEntry, reason: ChangeReason): void {
    this.originals.set(standIn, entry);
    this.set(standIn, standIn.value, reason);
  }

  has(entry: DependencyEntry): boolean {
    return this.rewrites.has(entry);
  }

  /** The value planned for an entry so far (its current value when nothing is planned). */
  valueOf(entry: DependencyEntry): EntryValue {
    return this.rewrites.get(entry)?.after ?? entry.value;
  }

  set(entry: DependencyEntry, after: EntryValue, reason: ChangeReason): void {
    const prev = this.rewrites.get(entry);
    if (prev) {
      prev.after = after;
      if (!prev.reasons.includes(reason)) prev.reasons.push(reason);
    } else this.rewrites.set(entry, { after, reasons: [reason] });
  }

  /** The entry goes, merged into the same table's entry under `into`. */
  remove(entry: DependencyEntry, into: string): void {
    this.removed.set(entry, into);
  }

  add(manifest: Manifest, key: string, after: EntryValue, reason: ChangeReason = 'lift'): void {
    this.others.push({ kind: 'add', manifest, key, after, reasons: [reason] });
  }

  push(change: Change): void {
    this.others.push(change);
  }

  list(): Change[] {
    const out: Change[] = [];
    for (const [entry, r] of this.rewrites) {
      const original = this.originals.get(entry);
      if (original === undefined) {
        out.push({ kind: 'rewrite', entry, after: r.after, reasons: r.reasons });
        continue;
      }
      out.push({ kind: 'rewrite', entry: original, after: r.after, reasons: r.reasons, ...(entry.key !== original.key ? { newKey: entry.key } : {}) });
    }
    for (const [entry, mergedInto] of this.removed) out.push({ kind: 'remove', entry, mergedInto, reasons: ['crate-migration'] });
    return [...out, ...this.others];
  }
}
