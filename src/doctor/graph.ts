/**
 * Inverse dependency chains over the lock graph: `cargo tree -i name@version`, cut at the workspace members.
 */
import type { LockFile, LockPackage } from './lock.js';

export class LockGraph {
  /** package index -> the packages that depend on it, sorted by name then version (stable output). */
  private readonly dependents: readonly (readonly number[])[];

  constructor(readonly lock: LockFile) {
    const rev: number[][] = lock.packages.map(() => []);
    for (const p of lock.packages) for (const d of new Set(p.deps)) rev[d]!.push(p.index);
    const order = (a: number, b: number): number => comparePackages(lock.packages[a]!, lock.packages[b]!);
    this.dependents = rev.map((list) => list.sort(order));
  }

  /** The packages that depend on `index` directly. */
  dependentsOf(index: number): readonly number[] {
    return this.dependents[index]!;
  }

  /**
   * The shortest chain from each member that reaches `target`, member first and `target` last. The search does
   * not go through a member: a member depending on another member is covered by that member's chain (and a
   * target that is a member is its own one-package chain).
   */
  chainsTo(target: number, isMember: (p: LockPackage) => boolean): number[][] {
    const next = new Map<number, number>([[target, -1]]); // node -> the node one step closer to the target
    const queue = [target];
    const reached: number[] = [];
    for (let head = 0; head < queue.length; head++) {
      const n = queue[head]!;
      if (isMember(this.lock.packages[n]!)) {
        reached.push(n);
        continue;
      }
      for (const d of this.dependents[n]!) {
        if (next.has(d)) continue;
        next.set(d, n);
        queue.push(d);
      }
    }
    return reached.map((m) => {
      const chain = [m];
      for (let n = next.get(m)!; n !== -1; n = next.get(n)!) chain.push(n);
      return chain;
    });
  }
}

export function comparePackages(a: LockPackage, b: LockPackage): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  if (a.version !== b.version) return a.version < b.version ? -1 : 1;
  return (a.source ?? '') < (b.source ?? '') ? -1 : (a.source ?? '') > (b.source ?? '') ? 1 : 0;
}
