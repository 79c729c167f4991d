/**
 * The quick reader (src/manifest/quick-value.ts) against the full parser. Its contract: when it gives a value,
 * toml-eslint-parser (TOML 1.1, as cargo reads) gives the same value, and the text is TOML 1.0 (@ltd/j-toml
 * accepts it); otherwise it gives nothing and the full parser decides. Checked on every real manifest of the
 * corpus and the fixtures, on chosen hard cases, and on seeded random mutations of real manifests (an accepted
 * mutation must be one the full parser also accepts, with the same value).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { parseTOML, getStaticTOMLValue } from 'toml-eslint-parser';
import TOML from '@ltd/j-toml';
import { quickValue } from '../src/manifest/quick-value.js';
import { corpusDir, fixturesDir } from './paths.js';

const SEED = Number(process.env.PROPERTY_SEED ?? 42);
const MUTATIONS = Number(process.env.QUICK_MUTATIONS ?? 50_000);

function fullValue(text: string): unknown {
  try {
    return getStaticTOMLValue(parseTOML(text, { tomlVersion: '1.1' }));
  } catch {
    return undefined;
  }
}

function isToml10(text: string): boolean {
  try {
    TOML.parse(text, 1.0, '\n', false);
    return true;
  } catch {
    return false;
  }
}

/** The contract, as a failure message (undefined when it holds). */
function breach(text: string): string | undefined {
  const quick = quickValue(text);
  if (quick === undefined) return undefined;
  const full = fullValue(text);
  if (full === undefined) return 'the quick reader accepted text the full parser rejects';
  if (!isDeepStrictEqual(quick, full)) return `values differ: quick ${JSON.stringify(quick)} full ${JSON.stringify(full)}`;
  if (!isToml10(text)) return 'the quick reader accepted text that is not TOML 1.0';
  return undefined;
}

function tomlFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tomlFiles(full));
    else if (e.name.endsWith('.toml')) out.push(full);
  }
  return out.sort();
}

function readText(file: string): string {
  const text = fs.readFileSync(file, 'utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const realManifests = [...tomlFiles(corpusDir), ...tomlFiles(fixturesDir)].map((file) => ({ file, text: readText(file) }));

test('every real manifest: the quick value equals the full parser\'s, and most manifests take the quick path', (t) => {
  if (realManifests.length === 0) t.skip('no corpus or fixtures found');
  let quick = 0;
  for (const { file, text } of realManifests) {
    assert.equal(breach(text), undefined, file);
    if (quickValue(text) !== undefined) quick++;
  }
  // The point of the quick reader is that it serves nearly every manifest; a regression that made it refuse
  // common syntax would keep results right but lose the speed, so it is checked too.
  assert.ok(quick / realManifests.length > 0.95, `only ${quick} of ${realManifests.length} manifests took the quick path`);
});

const accepted: [string, string, unknown][] = [
  ['empty document', '', {}],
  ['comments and blank lines, CRLF', '# top\r\n\r\n[package] # header\r\nname = "a" # value\r\n', { package: { name: 'a' } }],
  ['dotted keys build one table', 'a.b = 1\na.c = "x"\n', { a: { b: 1, c: 'x' } }],
  ['spaces around dots and in headers', '[ target . "cfg(unix)" . dependencies ]\nx = "1"\n', { target: { 'cfg(unix)': { dependencies: { x: '1' } } } }],
  ['a super-table defined after its sub-table', '[a.b]\nx = 1\n[a]\ny = 2\n', { a: { b: { x: 1 }, y: 2 } }],
  ['arrays of tables, and sub-tables of their last element', '[[bin]]\nname = "a"\n[[bin]]\nname = "b"\n[bin.x]\ny = true\n', { bin: [{ name: 'a' }, { name: 'b', x: { y: true } }] }],
  ['inline tables with dotted keys', 'd = { a.b = 1, a.c = 2 }\n', { d: { a: { b: 1, c: 2 } } }],
  ['arrays over several lines, comments, trailing comma', 'f = [\n  "a", # one\n  "b",\n]\n', { f: ['a', 'b'] }],
  ['escapes', String.raw`s = "tab\t quote\" slash\\ \u00e9 \U0001F600"` + '\n', { s: 'tab\t quote" slash\\ é 😀' }],
  ['literal strings keep backslashes', "p = 'C:\\dir'\n", { p: 'C:\\dir' }],
  ['empty quoted key', '"" = 1\n', { '': 1 }],
  ['keys that are names of Object.prototype members', 'constructor = 1\ntoString.x = 2\n', { constructor: 1, toString: { x: 2 } }],
  ['a comment right after a value', 'a = true#c\nb = 10#d\n', { a: true, b: 10 }],
  ['no final newline', 'a = "x"', { a: 'x' }],
];

for (const [name, text, value] of accepted) {
  test(`quick reader accepts: ${name}`, () => {
    assert.deepEqual(quickValue(text), value);
    assert.equal(breach(text), undefined);
  });
}

const refused: [string, string][] = [
  // Errors: the full parser must be the one to report them, with its position.
  ['a duplicate key', 'a = 1\na = 2\n'],
  ['a table defined twice', '[a]\n[a]\n'],
  ['a header over a value', 'a = 1\n[a]\n'],
  ['a header over an inline table', 'a = {}\n[a.b]\n'],
  ['[[x]] over a static array', 'x = []\n[[x]]\n'],
  ['[x] over an array of tables', '[[x]]\n[x]\n'],
  ['a header over a dotted-key table', 'a.b = 1\n[a]\n'],
  ['dotted keys into a header table', '[a.b]\n[a]\nb.c = 1\n'],
  ['dotted keys into an inline table', 'a = { b = 1 }\na.c = 2\n'],
  ['an inline table extended inside itself', 'a = { b = { c = 1 }, b.d = 2 }\n'],
  ['a lone carriage return', 'a = 1\rb = 2\n'],
  ['a control character in a comment', 'a = 1 # \u0001\n'],
  ['a control character in a string', 'a = "\u0007"\n'],
  ['an unknown escape', String.raw`a = "\q"` + '\n'],
  ['a surrogate escape', String.raw`a = "\ud800"` + '\n'],
  ['an unterminated string', 'a = "x\n'],
  ['a missing value', 'a =\n'],
  ['two values on a line', 'a = 1 b = 2\n'],
  ['a leading zero', 'a = 007\n'],
  ['a value glued to a word', 'a = truex\n'],
  ['an empty array element', 'a = [1,,2]\n'],
  ['[[ written apart', '[ [a]]\n'],
  ['a non-ASCII bare key', 'é = 1\n'],
  // Valid TOML outside the subset: the full parser reads these.
  ['a multi-line string', 'a = """\nx"""\n'],
  ['a multi-line literal string', "a = '''x'''\n"],
  ['a float', 'a = 1.5\n'],
  ['a signed integer', 'a = -1\n'],
  ['an integer with underscores', 'a = 1_000\n'],
  ['a hexadecimal integer', 'a = 0xff\n'],
  ['an integer beyond 15 digits', 'a = 1234567890123456\n'],
  ['a date', 'a = 1979-05-27\n'],
  ['TOML 1.1: a newline in an inline table', 'a = { b = 1,\n c = 2 }\n'],
  ['TOML 1.1: a trailing comma in an inline table', 'a = { b = 1, }\n'],
  ['TOML 1.1: the \\e escape', String.raw`a = "\e"` + '\n'],
  ['a key named __proto__', '__proto__ = 1\n'],
  ['a header below a dotted-key table', '[a]\nb.c = 1\n[a.b.d]\n'],
];

for (const [name, text] of refused) {
  test(`quick reader leaves to the full parser: ${name}`, () => {
    assert.equal(quickValue(text), undefined);
  });
}

test(`random mutations of real manifests never break the contract (seed ${SEED}, ${MUTATIONS} cases)`, (t) => {
  const sources = realManifests.filter(({ text }) => quickValue(text) !== undefined && text.length < 20_000);
  if (sources.length === 0) t.skip('no corpus or fixtures found');
  // Characters that matter to TOML's grammar, and a few that do not.
  const alphabet = [...'[]{}=,."\'#\\ \t\n\r_-+:0123456789abcetu\u0000\u007f\u00e9'];
  const edit = fc.record({
    at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
    kind: fc.constantFrom('insert', 'delete', 'replace'),
    text: fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 3 }).map((cs) => cs.join('')),
  });
  fc.assert(
    fc.property(fc.nat({ max: sources.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 3 }), (i, edits) => {
      let text = sources[i]!.text;
      for (const e of edits) {
        const at = Math.floor(e.at * text.length);
        if (e.kind === 'insert') text = text.slice(0, at) + e.text + text.slice(at);
        else if (e.kind === 'delete') text = text.slice(0, at) + text.slice(at + e.text.length);
        else text = text.slice(0, at) + e.text + text.slice(at + e.text.length);
      }
      const problem = breach(text);
      if (problem !== undefined) throw new Error(`${sources[i]!.file} mutated to ${JSON.stringify(text)}: ${problem}`);
    }),
    { seed: SEED, numRuns: MUTATIONS },
  );
});
