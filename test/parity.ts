/**
 * The differential check of the tool's manifest reader against cargo (shared by test/cargo-parity.test.ts and
 * scripts/cargo-parity.mjs). Every case is a document placed in a minimal package: its own headers are moved
 * under `[package.metadata.x]` (which cargo stores and never interprets), so cargo accepts or rejects it for its
 * TOML alone, and the tool reads exactly the same text.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AST } from 'toml-eslint-parser';
import { parseManifest, parseToml } from '../src/manifest/read.js';

export { random } from './random.js';

export const PACKAGE = '[package]\nname = "x"\nversion = "0.1.0"\nedition = "2021"\n\n[package.metadata.x]\n';
const PREFIX = 'package.metadata.x.';

/** A valid document with every table header moved under `[package.metadata.x]`, or undefined if it does not parse. */
export function underMetadata(text: string): string | undefined {
  let ast: AST.TOMLProgram;
  try {
    ast = parseToml('x.toml', text);
  } catch {
    return undefined;
  }
  const at: number[] = [];
  for (const node of ast.body[0]!.body) if (node.type === 'TOMLTable') at.push(node.key.range[0]);
  let out = '';
  let last = 0;
  for (const i of at) {
    out += text.slice(last, i) + PREFIX;
    last = i;
  }
  return PACKAGE + out + text.slice(last);
}

/** The tool's verdict: accepted, or the error line. */
export function toolVerdict(text: string): { ok: boolean; message?: string } {
  try {
    parseManifest('/parity/Cargo.toml', Buffer.from(text, 'utf8'));
    return { ok: true };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

/** Snippets for `[package.metadata.x]`: where cargo's TOML and the tool's reader could differ. */
export const SNIPPETS: readonly string[] = [
  'a = 9223372036854775807', 'a = 9223372036854775808', 'a = -9223372036854775808', 'a = -9223372036854775809',
  'a = 0x7fffffffffffffff', 'a = 0x8000000000000000', 'a = 0o777777777777777777777', 'a = 0b1' + '0'.repeat(63),
  'a = 1e308', 'a = 1e309', 'a = -1e400', 'a = 1e-400', 'a = inf', 'a = -inf', 'a = nan', 'a = +nan', 'a = 1_000', 'a = 1__0',
  'a = 01', 'a = 1.', 'a = .5', 'a = 1e', 'a = 0.1e-5_0', 'a = 1_000.000_1',
  `a = "${'x'.repeat(200_000)}"`, `a = '${'y'.repeat(200_000)}'`, `a = """\n${'z\\n'.repeat(60_000)}"""`, `a = '''\n${'w\n'.repeat(60_000)}'''`,
  `a = "${'\\u00e9'.repeat(40_000)}"`, `"${'k'.repeat(50_000)}" = 1`, `a = [${Array.from({ length: 50_000 }, (_, i) => i).join(', ')}]`,
  `a = ${'1'.repeat(5000)}`, `a = 0x${'0'.repeat(5000)}1`, `a = 0.${'0'.repeat(5000)}1`, `a = "${'x'.repeat(10_000)}\\q"`,
  `a = ${'['.repeat(80)}${']'.repeat(80)}`, `a = ${'['.repeat(81)}${']'.repeat(81)}`, `a = ${'{ b = '.repeat(81)}1${' }'.repeat(81)}`,
  `${Array.from({ length: 80 }, (_, i) => `k${i}`).join('.')} = 1`, `${Array.from({ length: 81 }, (_, i) => `k${i}`).join('.')} = 1`,
  'a = "\\e"', 'a = "\\x41"', 'a = "\\xZZ"', 'a = "\\q"', 'a = "\\ud800"', 'a = "\\U0010FFFF"', 'a = "\\U00110000"', 'a = "\\u00"',
  'a = { b = 1,\n c = 2 }', 'a = { b = 1, }', 'a = {\n}', 'a = 07:32', 'a = 07:32:00', 'a = 1979-05-27', 'a = 1979-02-30', 'a = 1979-05-27T07:32Z',
  'a = 1979-05-27 07:32:00', 'a = 1979-05-27T25:00:00', 'é = 1', '"é" = 1', 'a.é = 1', 'a = 1\na = 2', 'a = 1\na.b = 2', 'a.b = 1\n[package.metadata.x.a]',
  '[package.metadata.x.t]\n[package.metadata.x.t]', '[[package.metadata.x.t]]\n[package.metadata.x.t]', 'a = {}\n[package.metadata.x.a.b]',
  'a = [1, "x"]', 'a = [[1], ["x"]]', 'a = "\u0007"', 'a = 1 # \u0001', 'a = 1\rb = 2', 'a = """\\\n  x"""', "a = '''x''''", 'a = """x"""""',
  'a = """x""""""', 'a = true', 'a = True', 'a = truex', 'a =', '= 1', 'a = 1 b = 2', '__proto__ = 1', 'constructor = { toString = 1 }',
];

/** A mutation of a document: `n` random edits drawn from TOML's grammar, or a snippet appended. */
export function mutate(text: string, rnd: () => number, from = 0): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  if (rnd() < 0.3) return `${text}${text.endsWith('\n') ? '' : '\n'}${pick(SNIPPETS)}\n`;
  const alphabet = [...'[]{}=,."\'#\\ \t\n_-+:0123456789abcetux\u00e9', '\\e', '\\x4', '"""', "'''", '\r\n', '99999999999999999999', '1e999', 'inf', '\u0000'];
  let out = text;
  const edits = 1 + Math.floor(rnd() * 3);
  for (let k = 0; k < edits; k++) {
    const at = from + Math.floor(rnd() * (out.length - from));
    const piece = pick(alphabet);
    const kind = rnd();
    if (kind < 0.4) out = out.slice(0, at) + piece + out.slice(at);
    else if (kind < 0.7) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(rnd() * 3));
    else out = out.slice(0, at) + piece + out.slice(at + piece.length);
  }
  return out;
}

export interface CargoVerdict {
  ok: boolean;
  message: string;
}

/** cargo metadata on each document (in its own package under `dir`), `jobs` at a time. */
export async function cargoVerdicts(dir: string, texts: readonly string[], jobs = 4): Promise<CargoVerdict[]> {
  const out: CargoVerdict[] = new Array(texts.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= texts.length) return;
      const pkg = path.join(dir, `p${i}`);
      fs.mkdirSync(path.join(pkg, 'src'), { recursive: true });
      fs.writeFileSync(path.join(pkg, 'src', 'lib.rs'), '');
      fs.writeFileSync(path.join(pkg, 'Cargo.toml'), texts[i]!);
      out[i] = await new Promise<CargoVerdict>((resolve) => {
        const child = spawn('cargo', ['metadata', '--no-deps', '--offline', '--format-version', '1', '--manifest-path', path.join(pkg, 'Cargo.toml')], {
          env: { ...process.env, RUSTUP_TOOLCHAIN: process.env['RUSTUP_TOOLCHAIN'] ?? 'stable', CARGO_TERM_COLOR: 'never' },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('close', (code) => resolve({ ok: code === 0, message: err.split('\n').find((l) => l.startsWith('error')) ?? err.slice(0, 200) }));
      });
      fs.rmSync(pkg, { recursive: true, force: true });
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  return out;
}

export function hasCargo(): boolean {
  return spawnSync('cargo', ['--version'], { encoding: 'utf8' }).status === 0;
}

/**
 * Documents cargo 1.95 accepts and the tool rejects (with a located error): a line break right before or after `=`
 * inside an inline table. TOML 1.1 allows line breaks between an inline table's pairs, not inside one; cargo's
 * parser is more lenient there, toml-eslint-parser is not, and no tree with exact ranges can be had for it.
 */
export const KNOWN_DIFFERENCES: readonly string[] = ['a = { b =\n 1 }', 'a = { b\n = 1 }', 'a = { b = { c =\r\n 1 } }', 'a = { b = 1, c }', 'a = { c }'];

/**
 * The two kinds of what cargo 1.95 accepts and the tool rejects: a line break around `=` inside an inline table
 * (see above), and a last key without `=` or value in an inline table (`{ b = 1, c }`), which cargo drops without
 * a word (its value is `{ b = 1 }`): no TOML version allows it, and no value can be given for it.
 */
export function isKnownDifference(tool: { ok: boolean; message?: string }, cargo: CargoVerdict): boolean {
  return !tool.ok && cargo.ok && /the key, equals sign, and value must be on the same line|expected equal \(=\) token/.test(tool.message ?? '');
}
