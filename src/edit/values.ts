import type { AST } from 'toml-eslint-parser';
import type { RewriteArray, RewriteString } from '../plan/types.js';
import { formatLike } from './entry.js';
import { removeRuns } from './lines.js';
import type { Splice } from './splice.js';

/** Array elements replaced where they stand (in their own quoting), or removed with their commas. */
export function arraySplices(text: string, change: RewriteArray): Splice[] {
  const elements = change.array.elements;
  const splices: Splice[] = [];
  for (const [i, items] of change.replacements) {
    const el = elements[i]!;
    if (items.length > 0) splices.push({ start: el.range[0], end: el.range[1], text: items.map((s) => formatLike(el, s)).join(', ') });
  }
  const gone = new Set([...change.replacements].filter(([, items]) => items.length === 0).map(([i]) => elements[i]!));
  splices.push(...removeRuns(text, elements as readonly AST.TOMLContentNode[], (n) => !gone.has(n)));
  return splices;
}

/** A string value replaced in its own quoting. */
export function stringSplices(change: RewriteString): Splice[] {
  return [{ start: change.node.range[0], end: change.node.range[1], text: formatLike(change.node, change.after) }];
}
