import * as fs from 'node:fs';
import { parseTOML, getStaticTOMLValue, type AST } from 'toml-eslint-parser';
import TOML from '@ltd/j-toml';
import { UserError } from '../errors.js';

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
  const ast = parseToml(file, text);
  let toml10: boolean | undefined;
  return {
    path: file,
    bytes,
    text,
    bom,
    eol: dominantEol(text),
    ast,
    value: getStaticTOMLValue(ast) as TomlTable,
    // A second full parse: only the manifests that change ever need to know.
    get toml10() {
      return (toml10 ??= isToml10(text));
    },
  };
}

/** Parses as cargo does (TOML 1.1, which cargo 1.95 accepts); a syntax error carries its line and column. */
export function parseToml(file: string, text: string): AST.TOMLProgram {
  try {
    return parseTOML(text, { tomlVersion: '1.1', filePath: file });
  } catch (e) {
    const err = e as { message?: string; lineNumber?: number; column?: number };
    if (typeof err.lineNumber === 'number') {
      throw new UserError(`invalid TOML: ${lowerFirst(err.message ?? 'parse error')}`, {
        file,
        line: err.lineNumber,
        column: (err.column ?? 0) + 1,
      });
    }
    throw new UserError(`invalid TOML: ${String(err.message ?? e)}`, { file });
  }
}

export function isToml10(text: string): boolean {
  try {
    TOML.parse(text, 1.0, '\n', false);
    return true;
  } catch {
    return false;
  }
}

function decodeUtf8(file: string, bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const before = bytes.subarray(0, at).toString('utf8');
    const lines = before.split('\n');
    throw new UserError('invalid UTF-8: a manifest must be UTF-8 text', {
      file,
      line: lines.length,
      column: (lines.at(-1)?.length ?? 0) + 1,
    });
  }
}

/** Offset of the first byte that does not start a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let lo = 0;
  let hi = bytes.length;
  // Binary search on the longest valid prefix (a prefix may end inside a sequence, so back off 3 bytes).
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      decoder.decode(bytes.subarray(0, mid), { stream: true });
      decoder.decode();
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return lo;
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
