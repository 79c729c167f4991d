import type { DependencyEntry } from '../manifest/dependencies.js';
import { entryLocation } from '../manifest/locate.js';
import type { Manifest } from '../manifest/read.js';
import type { Finding } from './types.js';

export function note(e: DependencyEntry, message: string, level: Finding['level'] = 'note'): Finding {
  return { level, ...entryLocation(e), message };
}

export function sameKey(a: readonly (string | number)[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

export function uniqueManifests(list: readonly Manifest[]): Manifest[] {
  const seen = new Map<string, Manifest>();
  for (const m of list) if (!seen.has(m.path)) seen.set(m.path, m);
  return [...seen.values()];
}

export function groupBy<T>(items: readonly T[], keyOf: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = keyOf(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}
