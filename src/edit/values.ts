import type { AST } from 'toml-eslint-parser';
import type { RewriteArray, RewriteString } from '../plan/types.js';
import { formatLike } from './toml-text.js';
import { insertLinesAfter, ownLines, removeRuns } from './lines.js';
import { indentAt, nextLineStart } from './splice.js';
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

/**
 * An array of strings turned into `after` element by element, so that its comments and line breaks stay: kept
 * items stay, an item replaced by one not there before takes its place (in its quoting), items that go are
 * removed with their commas, new ones follow the last element. Undefined when the array holds anything but
 * plain strings (the caller writes the value anew).
 */
export function arrayElementSplices(text: string, array: AST.TOMLArray, after: readonly string[]): Splice[] | undefined {
  const elements = array.elements;
  const items: string[] = [];
  for (const el of elements) {
    if (el.type !== 'TOMLValue' || el.kind !== 'string') return undefined;
    items.push(el.value);
  }
  if (elements.length === 0) return undefined;
  const splices: Splice[] = [];
  const gone = new Set<AST.TOMLContentNode>();
  let j = 0;
  for (const [i, el] of elements.entries()) {
    const item = items[i]!;
    if (after[j] === item) {
      j++;
      continue;
    }
    const next = after[j];
    if (!after.includes(item) && next !== undefined && !items.includes(next)) {
      splices.push({ start: el.range[0], end: el.range[1], text: formatLike(el, next) });
      j++;
    } else gone.add(el);
  }
  const rest = after.slice(j);
  if (rest.some((x) => items.includes(x))) return undefined; // a reordering: not a splice of this shape
  splices.push(...removeRuns(text, elements as readonly AST.TOMLContentNode[], (n) => !gone.has(n)));
  const last = [...elements].reverse().find((el) => !gone.has(el));
  if (rest.length > 0) {
    if (last === undefined) return undefined;
    if (ownLines(text, last.range[0], last.range[1])) {
      // A multi-line array (its last item on a line of its own): each new item on a line of its own, with the
      // items' indentation, as toml_edit and `cargo add` write it; a trailing comma if the array had one.
      const trailing = (el: AST.TOMLContentNode): boolean => /^[ \t]*,/.test(text.slice(el.range[1]));
      const comma = trailing(elements.at(-1)!);
      if (!trailing(last)) splices.push({ start: last.range[1], end: last.range[1], text: ',' });
      const end = nextLineStart(text, last.range[1]);
      const eol = text[end - 2] === '\r' ? '\r\n' : '\n';
      const indent = indentAt(text, last.range[0]);
      const lines = rest.map((x, k) => `${indent}${formatLike(last, x)}${comma || k < rest.length - 1 ? ',' : ''}`);
      splices.push(insertLinesAfter(text, last.range[1], lines, eol));
    } else {
      splices.push({ start: last.range[1], end: last.range[1], text: rest.map((x) => `, ${formatLike(last, x)}`).join('') });
    }
  }
  return splices;
}
