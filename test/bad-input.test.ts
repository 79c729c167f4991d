/**
 * Bad input, in one place: each case runs the built CLI with --write (and a dry run) and checks that it ends
 * with exit 2, exactly one `error: file:line:col: ...` line (or `error: file: ...` where no position applies,
 * or `error: message` for command-line usage), no stack trace, no internal error, and a tree that is
 * byte-identical afterwards. The few inputs that look bad but are fine for cargo (a BOM, a symlink loop that
 * `*` never reaches) must work instead. Some of these are also covered, in more detail, by cli.test.ts and
 * edge-cases.test.ts; this file is the list of them all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTree, runCli, tempDir, treeDifferences, type CliResult } from './helpers.js';
import { planPaths } from '../src/pipeline.js';
import { UserError } from '../src/errors.js';

const ROOT = '[workspace]\nmembers = ["a", "b", "c"]\nresolver = "2"\n';
const pkg = (name: string, deps = 'wasmtime = "25.0.0"\n'): string => `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n${deps}`;
const GOOD = { 'Cargo.toml': ROOT, 'a/Cargo.toml': pkg('a', 'wasmtime = "26.0.1"\n'), 'b/Cargo.toml': pkg('b'), 'c/Cargo.toml': pkg('c') };

function writeFiles(dir: string, files: Record<string, string | Buffer>): string {
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  return dir;
}

/** Every error line of stderr; stack frames and internal errors fail the test. */
function errorLines(r: CliResult): string[] {
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+/, `no stack trace:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error|this is a bug/, `not an internal error:\n${r.stderr}`);
  return r.stderr.split('\n').filter((l) => l.startsWith('error'));
}

/**
 * Runs `args` (dry run and --write) in `cwd` and checks exit 2, one error line matching `expected`, and that
 * nothing under `tree` changed. Returns the error line.
 */
function assertRejected(cwd: string, expected: RegExp, opts: { args?: string[]; tree?: string } = {}): string {
  const tree = opts.tree ?? cwd;
  const before = readTree(tree);
  let line = '';
  const given = opts.args ?? [];
  const runs = [given, [...given, '--write']];
  if (!given.includes('--to')) runs.push([...given, '--write', '--to', '26.0.1']);
  for (const args of runs) {
    const r = runCli(args, cwd);
    assert.equal(r.status, 2, `${args.join(' ')}: exit 2\n${r.stderr}`);
    const errors = errorLines(r);
    assert.equal(errors.length, 1, `${args.join(' ')}: exactly one error line:\n${r.stderr}`);
    line = errors[0]!;
    assert.match(line, expected, args.join(' '));
    assert.equal(r.stdout, '', 'nothing on stdout');
    assert.deepEqual(treeDifferences(readTree(tree), before), [], `${args.join(' ')}: nothing written`);
  }
  return line;
}

/** Runs --write and expects success; returns the result. */
function assertWorks(cwd: string, args: string[] = []): CliResult {
  const r = runCli([...args, '--write'], cwd);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(errorLines(r), []);
  const again = runCli([...args, '--check'], cwd);
  assert.equal(again.status, 0, `a second run changes nothing:\n${again.stdout}${again.stderr}`);
  return r;
}

// ---------------------------------------------------------------------------------------------------------
// TOML and text
// ---------------------------------------------------------------------------------------------------------

test('invalid TOML in one member of many: file:line:col, nothing written', () => {
  const dir = writeFiles(tempDir('bad-toml'), { ...GOOD, 'b/Cargo.toml': pkg('b', 'wasmtime = { version = "25.0.0", features = ["async" }\n') });
  assertRejected(dir, /^error: b\/Cargo\.toml:7:54: invalid TOML: /);
});

test('duplicate keys in a dependency table: file:line:col of the second key', () => {
  const dir = writeFiles(tempDir('dup-key'), { ...GOOD, 'c/Cargo.toml': pkg('c', 'wasmtime = "25.0.0"\nserde = "1"\nwasmtime = "26.0.1"\n') });
  assertRejected(dir, /^error: c\/Cargo\.toml:9:1: invalid TOML: duplicate key `wasmtime`$/m);
});

test('a duplicate key inside an inline table: file:line:col', () => {
  const dir = writeFiles(tempDir('dup-inline'), { ...GOOD, 'c/Cargo.toml': pkg('c', 'wasmtime = { version = "25.0.0", version = "26.0.1" }\n') });
  assertRejected(dir, /^error: c\/Cargo\.toml:7:\d+: invalid TOML: duplicate key `version`$/m);
});

test('table redefinition ([dependencies] twice): file:line:col of the second header', () => {
  const dir = writeFiles(tempDir('table-twice'), { ...GOOD, 'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nserde = "1"\n` });
  assertRejected(dir, /^error: b\/Cargo\.toml:9:\d+: invalid TOML: duplicate key `dependencies`$/m);
});

test('a key defined by dotted keys and then as a [dependencies.wasmtime] table: file:line:col', () => {
  const dir = writeFiles(tempDir('dotted-then-table'), { ...GOOD, 'b/Cargo.toml': `${pkg('b', 'wasmtime.version = "25.0.0"\n')}\n[dependencies.wasmtime]\nfeatures = ["async"]\n` });
  assertRejected(dir, /^error: b\/Cargo\.toml:9:\d+: invalid TOML: /);
});

test('numbers cargo rejects (an integer outside 64 bits, a float that overflows): file:line:col, nothing written', () => {
  for (const [value, what] of [['9223372036854775808', /integer `9223372036854775808` is out of range/], ['-9223372036854775809', /integer `-9223372036854775809` is out of range/], ['1e400', /floating-point number overflowed/]] as const) {
    const dir = writeFiles(tempDir('out-of-range'), { ...GOOD, 'b/Cargo.toml': `${pkg('b')}\n[package.metadata]\nn = ${value}\n` });
    const line = assertRejected(dir, /^error: b\/Cargo\.toml:10:5: invalid TOML: /);
    assert.match(line, what);
  }
});

test('more than 80 nested arrays (cargo\'s recursion limit): file:line:col of the 81st', () => {
  const dir = writeFiles(tempDir('too-deep'), { ...GOOD, 'b/Cargo.toml': `${pkg('b')}\n[package.metadata]\nn = ${'['.repeat(81)}${']'.repeat(81)}\n` });
  assertRejected(dir, /^error: b\/Cargo\.toml:10:85: invalid TOML: more than 80 nested/);
});

test('a 200,000-character string in the root and a member that is edited: no stack overflow, it works', () => {
  const long = 'x'.repeat(200_000);
  const dir = writeFiles(tempDir('long-string'), { ...GOOD, 'Cargo.toml': `${ROOT}\n[workspace.metadata]\nblob = "${long}\\n"\n`, 'b/Cargo.toml': `${pkg('b')}\n[package.metadata]\nblob = '''\n${long}'''\n` });
  assertWorks(dir);
  assert.ok(fs.readFileSync(path.join(dir, 'Cargo.toml'), 'utf8').includes(`blob = "${long}\\n"`));
  assert.ok(fs.readFileSync(path.join(dir, 'b/Cargo.toml'), 'utf8').includes(`blob = '''\n${long}'''`));
});

test('a BOM is not bad input: it works, and the BOM is kept', () => {
  const dir = writeFiles(tempDir('bom'), { ...GOOD, 'b/Cargo.toml': `\ufeff${pkg('b')}`, 'Cargo.toml': `\ufeff${ROOT}` });
  assertWorks(dir);
  for (const f of ['Cargo.toml', 'b/Cargo.toml']) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    assert.ok(text.startsWith('\ufeff') && !text.startsWith('\ufeff\ufeff'), `${f} keeps exactly one BOM`);
  }
  assert.match(fs.readFileSync(path.join(dir, 'b/Cargo.toml'), 'utf8'), /wasmtime = \{ workspace = true \}/);
});

test('a lone CR (not part of CRLF) in a manifest: file:line:col, nothing written', () => {
  const dir = writeFiles(tempDir('lone-cr'), { ...GOOD, 'b/Cargo.toml': pkg('b').replace('name = "b"\n', 'name = "b"\rdescription = "x"\n') });
  // Cargo rejects a bare CR at 2:12 ("carriage return must be followed by newline"), the CR being at 2:11.
  assertRejected(dir, /^error: b\/Cargo\.toml:2:1[12]: invalid TOML: /);
});

test('a lone CR where toml-eslint-parser lets one through (end of file, before a comment, before CRLF): file:line:col', () => {
  for (const [text, at] of [[`${pkg('b')}# end\r`, '8:6'], [pkg('b').replace('[dependencies]\n', '[dependencies]\r# x\n'), '6:15'], [pkg('b').replace('[dependencies]\n', '[dependencies]\r\r\n'), '6:15']] as const) {
    const dir = writeFiles(tempDir('lone-cr-more'), { ...GOOD, 'b/Cargo.toml': text });
    assertRejected(dir, new RegExp(`^error: b/Cargo\\.toml:${at}: invalid TOML: carriage return must be followed by newline$`));
  }
});

test('a lone CR inside a comment is rejected too (TOML forbids control characters in comments)', () => {
  const dir = writeFiles(tempDir('lone-cr-comment'), { ...GOOD, 'b/Cargo.toml': pkg('b').replace('[dependencies]\n', '[dependencies] # one\rtwo\n') });
  assertRejected(dir, /^error: b\/Cargo\.toml:6:\d+: invalid TOML: /);
});

test('invalid UTF-8: the position of the bad byte', () => {
  const text = Buffer.from(pkg('b').replace('edition = "2021"\n', 'edition = "2021"\ndescription = "caf\u00e9 ?"\n'), 'utf8');
  const bad = Buffer.from(text);
  const q = bad.indexOf('?'.charCodeAt(0));
  bad[q] = 0xff; // line 5, column 21 (counting é as one character)
  const dir = writeFiles(tempDir('utf8'), { ...GOOD, 'b/Cargo.toml': bad });
  assertRejected(dir, /^error: b\/Cargo\.toml:5:21: invalid UTF-8/);
});

test('invalid UTF-8 after 0..40 multi-byte characters on an earlier line: always the bad byte\'s line and column', () => {
  const dir = tempDir('utf8-lines');
  const wrong: string[] = [];
  for (let n = 0; n <= 40; n++) {
    const text = `[package]\nname = "b"\n# ${'\u00e9'.repeat(n)}\nversion = "0.1.0"\nedition = "2021"\ndescription = "cafe ?"\n`;
    // With a family crate it is an error; without one the package is skipped with a warning at the same place.
    for (const deps of ['\n[dependencies]\nwasmtime = "26.0.1"\n', '']) {
      const bad = Buffer.from(text + deps, 'utf8');
      bad[bad.indexOf('?'.charCodeAt(0))] = 0xff; // always line 6, column 21
      const name = `c${n}${deps ? '-family' : ''}`;
      const file = path.join(dir, name, 'Cargo.toml');
      writeFiles(dir, { [`${name}/Cargo.toml`]: bad });
      let at: string;
      try {
        const plan = planPaths([file]);
        const w = plan.findings.find((f) => f.level === 'warning' && /names no crate of the wasmtime family, so it was skipped$/.test(f.message));
        at = deps ? 'accepted' : w ? `${w.line}:${w.column}` : 'no warning';
      } catch (e) {
        at = !deps ? `rejected: ${(e as Error).message}` : e instanceof UserError ? `${e.location?.line}:${e.location?.column}` : `not a UserError: ${(e as Error).message}`;
      }
      if (at !== '6:21') wrong.push(`${name} (${n} x \u00e9): ${at}`);
    }
  }
  assert.deepEqual(wrong, [], 'every position is 6:21');
});

test('invalid UTF-8: a truncated multi-byte sequence at the end of the file', () => {
  const bad = Buffer.concat([Buffer.from(`${pkg('b')}# caf`), Buffer.from([0xc3])]);
  const dir = writeFiles(tempDir('utf8-end'), { ...GOOD, 'b/Cargo.toml': bad });
  assertRejected(dir, /^error: b\/Cargo\.toml:8:6: invalid UTF-8/);
});

test('a 10 MB manifest (a huge [workspace.metadata] blob) works or fails cleanly, in bounded time', (t) => {
  const rows: string[] = [];
  let size = 0;
  for (let i = 0; size < 10 * 1024 * 1024; i++) {
    const row = `key-${i} = { value = "${'x'.repeat(40)}", n = ${i}, list = [1, 2, 3] } # ${i}\n`;
    rows.push(row);
    size += row.length;
  }
  const root = `${ROOT}\n[workspace.metadata.blob]\n${rows.join('')}`;
  const dir = writeFiles(tempDir('huge'), { ...GOOD, 'Cargo.toml': root });
  const start = process.hrtime.bigint();
  const r = runCli(['--write'], dir);
  const ms = Number((process.hrtime.bigint() - start) / 1_000_000n);
  t.diagnostic(`10 MB root manifest (${rows.length} metadata keys): exit ${r.status} in ${ms} ms`);
  assert.ok(ms < 60_000, `bounded: ${ms} ms`);
  errorLines(r);
  assert.equal(r.status, 0, `expected to work:\n${r.stderr}`);
  const after = fs.readFileSync(path.join(dir, 'Cargo.toml'), 'utf8');
  assert.ok(after.startsWith(root), 'the blob is kept byte for byte; the new table goes after it');
  assert.match(after.slice(root.length), /^\n\[workspace\.dependencies\]\nwasmtime = "26\.0\.1"\n$/);
});

// ---------------------------------------------------------------------------------------------------------
// File system
// ---------------------------------------------------------------------------------------------------------

test('a member glob `crates/*` next to a symlink loop (crates/a/loop -> ..): `*` matches one level, it works', () => {
  const dir = writeFiles(tempDir('glob-loop'), {
    'Cargo.toml': '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n',
    'crates/a/Cargo.toml': pkg('a'),
    'crates/b/Cargo.toml': pkg('b', 'wasmtime = "26.0.1"\n'),
  });
  fs.symlinkSync('..', path.join(dir, 'crates/a/loop'));
  const r = runCli(['--json'], dir);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { files: { path: string }[] };
  assert.deepEqual(report.files.map((f) => f.path).sort(), ['Cargo.toml', 'crates/a/Cargo.toml', 'crates/b/Cargo.toml']);
  assertWorks(dir);
});

test('a member glob `crates/**` over a symlink loop terminates (works or fails cleanly) in bounded time', (t) => {
  const dir = writeFiles(tempDir('globstar-loop'), {
    'Cargo.toml': '[workspace]\nmembers = ["crates/**"]\nresolver = "2"\n',
    'crates/a/Cargo.toml': pkg('a'),
    'crates/a/b/Cargo.toml': pkg('b', 'wasmtime = "26.0.1"\n'),
  });
  fs.symlinkSync('..', path.join(dir, 'crates/a/loop'));
  fs.symlinkSync('../..', path.join(dir, 'crates/a/b/up'));
  const before = readTree(dir);
  const start = Date.now();
  const r = runCli(['--write'], dir);
  const ms = Date.now() - start;
  t.diagnostic(`crates/** over a loop: exit ${r.status} in ${ms} ms: ${r.stderr.split('\n')[0]}`);
  assert.ok(ms < 30_000, `terminates: ${ms} ms`);
  const errors = errorLines(r);
  if (r.status === 2) {
    // Every member that fails to load is named (each link is one), then the total.
    assert.ok(errors.length === 1 || /^error: could not align 1 root due to \d+ previous errors; nothing was written$/.test(errors.at(-1)!), r.stderr);
    assert.deepEqual(treeDifferences(readTree(dir), before), [], 'nothing written');
  } else {
    assert.equal(r.status, 0, r.stderr);
    // `crates` itself does not match (no manifest), `crates/a` and `crates/a/b` do; nothing through the links.
    assert.match(fs.readFileSync(path.join(dir, 'crates/a/b/Cargo.toml'), 'utf8'), /workspace = true/);
  }
});

test('a member outside the root without a `package.workspace` pointer: one error, nothing written anywhere', () => {
  const base = tempDir('outside-member');
  writeFiles(base, {
    'ws/Cargo.toml': '[workspace]\nmembers = ["a", "../outside"]\nresolver = "2"\n',
    'ws/a/Cargo.toml': pkg('a', 'wasmtime = "26.0.1"\n'),
    'outside/Cargo.toml': pkg('outside'),
  });
  // Placed at the `members` entry that asks for it (`"../outside"`), which is what to fix.
  assertRejected(path.join(base, 'ws'), /^error: Cargo\.toml:2:17: workspace member `\S+outside\/Cargo\.toml` is not hierarchically below the workspace root/, { tree: base });
  // Run from above both, too.
  assertRejected(base, /^error: ws\/Cargo\.toml:2:17: workspace member `outside\/Cargo\.toml` is not hierarchically below/, { args: ['ws'] });
});

test('a path dependency that points to another workspace: the error is placed at the dependency that pulls it in', () => {
  const dir = writeFiles(tempDir('wrong-workspace'), {
    'Cargo.toml': '[workspace]\nmembers = ["a"]\nresolver = "2"\n',
    'a/Cargo.toml': pkg('a', 'wasmtime = "26.0.1"\nb = { path = "../b" }\n'),
    'b/Cargo.toml': '[package]\nname = "b"\nversion = "0.1.0"\nedition = "2021"\nworkspace = "../other"\n',
    'other/Cargo.toml': '[workspace]\nmembers = ["../b"]\nresolver = "2"\n',
  });
  // cargo: "package `…/b/Cargo.toml` is a member of the wrong workspace, expected: …/Cargo.toml, actual: …/other/Cargo.toml".
  assertRejected(dir, /^error: a\/Cargo\.toml:8:5: package `b\/Cargo\.toml` is a member of the wrong workspace: expected Cargo\.toml, actual other\/Cargo\.toml$/);
});

test('a member whose Cargo.toml is a directory: file-level error, nothing written', () => {
  const dir = writeFiles(tempDir('dir-manifest'), { 'Cargo.toml': ROOT, 'a/Cargo.toml': pkg('a', 'wasmtime = "26.0.1"\n'), 'b/Cargo.toml': pkg('b'), 'c/Cargo.toml/README': 'not a file\n' });
  assertRejected(dir, /^error: (Cargo\.toml:2:\d+|c\/Cargo\.toml): .*(c\/Cargo\.toml|Is a directory|directory)/);
});

test('an unreadable member manifest (chmod 000): one error, nothing written (skipped when running as root)', (t) => {
  const dir = writeFiles(tempDir('unreadable'), GOOD);
  const c = path.join(dir, 'c/Cargo.toml');
  fs.chmodSync(c, 0o000);
  try {
    let readable = false;
    try {
      fs.readFileSync(c);
      readable = true;
    } catch {
      /* permissions are enforced */
    }
    if (readable) {
      t.skip('this user (root) reads a 0000 file; the directory-in-place-of-the-file case covers the read failure');
      return;
    }
    assertRejected(dir, /^error: c\/Cargo\.toml(:\d+:\d+)?: .*Permission denied/);
  } finally {
    fs.chmodSync(c, 0o644);
  }
});

test('a symlinked member Cargo.toml pointing outside the workspace root is refused; nothing is written anywhere', () => {
  const base = tempDir('symlink-out');
  writeFiles(base, { 'ws/Cargo.toml': ROOT, 'ws/a/Cargo.toml': pkg('a', 'wasmtime = "26.0.1"\n'), 'ws/c/Cargo.toml': pkg('c'), 'elsewhere/b.toml': pkg('b') });
  fs.mkdirSync(path.join(base, 'ws/b'));
  fs.symlinkSync('../../elsewhere/b.toml', path.join(base, 'ws/b/Cargo.toml'));
  const line = assertRejected(path.join(base, 'ws'), /^error: b\/Cargo\.toml: is a symbolic link to .*elsewhere\/b\.toml, outside the workspace/, { tree: base });
  assert.match(line, /nothing was written/);
  assert.ok(fs.lstatSync(path.join(base, 'ws/b/Cargo.toml')).isSymbolicLink(), 'the link is still a link');
});

test('a symlinked member directory pointing outside the root: the write never lands outside the root', () => {
  const base = tempDir('symlink-dir-out');
  writeFiles(base, { 'ws/Cargo.toml': ROOT, 'ws/a/Cargo.toml': pkg('a', 'wasmtime = "26.0.1"\n'), 'ws/c/Cargo.toml': pkg('c'), 'elsewhere/b/Cargo.toml': pkg('b') });
  fs.symlinkSync('../elsewhere/b', path.join(base, 'ws/b'));
  const outside = fs.readFileSync(path.join(base, 'elsewhere/b/Cargo.toml'));
  const r = runCli(['--write'], path.join(base, 'ws'));
  errorLines(r);
  assert.ok(outside.equals(fs.readFileSync(path.join(base, 'elsewhere/b/Cargo.toml'))), `the file outside the root is untouched (exit ${r.status}: ${r.stderr})`);
  if (r.status === 2) assert.match(r.stderr, /^error: b\/Cargo\.toml: is a symbolic link to .*, outside the workspace/m);
});

// ---------------------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------------------

for (const bad of ['banana', '26.x', 'v26.0.1', '26.0.1.2', '', '>=26']) {
  test(`--to '${bad}' is not a version: usage error, nothing written`, () => {
    const dir = writeFiles(tempDir('bad-to'), GOOD);
    const line = assertRejected(dir, /^error: (invalid value .* for '--to <version>'|a value is required for '--to <version>')/, { args: ['--to', bad] });
    assert.ok(!line.includes('\n'));
  });
}

test('a --to release the data does not know (99.0.0): one error naming the nearest releases, nothing written', () => {
  const dir = writeFiles(tempDir('unknown-to'), GOOD);
  const before = readTree(dir);
  const r = runCli(['--write', '--to', '99.0.0'], dir);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(errorLines(r).length, 1, r.stderr);
  assert.deepEqual(treeDifferences(readTree(dir), before), []);
});

for (const args of [['--write', '--check'], ['--check', '--write'], ['--update-lock'], ['--update-lock', '--check'], ['--write', '--bogus'], ['--to']]) {
  test(`conflicting or malformed options: ${args.join(' ')}`, () => {
    const dir = writeFiles(tempDir('usage'), GOOD);
    const before = readTree(dir);
    const r = runCli(args, dir);
    assert.equal(r.status, 2, r.stderr);
    const errors = errorLines(r);
    assert.equal(errors.length, 1, r.stderr);
    assert.match(errors[0]!, /^error: (the argument '--\w+' cannot be used with '--\w+'|the argument '--update-lock' requires '--write'|unexpected argument '--bogus' found|a value is required for '--to <version>' but none was supplied)$/);
    assert.equal(r.stdout, '');
    assert.deepEqual(treeDifferences(readTree(dir), before), []);
  });
}

test('a path that does not exist among good ones: one error, nothing written', () => {
  const dir = writeFiles(tempDir('missing-path'), GOOD);
  assertRejected(dir, /^error: nope: no such file or directory$/, { args: ['.', 'nope'] });
});

test('a member listed but missing: the members entry position, nothing written', () => {
  const dir = writeFiles(tempDir('missing-member'), { 'Cargo.toml': '[workspace]\nmembers = ["a", "b", "c", "gone"]\nresolver = "2"\n', 'a/Cargo.toml': GOOD['a/Cargo.toml'], 'b/Cargo.toml': GOOD['b/Cargo.toml'], 'c/Cargo.toml': GOOD['c/Cargo.toml'] });
  assertRejected(dir, /^error: Cargo\.toml:2:\d+: failed to load manifest for workspace member `gone`/);
});
