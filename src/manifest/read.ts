import * as fs from 'node:fs';
import { parseTOML, getStaticTOMLValue, type AST } from 'toml-eslint-parser';
import TOML from '@ltd/j-toml';
import { UserError } from '../errors.js';
import { quickValue } from './quick-value.js';
import { forEachNode, restoreLongTokens, shortenLongTokens } from './long-tokens.js';

export type Eol = '\n' | '\r\n';

/** A Cargo.toml as read from disk: its text, its syntax tree with exact ranges, and the facts edits must keep. */
export interface Manifest {
  /** Absolute path. */
  readonly path: string;
  /** The raw bytes as read; a write is refused if the file no longer has them. */
  readonly bytes: Buffer;
  /** The text without a leading BOM; all AST ranges index into it. */
  readonly text: string;
  readonly bom: boolean;
  /** The file's dominant line ending; new lines are written with it. */
  readonly eol: Eol;
  /** Built on first use (see parseManifest). */
  readonly ast: AST.TOMLProgram;
  /** The plain value of the document. */
  readonly value: TomlTable;
  /** Whether the input is strict TOML 1.0 (older cargo toolchains read nothing else); computed on first use. */
  readonly toml10: boolean;
}

export type TomlValue = string | number | boolean | bigint | Date | TomlValue[] | TomlTable | unknown;
export interface TomlTable {
  [key: string]: TomlValue;
}

export function readManifest(file: string): Manifest {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new UserError(`failed to read manifest: ${ioMessage(e)}`, { file });
  }
  return parseManifest(file, bytes);
}

export function parseManifest(file: string, bytes: Buffer): Manifest {
  const decoded = decodeUtf8(file, bytes);
  const bom = decoded.charCodeAt(0) === 0xfeff;
  const text = bom ? decoded.slice(1) : decoded;
  // Most manifests of a monorepo are only read, never edited: their value comes from the quick reader, and the
  // syntax tree is built the first time something asks for it. Anything the quick reader does not take (including
  // every error) goes to the full parser at once, so errors keep their exact positions.
  const quick = quickValue(text);
  let ast = quick === undefined ? syntaxTree(file, text) : undefined;
  let toml10: boolean | undefined;
  let eol: Eol | undefined;
  return {
    path: file,
    bytes,
    text,
    bom,
    // Only edits need it, so only edited manifests pay for counting line ends.
    get eol() {
      return (eol ??= dominantEol(text));
    },
    get ast() {
      return (ast ??= syntaxTree(file, text));
    },
    value: quick ?? (getStaticTOMLValue(ast!) as TomlTable),
    // The quick reader takes only TOML 1.0; otherwise a second full parse, which only changed manifests need.
    get toml10() {
      return (toml10 ??= quick !== undefined || isToml10(text));
    },
  };
}

function syntaxTree(file: string, text: string): AST.TOMLProgram {
  const ast = parseToml(file, text);
  // Edits read the text itself between nodes; the token and comment lists are never used, and on a monorepo of
  // thousands of manifests they are about a fifth of the memory held until planning ends.
  ast.tokens.length = 0;
  ast.comments.length = 0;
  return ast;
}

/** Parses as cargo does (TOML 1.1, which cargo 1.95 accepts); a syntax error carries its line and column. */
export function parseToml(file: string, text: string): AST.TOMLProgram {
  // toml-eslint-parser lets a carriage return without a line feed through in a few places (at the end of the
  // text, before a comment, before another CR); cargo never does.
  const cr = text.search(/\r(?!\n)/);
  if (cr >= 0) {
    const before = text.slice(0, cr);
    const line = before.split('\n').length;
    throw new UserError('invalid TOML: carriage return must be followed by newline', { file, line, column: [...before.slice(before.lastIndexOf('\n') + 1)].length + 1 });
  }
  let ast: AST.TOMLProgram;
  try {
    const short = shortenLongTokens(text);
    ast = parseTOML(short?.text ?? text, { tomlVersion: '1.1', filePath: file });
    if (short) restoreLongTokens(ast, text, short);
  } catch (e) {
    const err = e as { message?: string; lineNumber?: number; column?: number; index?: number };
    if (typeof err.lineNumber === 'number') {
      // The parser does not say which key; cargo does (`duplicate key \`wasmtime\``), so read it off the text.
      const key = /multiple times/.test(err.message ?? '') && typeof err.index === 'number' ? /^[^\s=\].]+/.exec(text.slice(err.index))?.[0] : undefined;
      const what = key !== undefined ? `duplicate key \`${key.replace(/^["']|["']$/g, '')}\`` : lowerFirst(err.message ?? 'parse error');
      throw new UserError(`invalid TOML: ${what}`, {
        file,
        line: err.lineNumber,
        column: (err.column ?? 0) + 1,
      });
    }
    throw new UserError(`invalid TOML: ${String(err.message ?? e)}`, { file });
  }
  checkLimits(file, ast);
  return ast;
}

/** The largest nesting of arrays and inline tables cargo reads, and the most parts a key may have. */
export const MAX_DEPTH = 80;

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/**
 * What cargo's TOML parser rejects in a document toml-eslint-parser accepts: integers outside 64 bits (signed),
 * float literals that overflow (only `inf` may be infinite), more than 80 nested arrays and inline tables, and
 * keys of more than 80 parts. The first such node in the text is reported.
 */
function checkLimits(file: string, ast: AST.TOMLProgram): void {
  let first: { at: AST.TOMLNode; message: string } | undefined;
  const report = (at: AST.TOMLNode, message: string): void => {
    if (first === undefined || at.range[0] < first.at.range[0]) first = { at, message };
  };
  forEachNode(ast, (node, depth) => {
    switch (node.type) {
      case 'TOMLValue':
        if (node.kind === 'integer' && (node.bigint < I64_MIN || node.bigint > I64_MAX)) {
          report(node, `integer \`${node.number}\` is out of range (cargo reads 64-bit signed integers)`);
        } else if (node.kind === 'float' && !Number.isFinite(node.value) && !Number.isNaN(node.value) && !/^[-+]?inf$/.test(String(node.number))) {
          report(node, 'floating-point number overflowed');
        }
        break;
      case 'TOMLArray':
      case 'TOMLInlineTable':
        if (depth >= MAX_DEPTH) report(node, `more than ${MAX_DEPTH} nested arrays and inline tables (cargo's recursion limit)`);
        break;
      case 'TOMLTable':
      case 'TOMLKeyValue':
        if (node.key.keys.length > MAX_DEPTH) report(node.key, `a key of more than ${MAX_DEPTH} parts (cargo's recursion limit)`);
        break;
      default:
        break;
    }
  });
  if (first !== undefined) {
    throw new UserError(`invalid TOML: ${first.message}`, { file, line: first.at.loc.start.line, column: first.at.loc.start.column + 1 });
  }
}

export function isToml10(text: string): boolean {
  return toml10Value(text) !== NOT_TOML10;
}

export const NOT_TOML10 = Symbol('not TOML 1.0');

/**
 * The document as @ltd/j-toml reads it under strict TOML 1.0, or NOT_TOML10. Its tables have j-toml's own
 * prototype, integers beyond 2^53 are bigints and dates are j-toml's classes (see plainValue).
 */
export function toml10Value(text: string): unknown {
  try {
    return TOML.parse(text, 1.0, '\n', Number.MAX_SAFE_INTEGER);
  } catch {
    return NOT_TOML10;
  }
}

function decodeUtf8(file: string, bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const lines = bytes.subarray(0, at).toString('utf8').split('\n');
    throw new UserError('invalid UTF-8: a manifest must be UTF-8 text', {
      file,
      line: lines.length,
      // Columns count characters, as cargo's do.
      column: [...(lines.at(-1) ?? '')].length + 1,
    });
  }
}

/** Offset of the first byte that does not begin a well-formed UTF-8 sequence (RFC 3629, as TextDecoder reads it). */
function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const c = bytes[i]!;
    // Lead byte -> number of continuation bytes, and the range the first continuation byte must fall in
    // (this excludes overlong forms, UTF-16 surrogates and code points above U+10FFFF).
    const [n, lo, hi] =
      c < 0x80 ? [0, 0x80, 0xbf]
      : c >= 0xc2 && c <= 0xdf ? [1, 0x80, 0xbf]
      : c === 0xe0 ? [2, 0xa0, 0xbf]
      : c === 0xed ? [2, 0x80, 0x9f]
      : c >= 0xe1 && c <= 0xef ? [2, 0x80, 0xbf]
      : c === 0xf0 ? [3, 0x90, 0xbf]
      : c >= 0xf1 && c <= 0xf3 ? [3, 0x80, 0xbf]
      : c === 0xf4 ? [3, 0x80, 0x8f]
      : [-1, 0, 0];
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      const b = bytes[i + k];
      if (b === undefined || b < (k === 1 ? lo : 0x80) || b > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return bytes.length;
}

function dominantEol(text: string): Eol {
  const crlf = text.split('\r\n').length - 1;
  const lf = text.split('\n').length - 1 - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

export function ioMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err && err.code === 'ENOENT') return 'No such file or directory';
  if (err && err.code === 'EACCES') return 'Permission denied';
  if (err && err.code === 'EISDIR') return 'Is a directory';
  return err?.message ?? String(e);
}
