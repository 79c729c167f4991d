import type { Splice } from './splice.js';
import { lineStart, nextLineStart } from './splice.js';

/** Line-level helpers: edits that add or remove whole lines keep the file's line structure intact. */

/** Inserts whole lines after the line holding `offset`, keeping a missing final newline missing. */
export function insertLinesAfter(text: string, offset: number, lines: readonly string[], eol: string): Splice {
  const at = nextLineStart(text, offset);
  const body = lines.join(eol);
  if (at === text.length && !text.endsWith('\n')) return { start: at, end: at, text: eol + body };
  return { start: at, end: at, text: body + eol };
}

/** Removals of neighbouring lines can touch (the last line takes the line break before it): join them. */
export function mergeRemovals(removals: readonly Splice[]): Splice[] {
  const out: Splice[] = [];
  for (const r of [...removals].sort((a, b) => a.start - b.start)) {
    const last = out.at(-1);
    if (last && r.start <= last.end) out[out.length - 1] = { start: last.start, end: Math.max(last.end, r.end), text: '' };
    else out.push(r);
  }
  return out;
}

/**
 * The whole lines from `start` to `end` when nothing else stands on them (but blanks, a comma and a comment).
 * On the last line of a file without a final newline, the line break before it goes instead, so the file
 * still ends without one.
 */
export function ownLines(text: string, start: number, end: number): { start: number; end: number } | undefined {
  const from = lineStart(text, start);
  const to = nextLineStart(text, end);
  if (text.slice(from, start).trim() !== '' || !/^[ \t]*,?[ \t]*(#.*)?\r?\n?$/.test(text.slice(end, to))) return undefined;
  if (to === text.length && !text.endsWith('\n') && from > 0) {
    return { start: from - (text[from - 2] === '\r' ? 2 : 1), end: to };
  }
  return { start: from, end: to };
}

/**
 * The last entry of a table is often followed by commented-out alternatives (`# foo = { path = "../foo" }`);
 * new entries go below them, unless those comments lead into the next table (no blank line before it).
 */
export function belowTrailingComments(text: string, offset: number): number {
  let lastComment: number | undefined;
  let pos = nextLineStart(text, offset);
  while (pos < text.length && /^[ \t]*#/.test(text.slice(pos, nextLineStart(text, pos)))) {
    lastComment = pos;
    pos = nextLineStart(text, pos);
  }
  const endsBlock = pos >= text.length || text.slice(pos, nextLineStart(text, pos)).trim() === '';
  return lastComment !== undefined && endsBlock ? lastComment : offset;
}

/** Moves an insertion point up over the comment lines directly above an entry (they belong to it). */
export function aboveComments(text: string, at: number, floor: number): number {
  let pos = at;
  while (pos > floor) {
    const prev = lineStart(text, pos - 1);
    if (prev <= floor || !/^[ \t]*#/.test(text.slice(prev, pos))) break;
    pos = prev;
  }
  return pos;
}

/**
 * Removes runs of items not kept from a comma-separated list (an inline table's fields, an array's elements),
 * with the commas between them. Items that own their lines (multi-line lists) go with their lines and comments.
 */
export function removeRuns<T extends { range: [number, number] }>(text: string, nodes: readonly T[], isKept: (n: T) => boolean): Splice[] {
  const splices: Splice[] = [];
  for (let i = 0; i < nodes.length; ) {
    if (isKept(nodes[i]!)) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < nodes.length && !isKept(nodes[j + 1]!)) j++;
    const next = nodes[j + 1];
    const prev = nodes[i - 1];
    const lines = ownLines(text, nodes[i]!.range[0], nodes[j]!.range[1]);
    if (lines) splices.push({ ...lines, text: '' });
    else if (next) splices.push({ start: nodes[i]!.range[0], end: next.range[0], text: '' });
    else if (prev) splices.push({ start: prev.range[1], end: nodes[j]!.range[1], text: '' });
    else splices.push({ start: nodes[i]!.range[0], end: nodes[j]!.range[1], text: '' });
    i = j + 1;
  }
  return splices;
}
