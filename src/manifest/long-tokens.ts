import type { AST } from 'toml-eslint-parser';

/**
 * Long strings and numbers, read without toml-eslint-parser's help.
 *
 * toml-eslint-parser collects a string's (or number's) code points in an array and ends with
 * `String.fromCodePoint(...codePoints)`: past about 100,000 characters that spread overflows the stack. cargo has
 * no limit on a value's size, so neither may we. Before the full parse, every valid string or number token of
 * LONG or more characters is replaced by a short placeholder padded with spaces (its newlines kept, so every
 * other position is unchanged); after it, the real value and range go back into the node. A long token that is
 * not valid is left in place: the parser stops at its error before it would overflow.
 */
export const LONG = 4096;

interface LongToken {
  readonly start: number;
  readonly end: number;
  readonly value: string | number | bigint;
}

export interface Shortened {
  readonly text: string;
  readonly tokens: ReadonlyMap<number, LongToken>;
}

/** The text with its long tokens shortened, or undefined when it has none. */
export function shortenLongTokens(text: string): Shortened | undefined {
  if (text.length < LONG) return undefined;
  const tokens = new Map<number, LongToken>();
  const special = /[#"'=]/g;
  let m: RegExpExecArray | null;
  scan: while ((m = special.exec(text)) !== null) {
    const at = m.index;
    const c = text[at]!;
    if (c === '#') {
      const lf = text.indexOf('\n', at);
      if (lf < 0) break;
      special.lastIndex = lf;
    } else if (c === '=') {
      const num = numberAfter(text, at + 1);
      if (num) {
        tokens.set(num.start, num);
        special.lastIndex = num.end;
      }
    } else {
      const s = readString(text, at);
      if (s === undefined) break scan; // invalid: the parser reports it
      if (s.end - s.start >= LONG) tokens.set(s.start, s);
      special.lastIndex = s.end;
    }
  }
  if (tokens.size === 0) return undefined;
  const parts: string[] = [];
  let last = 0;
  const ids = new Map<string, number>();
  for (const t of tokens.values()) {
    let placeholder: string;
    if (typeof t.value === 'string') {
      // Keys are compared by value, so equal strings share a placeholder and different ones never do.
      let id = ids.get(t.value);
      if (id === undefined) ids.set(t.value, (id = ids.size));
      // A multi-line string (never a key) gets an empty one, which fits before its first line break.
      placeholder = text.startsWith(text[t.start]!.repeat(3), t.start) ? '""' : `"\uE000long-${id}"`;
    } else placeholder = typeof t.value === 'bigint' ? '0' : '0.0';
    parts.push(text.slice(last, t.start), placeholder, text.slice(t.start + placeholder.length, t.end).replace(/[^\r\n]/g, ' '));
    last = t.end;
  }
  parts.push(text.slice(last));
  return { text: parts.join(''), tokens };
}

/** Puts the long tokens' values and ranges back into the tree parsed from the shortened text. */
export function restoreLongTokens(ast: AST.TOMLProgram, original: string, shortened: Shortened): void {
  const lines = lineStarts(original);
  forEachNode(ast, (node) => {
    if (node.type !== 'TOMLValue' && node.type !== 'TOMLQuoted') return;
    const t = shortened.tokens.get(node.range[0]);
    if (t === undefined) return;
    const oldEnd = node.range[1];
    const n = node as unknown as Record<string, unknown>;
    if (typeof t.value === 'bigint') {
      n['value'] = Number(t.value);
      n['bigint'] = t.value;
      Object.defineProperty(n, 'number', { value: original.slice(t.start, t.end).replace(/_/g, ''), configurable: true, enumerable: true });
    } else n['value'] = t.value;
    // The node and every enclosing node that ended where the placeholder did now end where the token does.
    const end = position(lines, t.end);
    for (let p: AST.TOMLNode | null = node; p && p.range[1] === oldEnd; p = (p as { parent: AST.TOMLNode | null }).parent) {
      p.range[1] = t.end;
      p.loc.end = { ...end };
    }
  });
}

/** Every node of the tree, without recursion (a tree may be as deep as cargo allows, or deeper). */
export function forEachNode(ast: AST.TOMLProgram, visit: (node: AST.TOMLNode, depth: number) => void): void {
  const stack: [AST.TOMLNode, number][] = [[ast, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    visit(node, depth);
    const push = (child: AST.TOMLNode, d: number): void => void stack.push([child, d]);
    switch (node.type) {
      case 'Program':
        node.body.forEach((c) => push(c, 0));
        break;
      case 'TOMLTopLevelTable':
        node.body.forEach((c) => push(c, 0));
        break;
      case 'TOMLTable':
        push(node.key, 0);
        node.body.forEach((c) => push(c, 0));
        break;
      case 'TOMLKeyValue':
        push(node.key, depth);
        push(node.value, depth);
        break;
      case 'TOMLKey':
        node.keys.forEach((c) => push(c, depth));
        break;
      case 'TOMLArray':
        node.elements.forEach((c) => push(c, depth + 1));
        break;
      case 'TOMLInlineTable':
        node.body.forEach((c) => push(c, depth + 1));
        break;
      default:
        break;
    }
  }
}

function lineStarts(text: string): number[] {
  const out = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) out.push(i + 1);
  return out;
}

function position(lines: readonly number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = lines.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (lines[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - lines[lo]! };
}

const INTEGER = /^[-+]?(?:0|[1-9](?:_?[0-9])*)$|^0x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*$|^0o[0-7](?:_?[0-7])*$|^0b[01](?:_?[01])*$/;
const FLOAT = /^[-+]?(?:0|[1-9](?:_?[0-9])*)(?:\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?|[eE][-+]?[0-9](?:_?[0-9])*)$/;

/** A long integer or float right after `=` (the only place a bare value cannot be a key). */
function numberAfter(text: string, from: number): LongToken | undefined {
  let start = from;
  while (text[start] === ' ' || text[start] === '\t') start++;
  let end = start;
  while (end < text.length && /[0-9A-Za-z_+.\-]/.test(text[end]!)) end++;
  if (end - start < LONG) return undefined;
  const raw = text.slice(start, end);
  if (INTEGER.test(raw)) {
    const clean = raw.replace(/_/g, '');
    const sign = clean.startsWith('-') ? -1n : 1n;
    const digits = clean.replace(/^[-+]/, '');
    const value = sign * BigInt(/^0[xob]/.test(digits) ? digits : digits);
    return { start, end, value };
  }
  if (FLOAT.test(raw)) return { start, end, value: Number(raw.replace(/_/g, '')) };
  return undefined;
}

const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\', e: '\x1b' };
const HEX_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };

function isControl(c: number): boolean {
  return (c < 0x20 && c !== 0x09) || c === 0x7f;
}

/** The string starting at `at` (a quote), as toml-eslint-parser reads it under TOML 1.1, or undefined if invalid. */
function readString(text: string, at: number): LongToken | undefined {
  const q = text[at]!;
  const multi = text[at + 1] === q && text[at + 2] === q;
  if (!multi && text[at + 1] === q) return { start: at, end: at + 2, value: '' };
  const basic = q === '"';
  let i = at + (multi ? 3 : 1);
  if (multi) {
    if (text[i] === '\n') i++;
    else if (text[i] === '\r' && text[i + 1] === '\n') i += 2;
  }
  const out: string[] = [];
  let run = i;
  for (;;) {
    if (i >= text.length) return undefined;
    const c = text.charCodeAt(i);
    if (text[i] === q && (!multi || (text[i + 1] === q && text[i + 2] === q))) {
      out.push(text.slice(run, i));
      let end = i + (multi ? 3 : 1);
      if (multi) {
        // Up to two quotes before the closing three belong to the string.
        let extra = 0;
        while (text[end] === q && extra < 2) {
          end++;
          extra++;
        }
        if (text[end] === q) return undefined;
        out.push(q.repeat(extra));
      }
      return { start: at, end, value: out.join('') };
    }
    if (c === 0x0a) {
      if (!multi) return undefined;
      i++;
      continue;
    }
    if (c === 0x0d) {
      if (!multi || text.charCodeAt(i + 1) !== 0x0a) return undefined;
      // A CRLF in a multi-line string is read as LF.
      out.push(text.slice(run, i), '\n');
      i += 2;
      run = i;
      continue;
    }
    if (isControl(c)) return undefined;
    if (c !== 0x5c || !basic) {
      i++;
      continue;
    }
    out.push(text.slice(run, i));
    const e = text[i + 1];
    if (e !== undefined && ESCAPES[e] !== undefined) {
      out.push(ESCAPES[e]!);
      i += 2;
    } else if (e !== undefined && HEX_LENGTH[e] !== undefined) {
      const n = HEX_LENGTH[e]!;
      const hex = text.slice(i + 2, i + 2 + n);
      if (hex.length !== n || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
      const cp = parseInt(hex, 16);
      if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return undefined;
      out.push(String.fromCodePoint(cp));
      i += 2 + n;
    } else if (multi) {
      // A line-ending backslash: spaces, then a newline, then every space and newline after it are dropped.
      let j = i + 1;
      while (text[j] === ' ' || text[j] === '\t') j++;
      if (text[j] === '\r' && text[j + 1] === '\n') j++;
      if (text[j] !== '\n') return undefined;
      while (text[j] === ' ' || text[j] === '\t' || text[j] === '\n' || (text[j] === '\r' && text[j + 1] === '\n')) j++;
      i = j;
    } else return undefined;
    run = i;
  }
}
