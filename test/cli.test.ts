/**
 * End-to-end tests of the command line (options, exit codes, stdout/stderr, colour, JSON, write safety, paths)
 * and of the public API, on small workspaces built in temporary directories.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { copyTree, gitApply, readTree, runCli, tempDir, treeDifferences, type CliResult } from './helpers.js';
import { repoRoot } from './paths.js';
import { apply, plan, UserError } from '../src/index.js';
import { embeddedReleaseData } from '../src/family/release-data.js';
import { planPaths } from '../src/pipeline.js';
import { writeAll } from '../src/output/write.js';

// ---------- workspaces ----------

const ROOT = '[workspace]\nmembers = ["a", "b"]\nresolver = "2"\n';
const A = '[package]\nname = "a"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = "26.0.1"\n';
const B = '[package]\nname = "b"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = { version = "25.0.0", features = ["async"] }\n';
/** The same as B with the closing bracket of the array missing: invalid TOML at 7:54. */
const B_BAD = '[package]\nname = "b"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = { version = "25.0.0", features = ["async" }\n';

const ROOT_AFTER = `${ROOT}\n[workspace.dependencies]\nwasmtime = "26.0.1"\n`;
const A_AFTER = A.replace('wasmtime = "26.0.1"', 'wasmtime = { workspace = true }');
const B_AFTER = B.replace('wasmtime = { version = "25.0.0", features = ["async"] }', 'wasmtime = { workspace = true, features = ["async"] }');

/** The dry-run diff of the standard workspace, run in its directory. */
function expectedDiff(prefix = ''): string {
  const p = prefix;
  return `diff --git a/${p}Cargo.toml b/${p}Cargo.toml
--- a/${p}Cargo.toml
+++ b/${p}Cargo.toml
@@ -1,3 +1,6 @@
 [workspace]
 members = ["a", "b"]
 resolver = "2"
+
+[workspace.dependencies]
+wasmtime = "26.0.1"
diff --git a/${p}a/Cargo.toml b/${p}a/Cargo.toml
--- a/${p}a/Cargo.toml
+++ b/${p}a/Cargo.toml
@@ -3,5 +3,5 @@
 version = "0.1.0"
 edition = "2021"
 
 [dependencies]
-wasmtime = "26.0.1"
+wasmtime = { workspace = true }
diff --git a/${p}b/Cargo.toml b/${p}b/Cargo.toml
--- a/${p}b/Cargo.toml
+++ b/${p}b/Cargo.toml
@@ -3,5 +3,5 @@
 version = "0.1.0"
 edition = "2021"
 
 [dependencies]
-wasmtime = { version = "25.0.0", features = ["async"] }
+wasmtime = { workspace = true, features = ["async"] }
`;
}

const DIFF = expectedDiff();
const HEAD =
  'Cargo.toml (workspace of 2 members): wasmtime family at 26.0.1 (newest requested)\n  lifted into [workspace.dependencies]: wasmtime (2 member entries)\n' +
  '  crate     before            after   members\n  wasmtime  25.0.0, 26.0.1 -> 26.0.1  a, b     major\n';
/** Only a dry run counts the breaking release notes the upgrade crosses. */
const NOTES_LINE = '  note: the upgrade crosses 11 breaking release notes (Changed, Removed, Security Fixes; 26.0.0): `wasmtime-align notes` lists them\n';
const SUMMARY_DRY = `${HEAD}${NOTES_LINE}  3 manifests to change: Cargo.toml, a/Cargo.toml, b/Cargo.toml\n3 files would change (dry run; --write applies it)\n`;
const SUMMARY_CHECK = `${HEAD}  3 manifests to change: Cargo.toml, a/Cargo.toml, b/Cargo.toml\n3 files would change\nhelp: run with --write to apply\n`;
const SUMMARY_WRITE = `${HEAD}  3 manifests changed: Cargo.toml, a/Cargo.toml, b/Cargo.toml\nwrote 3 files\n`;
const SUMMARY_ALIGNED = 'Cargo.toml (workspace of 2 members): wasmtime family at 26.0.1 (newest requested)\n  already aligned\nnothing to change\n';

const USAGE_HEAD = 'Usage: wasmtime-align [OPTIONS] [PATHS]...';
const MORE = "For more information, try '--help'.\n";
const ESC = '\u001b[';

function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  return dir;
}

/** A workspace root with members a (26.0.1) and b (25.0.0, inline table) that needs three files changed. */
function workspace(prefix: string, dir: string = tempDir(prefix)): string {
  return writeFiles(dir, { 'Cargo.toml': ROOT, 'a/Cargo.toml': A, 'b/Cargo.toml': B });
}

/** The standard workspace after --write. */
function assertWritten(dir: string): void {
  assert.equal(fs.readFileSync(path.join(dir, 'Cargo.toml'), 'utf8'), ROOT_AFTER);
  assert.equal(fs.readFileSync(path.join(dir, 'a/Cargo.toml'), 'utf8'), A_AFTER);
  assert.equal(fs.readFileSync(path.join(dir, 'b/Cargo.toml'), 'utf8'), B_AFTER);
}

function assertUnchanged(dir: string, before: Map<string, Buffer>, what = 'nothing may be written'): void {
  assert.deepEqual(treeDifferences(readTree(dir), before), [], what);
}

/** Leftover temporary files of the writer. */
function strayTemps(dir: string): string[] {
  return [...readTree(dir).keys()].filter((f) => /wasmtime-align/.test(f) || f.endsWith('.tmp'));
}

function assertNoStack(r: CliResult): void {
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.doesNotMatch(r.stderr, /internal error/, 'not an internal error');
}

const stripAnsi = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '');

// ---------- 1. --help, --version ----------

test('--help and -h print the usage on stdout and exit 0', () => {
  const dir = workspace('help');
  const before = readTree(dir);
  for (const flag of ['--help', '-h']) {
    const r = runCli([flag], dir);
    assert.equal(r.status, 0, flag);
    assert.ok(r.stdout.startsWith(`${USAGE_HEAD}\n`), `${flag}: ${r.stdout}`);
    for (const opt of ['--to <version>', '--write', '--check', '--json', '--exact', '--no-lift', '--all-keys', '-V, --version']) {
      assert.ok(r.stdout.includes(opt), `${flag} documents ${opt}`);
    }
    assert.equal(r.stderr, '', `${flag} stderr`);
  }
  // --help wins over everything else and plans nothing.
  const r = runCli(['--write', '--help', '.'], dir);
  assert.equal(r.status, 0);
  assert.ok(r.stdout.startsWith(USAGE_HEAD));
  assertUnchanged(dir, before);
});

test('--version and -V print the version from package.json, the release data snapshot and its newest wasmtime', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  const data = embeddedReleaseData();
  const newest = data.resolveLine('wasmtime', 'latest')!.version;
  const dir = tempDir('version');
  for (const args of [['--version'], ['-V'], ['doctor', '--version'], ['--write', '-V', '.']]) {
    const r = runCli(args, dir);
    assert.equal(r.status, 0, args.join(' '));
    assert.equal(r.stdout, `wasmtime-align ${pkg.version} (release data ${data.snapshot}, newest wasmtime ${newest})\n`);
    assert.equal(r.stderr, '');
  }
});

// ---------- 2. usage errors ----------

/** Runs a usage error with and without --write on the standard workspace: exit 2, stdout empty, nothing written. */
function usageError(args: string[], expectedStderr: string | RegExp): void {
  const dir = workspace('usage');
  const before = readTree(dir);
  for (const extra of [[], ['--write']]) {
    if (extra.length > 0 && args.includes('--write')) continue;
    const r = runCli([...extra, ...args], dir);
    assert.equal(r.status, 2, `${[...extra, ...args].join(' ')}: exit status`);
    // With --json the error is also a JSON report on stdout (test/cli-args.test.ts checks it).
    if (args.includes('--json')) assert.match(r.stdout, /^\{\n  "schemaVersion": /, 'stdout');
    else assert.equal(r.stdout, '', 'stdout');
    if (typeof expectedStderr === 'string') assert.equal(r.stderr, expectedStderr);
    else assert.match(r.stderr, expectedStderr);
    assertNoStack(r);
    assertUnchanged(dir, before);
  }
}

test('usage error: unknown option --frobnicate', () => {
  usageError(['--frobnicate'], `error: unexpected argument '--frobnicate' found\n\n${USAGE_HEAD}\n\n${MORE}`);
});

test('usage error: --to without a value (exit 2, one error line, nothing written)', () => {
  usageError(['--to'], new RegExp(`^error: a value is required for '--to[^\\n]*' but none was supplied\\n\\n${escapeRe(USAGE_HEAD)}\\n\\n${escapeRe(MORE)}$`));
  usageError(['--to', '--write'], /^error: a value is required for '--to[^\n]*' but none was supplied\n/);
});

test("usage error: --to without a value names the option as '--to <version>' like the other --to error", () => {
  const dir = tempDir('to-missing');
  for (const args of [['--to'], ['--to', '--check']]) {
    const r = runCli(args, dir);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `error: a value is required for '--to <version>' but none was supplied\n\n${USAGE_HEAD}\n\n${MORE}`, args.join(' '));
  }
});

for (const bad of ['abc', 'v26.0.1', '26.0.1.2', '']) {
  test(`usage error: --to '${bad}' is neither a version, a line, nor latest`, () => {
    const msg = `error: invalid value '${bad}' for '--to <version>': expected a version like 26.0.1, a line like 26, or latest\n\n${MORE}`;
    usageError(['--to', bad], msg);
    usageError([`--to=${bad}`], msg);
  });
}

test('usage error: --write and --check together', () => {
  const msg = `error: the argument '--write' cannot be used with '--check'\n\n${MORE}`;
  usageError(['--write', '--check'], msg);
  usageError(['--check', '--write', '--json'], msg);
});

test('usage error: a value given to a boolean flag is not reported as a missing value', () => {
  const dir = tempDir('bool-value');
  for (const flag of ['--help', '--write', '--json']) {
    const r = runCli([`${flag}=3`], dir);
    assert.equal(r.status, 2, flag);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: /);
    assertNoStack(r);
    assert.doesNotMatch(r.stderr, /a value is required/, `${flag}=3 supplies a value; the message says the opposite:\n${r.stderr}`);
  }
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------- 3. bad paths ----------

test('a path that does not exist: one error line, exit 2', () => {
  const dir = workspace('nopath');
  const before = readTree(dir);
  for (const extra of [[], ['--write'], ['--check']]) {
    const r = runCli([...extra, 'missing'], dir);
    assert.equal(r.status, 2, extra.join(' '));
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'error: missing: no such file or directory\n');
    assertNoStack(r);
  }
  // Also when given together with a good path: nothing of the good one is written.
  const r = runCli(['--write', '.', 'missing'], dir);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'error: missing: no such file or directory\n');
  assertUnchanged(dir, before);
});

test('a path that is a file but not Cargo.toml: one error line, exit 2', () => {
  const dir = workspace('notmanifest');
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello\n');
  const before = readTree(dir);
  for (const extra of [[], ['--write']]) {
    const r = runCli([...extra, 'notes.txt'], dir);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'error: notes.txt: expected a directory or a Cargo.toml file\n');
    assertNoStack(r);
  }
  const r = runCli(['--json', 'notes.txt'], dir);
  assert.equal(r.status, 2);
  const report = JSON.parse(r.stdout) as { errors: unknown[] };
  assert.deepEqual(report.errors, [{ level: 'error', message: 'expected a directory or a Cargo.toml file', file: 'notes.txt' }]);
  assertUnchanged(dir, before);
});

// ---------- 4. exit codes ----------

test('exit codes: dry run 0, --check 1 with the diff, --write 0 and silent, aligned --check 0, errors 2', () => {
  const dir = workspace('exit');
  const before = readTree(dir);

  const dry = runCli([], dir);
  assert.equal(dry.status, 0);
  assert.equal(dry.stdout, DIFF);
  assert.equal(dry.stderr, SUMMARY_DRY);
  assertUnchanged(dir, before, 'a dry run writes nothing');

  const check = runCli(['--check'], dir);
  assert.equal(check.status, 1);
  assert.equal(check.stdout, DIFF);
  assert.equal(check.stderr, SUMMARY_CHECK);
  assertUnchanged(dir, before, '--check writes nothing');

  const write = runCli(['--write'], dir);
  assert.equal(write.status, 0);
  assert.equal(write.stdout, '');
  assert.equal(write.stderr, SUMMARY_WRITE);
  assertWritten(dir);
  assert.deepEqual(strayTemps(dir), []);

  const aligned = runCli(['--check'], dir);
  assert.equal(aligned.status, 0);
  assert.equal(aligned.stdout, '');
  assert.equal(aligned.stderr, SUMMARY_ALIGNED);

  const again = runCli(['--write'], dir);
  assert.equal(again.status, 0);
  assert.equal(again.stdout, '');
  assert.equal(again.stderr, SUMMARY_ALIGNED);

  // An error is 2 in every mode, never 1.
  fs.writeFileSync(path.join(dir, 'b/Cargo.toml'), B_BAD);
  for (const args of [[], ['--check'], ['--write'], ['--json'], ['--check', '--json']]) {
    const r = runCli(args, dir);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stderr, 'error: b/Cargo.toml:7:54: invalid TOML: expected comma (,) token\n', args.join(' '));
    if (!args.includes('--json')) assert.equal(r.stdout, '');
  }
});

// ---------- 5. --json ----------

interface JsonReport {
  schemaVersion: number;
  mode: string;
  changed: boolean;
  roots: { manifest: string; kind: string; members: string[]; target: unknown; lifted: string[]; changedFiles: string[]; findings: unknown[] }[];
  files: { path: string; edits: { table: string; key: string; reasons: string[]; before: unknown; after: unknown }[] }[];
  warnings: unknown[];
  errors: { level: string; file?: string; line?: number; column?: number; message: string }[];
  vendored: unknown[];
  diff: string;
}

const EXPECTED_FILES = [
  { path: 'Cargo.toml', edits: [{ table: 'workspace.dependencies', key: 'wasmtime', reasons: ['lift'], before: null, after: '26.0.1' }] },
  { path: 'a/Cargo.toml', edits: [{ table: 'dependencies', key: 'wasmtime', reasons: ['lift'], before: '26.0.1', after: { workspace: true } }] },
  {
    path: 'b/Cargo.toml',
    edits: [
      {
        table: 'dependencies',
        key: 'wasmtime',
        reasons: ['lift'],
        before: { version: '25.0.0', features: ['async'] },
        after: { workspace: true, features: ['async'] },
      },
    ],
  },
];

test('--json: the report, with diff equal to the dry-run stdout', () => {
  const dir = workspace('json');
  const before = readTree(dir);
  const dry = runCli([], dir);
  const r = runCli(['--json'], dir);
  assert.equal(r.status, 0);
  assert.equal(r.stderr, SUMMARY_DRY, 'the summary still goes to stderr');
  assert.ok(r.stdout.endsWith('}\n'));
  const report = JSON.parse(r.stdout) as JsonReport;
  assert.deepEqual(Object.keys(report), ['schemaVersion', 'mode', 'changed', 'roots', 'files', 'warnings', 'errors', 'vendored', 'diff', 'diffBase']);
  assert.equal(report.schemaVersion, 1);
  assert.equal(report.mode, 'dry-run');
  assert.equal(report.changed, true);
  assert.equal(report.diff, dry.stdout);
  assert.equal(report.diff, DIFF);
  assert.deepEqual(report.files, EXPECTED_FILES);
  assert.deepEqual(report.roots, [
    {
      manifest: 'Cargo.toml',
      kind: 'workspace',
      members: ['a/Cargo.toml', 'b/Cargo.toml'],
      target: { version: '26.0.1', requirement: '26.0.1', operator: '', origin: 'workspace', release: '26.0.1' },
      lifted: ['wasmtime'],
      excluded: [],
      changedFiles: ['Cargo.toml', 'a/Cargo.toml', 'b/Cargo.toml'],
      migrations: [],
      findings: [],
      generated: [],
      crates: [{ name: 'wasmtime', from: ['25.0.0', '26.0.1'], to: '26.0.1', members: ['a/Cargo.toml', 'b/Cargo.toml'] }],
      lock: null, // no Cargo.lock (test/doctor-cli.test.ts has one)
    },
  ]);
  assert.deepEqual(report.warnings, []);
  assert.deepEqual(report.vendored, []);
  assert.deepEqual(report.errors, []);
  assertUnchanged(dir, before);

  // --to is reported as origin "option".
  const to = JSON.parse(runCli(['--json', '--to', '26.0.1'], dir).stdout) as JsonReport;
  assert.deepEqual(to.roots[0]?.target, { version: '26.0.1', requirement: '26.0.1', operator: '', origin: 'option', release: '26.0.1' });
});

test('--json with --check (exit 1) and --write (exit 0, written)', () => {
  const dir = workspace('json-modes');
  const check = runCli(['--json', '--check'], dir);
  assert.equal(check.status, 1);
  const c = JSON.parse(check.stdout) as JsonReport;
  assert.equal(c.mode, 'check');
  assert.equal(c.changed, true);
  assert.equal(c.diff, DIFF);
  assert.equal(check.stderr, SUMMARY_CHECK);

  const write = runCli(['--json', '--write'], dir);
  assert.equal(write.status, 0);
  const w = JSON.parse(write.stdout) as JsonReport;
  assert.equal(w.mode, 'write');
  assert.equal(w.changed, true);
  assert.deepEqual(w.files, EXPECTED_FILES);
  assert.equal(write.stderr, SUMMARY_WRITE);
  assertWritten(dir);

  const aligned = runCli(['--json', '--check'], dir);
  assert.equal(aligned.status, 0);
  const a = JSON.parse(aligned.stdout) as JsonReport;
  assert.equal(a.changed, false);
  assert.deepEqual(a.files, []);
  assert.equal(a.diff, '');
});

test('--json with an invalid member: exit 2, errors[0] with relative file, line, column, message', () => {
  const dir = workspace('json-error');
  fs.writeFileSync(path.join(dir, 'b/Cargo.toml'), B_BAD);
  const before = readTree(dir);
  for (const extra of [[], ['--write'], ['--check']]) {
    const r = runCli(['--json', ...extra], dir);
    assert.equal(r.status, 2, extra.join(' '));
    assert.equal(r.stderr, 'error: b/Cargo.toml:7:54: invalid TOML: expected comma (,) token\n');
    assertNoStack(r);
    const report = JSON.parse(r.stdout) as JsonReport;
    assert.deepEqual(Object.keys(report), ['schemaVersion', 'mode', 'changed', 'roots', 'files', 'warnings', 'errors', 'vendored', 'diff', 'diffBase']);
    assert.equal(report.schemaVersion, 1);
    assert.equal(report.mode, extra.length === 0 ? 'dry-run' : extra[0] === '--write' ? 'write' : 'check');
    assert.equal(report.changed, false);
    assert.equal(report.diff, '');
    assert.equal(report.errors.length, 1);
    assert.deepEqual(report.errors[0], { level: 'error', file: 'b/Cargo.toml', line: 7, column: 54, message: 'invalid TOML: expected comma (,) token' });
  }
  assertUnchanged(dir, before);
});

// ---------- 6. colour ----------

test('colour: none by default when not a terminal, nor with NO_COLOR', () => {
  const dir = workspace('nocolor');
  for (const env of [{ NO_COLOR: undefined }, { NO_COLOR: '1' }, { NO_COLOR: '1', FORCE_COLOR: '0' }, { NO_COLOR: undefined, FORCE_COLOR: '0' }]) {
    const r = runCli([], dir, env);
    assert.equal(r.status, 0);
    assert.equal(r.stdout, DIFF, JSON.stringify(env));
    assert.equal(r.stderr, SUMMARY_DRY, JSON.stringify(env));
    assert.ok(!r.stdout.includes('\u001b') && !r.stderr.includes('\u001b'), JSON.stringify(env));
  }
});

test('colour: FORCE_COLOR=1 colours the diff and the summary, never the JSON', () => {
  const dir = workspace('color');
  for (const env of [{ NO_COLOR: undefined, FORCE_COLOR: '1' }, { NO_COLOR: '1', FORCE_COLOR: '1' }]) {
    const r = runCli([], dir, env);
    assert.equal(r.status, 0);
    assert.equal(stripAnsi(r.stdout), DIFF);
    assert.equal(stripAnsi(r.stderr), SUMMARY_DRY);
    assert.ok(r.stdout.startsWith(`${ESC}1mdiff --git a/Cargo.toml b/Cargo.toml${ESC}22m\n${ESC}1m--- a/Cargo.toml${ESC}22m\n${ESC}1m+++ b/Cargo.toml${ESC}22m\n`));
    assert.ok(r.stdout.includes(`\n${ESC}36m@@ -1,3 +1,6 @@${ESC}39m\n [workspace]\n`));
    assert.ok(r.stdout.includes(`\n${ESC}32m+wasmtime = "26.0.1"${ESC}39m\n`));
    assert.ok(r.stdout.includes(`\n${ESC}31m-wasmtime = "26.0.1"${ESC}39m\n${ESC}32m+wasmtime = { workspace = true }${ESC}39m\n`));
    assert.equal(
      r.stderr,
      `${ESC}1mCargo.toml${ESC}22m (workspace of 2 members): wasmtime family at ${ESC}32m26.0.1${ESC}39m (newest requested)\n` +
        '  lifted into [workspace.dependencies]: wasmtime (2 member entries)\n' +
        '  crate     before            after   members\n' +
        `  wasmtime  25.0.0, 26.0.1 -> 26.0.1  a, b     ${ESC}33mmajor${ESC}39m\n` +
        `  ${ESC}36mnote${ESC}39m: the upgrade crosses 11 breaking release notes (Changed, Removed, Security Fixes; 26.0.0): \`wasmtime-align notes\` lists them\n` +
        '  3 manifests to change: Cargo.toml, a/Cargo.toml, b/Cargo.toml\n' +
        `${ESC}1m3 files would change (dry run; --write applies it)${ESC}22m\n`,
    );
    const json = runCli(['--json'], dir, env);
    assert.ok(!json.stdout.includes('\u001b'), 'JSON stays plain');
    assert.equal((JSON.parse(json.stdout) as JsonReport).diff, DIFF);
  }
});

// ---------- 7. write safety ----------

test('write safety: invalid TOML in one member of several writes nothing', () => {
  const dir = writeFiles(tempDir('partial'), {
    'Cargo.toml': '[workspace]\nmembers = ["a", "b", "c"]\nresolver = "2"\n',
    'a/Cargo.toml': A,
    'b/Cargo.toml': B_BAD,
    'c/Cargo.toml': B.replace('"b"', '"c"'),
  });
  const before = readTree(dir);
  for (const args of [['--write'], ['--write', '--to', '26.0.1'], ['--write', '--json'], ['--write', 'c', 'a']]) {
    const r = runCli(args, dir);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stderr, 'error: b/Cargo.toml:7:54: invalid TOML: expected comma (,) token\n', args.join(' '));
    assertNoStack(r);
    assertUnchanged(dir, before, `${args.join(' ')}: the tree is byte-identical`);
  }
});

test('write safety: a read-only member directory stops the write and nothing is written (skipped as root)', (t) => {
  const dir = workspace('readonly-dir');
  const before = readTree(dir);
  const bdir = path.join(dir, 'b');
  fs.chmodSync(bdir, 0o555);
  try {
    const probe = path.join(bdir, '.probe');
    let rootBypasses = false;
    try {
      fs.writeFileSync(probe, '');
      fs.rmSync(probe);
      rootBypasses = true;
    } catch {
      /* permissions are enforced */
    }
    if (rootBypasses) {
      t.skip('this user (root) writes into a 0555 directory; covered by the immutable-file and programmatic tests');
      return;
    }
    const r = runCli(['--write'], dir);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^error: b\/Cargo\.toml: cannot write: Permission denied; nothing was written\n$/);
    assertUnchanged(dir, before);
  } finally {
    fs.chmodSync(bdir, 0o755);
  }
});

/** Sets or clears the immutable attribute (blocks even root); false when the file system or user cannot. */
function chattr(flag: '+i' | '-i', file: string): boolean {
  return spawnSync('chattr', [flag, file], { encoding: 'utf8' }).status === 0;
}

test('write safety: the last file cannot be replaced (immutable): the files already replaced are restored', (t) => {
  const dir = workspace('immutable-file');
  const before = readTree(dir);
  const target = path.join(dir, 'b/Cargo.toml');
  if (!chattr('+i', target)) {
    t.skip('chattr +i is not available here');
    return;
  }
  try {
    const r = runCli(['--write'], dir);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: b\/Cargo\.toml: cannot replace the file: [^\n]*; files already replaced were restored\n$/);
    assertNoStack(r);
    assertUnchanged(dir, before, 'Cargo.toml and a/Cargo.toml were restored');
    assert.deepEqual(strayTemps(dir), [], 'no temporary file left behind');
  } finally {
    chattr('-i', target);
  }
});

test('write safety: a member directory that cannot take a new file (immutable): nothing is written', (t) => {
  const dir = workspace('immutable-dir');
  const before = readTree(dir);
  const bdir = path.join(dir, 'b');
  if (!chattr('+i', bdir)) {
    t.skip('chattr +i is not available here');
    return;
  }
  try {
    const r = runCli(['--write'], dir);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: b\/Cargo\.toml: cannot write: [^\n]*; nothing was written\n$/);
    assertNoStack(r);
  } finally {
    chattr('-i', bdir);
  }
  assertUnchanged(dir, before);
  assert.deepEqual(strayTemps(dir), []);
});

const opts = { exact: false, lift: true, allKeys: false } as const;

test('write safety (programmatic): a rename that fails midway restores every file already replaced', () => {
  const dir = workspace('rename-fails');
  const before = readTree(dir);
  const p = planPaths([dir], opts);
  assert.equal(p.files.length, 3);
  const cjsFs = createRequire(import.meta.url)('node:fs') as typeof fs;
  const realRename = cjsFs.renameSync;
  let calls = 0;
  const renamed: string[] = [];
  cjsFs.renameSync = ((from: fs.PathLike, to: fs.PathLike) => {
    calls++;
    renamed.push(path.relative(dir, String(to)));
    if (calls === 3) throw Object.assign(new Error(`EXDEV: cross-device link not permitted, rename '${String(from)}' -> '${String(to)}'`), { code: 'EXDEV' });
    realRename(from, to);
  }) as typeof fs.renameSync;
  syncBuiltinESMExports();
  try {
    assert.throws(
      () => writeAll(p.files),
      (e: unknown) => e instanceof UserError && /files already replaced were restored/.test(e.message) && e.location?.file === path.join(dir, 'b/Cargo.toml'),
    );
  } finally {
    cjsFs.renameSync = realRename;
    syncBuiltinESMExports();
  }
  // Three renames into place, the third failing, then the two files already replaced restored, also by rename.
  assert.equal(calls, 5);
  assert.deepEqual(renamed, ['Cargo.toml', 'a/Cargo.toml', 'b/Cargo.toml', 'a/Cargo.toml', 'Cargo.toml']);
  assertUnchanged(dir, before);
  assert.deepEqual(strayTemps(dir), []);
});

test('write safety (programmatic): a target replaced by a directory after planning: nothing written', () => {
  const dir = workspace('target-dir');
  const p = planPaths([dir], opts);
  const b = path.join(dir, 'b/Cargo.toml');
  fs.rmSync(b);
  fs.mkdirSync(b);
  const before = readTree(dir);
  assert.throws(
    () => writeAll(p.files),
    (e: unknown) => e instanceof UserError && /cannot read the file again before writing: Is a directory/.test(e.message) && e.location?.file === b,
  );
  assertUnchanged(dir, before);
  assert.deepEqual(strayTemps(dir), []);
});

test('write safety (programmatic): a file changed on disk between planning and writing: nothing written', () => {
  const dir = workspace('changed-on-disk');
  const p = planPaths([dir], opts);
  const a = path.join(dir, 'a/Cargo.toml');
  fs.writeFileSync(a, `${A}# edited meanwhile\n`);
  const before = readTree(dir);
  assert.throws(
    () => writeAll(p.files),
    (e: unknown) => e instanceof UserError && /changed on disk/.test(e.message) && e.location?.file === a,
  );
  assertUnchanged(dir, before, 'neither the changed file nor the others were written');
  assert.deepEqual(strayTemps(dir), []);

  // The same through the public API.
  const result = plan(dir, { cwd: dir });
  fs.writeFileSync(path.join(dir, 'b/Cargo.toml'), `${B}# edited meanwhile\n`);
  const before2 = readTree(dir);
  assert.throws(() => apply(result), (e: unknown) => e instanceof UserError && /changed on disk/.test(e.message));
  assertUnchanged(dir, before2);
});

test('write safety: written files keep their mode', () => {
  const dir = workspace('mode');
  fs.chmodSync(path.join(dir, 'Cargo.toml'), 0o640);
  fs.chmodSync(path.join(dir, 'a/Cargo.toml'), 0o600);
  fs.chmodSync(path.join(dir, 'b/Cargo.toml'), 0o755);
  const r = runCli(['--write'], dir);
  assert.equal(r.status, 0, r.stderr);
  assertWritten(dir);
  assert.equal(fs.statSync(path.join(dir, 'Cargo.toml')).mode & 0o7777, 0o640);
  assert.equal(fs.statSync(path.join(dir, 'a/Cargo.toml')).mode & 0o7777, 0o600);
  assert.equal(fs.statSync(path.join(dir, 'b/Cargo.toml')).mode & 0o7777, 0o755);
});

test('write safety: a symlinked member manifest is written through the link, the link is kept', () => {
  const dir = workspace('symlink');
  const b = path.join(dir, 'b/Cargo.toml');
  fs.renameSync(b, path.join(dir, 'b/real.toml'));
  fs.symlinkSync('real.toml', b);
  const r = runCli(['--write'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.lstatSync(b).isSymbolicLink(), 'b/Cargo.toml is still a symlink');
  assert.equal(fs.readFileSync(path.join(dir, 'b/real.toml'), 'utf8'), B_AFTER, 'the link target got the edit');
});

// ---------- 8. paths relative to the cwd ----------

test('output paths are relative to the cwd; git apply of the diff equals --write', () => {
  const parent = tempDir('relative');
  workspace('relative', path.join(parent, 'sub'));
  const pristine = copyTree(parent, `${parent}-copy`);

  const dry = runCli(['sub'], parent);
  assert.equal(dry.status, 0);
  assert.equal(dry.stdout, expectedDiff('sub/'));
  assert.ok(dry.stdout.startsWith('diff --git a/sub/Cargo.toml b/sub/Cargo.toml\n'));
  assert.equal(dry.stderr, SUMMARY_DRY.replace(/(^|\s)((?:a\/|b\/)?Cargo\.toml)/g, '$1sub/$2'));

  const report = JSON.parse(runCli(['--json', 'sub'], parent).stdout) as JsonReport;
  assert.deepEqual(
    report.files.map((f) => f.path),
    ['sub/Cargo.toml', 'sub/a/Cargo.toml', 'sub/b/Cargo.toml'],
  );
  assert.equal(report.roots[0]?.manifest, 'sub/Cargo.toml');

  // The same with a trailing slash and with the Cargo.toml itself.
  assert.equal(runCli(['sub/'], parent).stdout, dry.stdout);
  assert.equal(runCli(['sub/Cargo.toml'], parent).stdout, dry.stdout);

  gitApply(pristine, dry.stdout);
  const write = runCli(['--write', 'sub'], parent);
  assert.equal(write.status, 0, write.stderr);
  assertWritten(path.join(parent, 'sub'));
  assert.deepEqual(treeDifferences(readTree(parent), readTree(pristine)), [], 'git apply == --write');
});

// ---------- 9. several paths ----------

test('the summary names the first ten manifests that change and counts the rest (the diff names them all)', () => {
  const names = Array.from({ length: 12 }, (_, i) => `m${String(i).padStart(2, '0')}`);
  const dir = tempDir('many');
  fs.writeFileSync(path.join(dir, 'Cargo.toml'), '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n');
  for (const n of names) {
    fs.mkdirSync(path.join(dir, 'crates', n, 'src'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'crates', n, 'src', 'lib.rs'), '');
    fs.writeFileSync(path.join(dir, 'crates', n, 'Cargo.toml'), `[package]\nname = "${n}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = "26.0.1"\n`);
  }
  const r = runCli([], dir);
  assert.equal(r.status, 0, r.stderr);
  const shown = ['Cargo.toml', ...names.slice(0, 9).map((n) => `crates/${n}/Cargo.toml`)];
  assert.ok(r.stderr.includes(`  13 manifests to change: ${shown.join(', ')} and 3 more\n`), r.stderr);
  for (const n of names) assert.ok(r.stdout.includes(`diff --git a/crates/${n}/Cargo.toml`), n);
});

test('several paths: both workspaces planned, in a deterministic order, identical on a second run', () => {
  const parent = tempDir('several');
  workspace('several', path.join(parent, 'one'));
  writeFiles(path.join(parent, 'two'), {
    'Cargo.toml': '[package]\nname = "two"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = "24.0.0"\nwasmtime-wasi = "25.0.0"\n',
  });
  const before = readTree(parent);

  const r1 = runCli(['two', 'one'], parent);
  const r2 = runCli(['one', 'two'], parent);
  const r3 = runCli(['two', 'one'], parent);
  assert.equal(r1.status, 0);
  assert.equal(r1.stdout, r3.stdout, 'a second run prints the same');
  assert.equal(r1.stderr, r3.stderr);
  assert.equal(r1.stdout, r2.stdout, 'the order of the arguments does not matter');
  assert.equal(r1.stderr, r2.stderr);

  const twoDiff =
    'diff --git a/two/Cargo.toml b/two/Cargo.toml\n--- a/two/Cargo.toml\n+++ b/two/Cargo.toml\n@@ -3,6 +3,6 @@\n version = "0.1.0"\n edition = "2021"\n \n [dependencies]\n-wasmtime = "24.0.0"\n+wasmtime = "25.0.0"\n wasmtime-wasi = "25.0.0"\n';
  assert.equal(r1.stdout, expectedDiff('one/') + twoDiff);
  assert.equal(
    r1.stderr,
    'one/Cargo.toml (workspace of 2 members): wasmtime family at 26.0.1 (newest requested)\n' +
      '  lifted into [workspace.dependencies]: wasmtime (2 member entries)\n' +
      '  crate     before            after   members\n' +
      '  wasmtime  25.0.0, 26.0.1 -> 26.0.1  a, b     major\n' +
      NOTES_LINE +
      '  3 manifests to change: one/Cargo.toml, one/a/Cargo.toml, one/b/Cargo.toml\n' +
      'two/Cargo.toml (package): wasmtime family at 25.0.0 (newest requested)\n' +
      '  crate     before    after   members\n' +
      '  wasmtime  24.0.0 -> 25.0.0  two      major\n' +
      '  note: the upgrade crosses 9 breaking release notes (Changed, Removed, Security Fixes; 25.0.0): `wasmtime-align notes` lists them\n' +
      '  1 manifest to change: two/Cargo.toml\n' +
      '  note: two/Cargo.toml: wasmtime 25.0.0 is older than security fixes on its line: 25.0.2, 25.0.3 (4 advisories); the requirement 25.0.0 admits them (`cargo update` takes 25.0.3; --to 25.0.3 requires it)\n' +
      '4 files would change (dry run; --write applies it)\n',
  );
  // The same path twice, or a directory and a file inside it, plans each file once.
  assert.equal(runCli(['two', 'one', 'two', 'one/a/Cargo.toml'], parent).stdout, r1.stdout);
  assertUnchanged(parent, before);

  const w = runCli(['--write', 'two', 'one'], parent);
  assert.equal(w.status, 0, w.stderr);
  assertWritten(path.join(parent, 'one'));
  assert.equal(runCli(['--check', 'one', 'two'], parent).status, 0);
});

// ---------- 10. a path inside a workspace ----------

test('a path inside a workspace plans the whole workspace', () => {
  const parent = tempDir('inside');
  const ws = workspace('inside', path.join(parent, 'ws'));
  const before = readTree(ws);

  // From the parent, naming the member directory: the root file is in the diff.
  const r = runCli(['ws/a'], parent);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, expectedDiff('ws/'));
  const report = JSON.parse(runCli(['--json', 'ws/b/Cargo.toml'], parent).stdout) as JsonReport;
  assert.deepEqual(report.roots.map((x) => x.manifest), ['ws/Cargo.toml']);
  assert.deepEqual(report.files.map((f) => f.path), ['ws/Cargo.toml', 'ws/a/Cargo.toml', 'ws/b/Cargo.toml']);

  // From inside the member directory (default path "."): still the whole workspace.
  const inside = runCli([], path.join(ws, 'a'));
  assert.equal(inside.status, 0);
  assert.match(inside.stdout, /^diff --git a\/\S*Cargo\.toml b\/\S*Cargo\.toml\n/);
  assert.equal((inside.stdout.match(/^diff --git /gm) ?? []).length, 3, 'all three files');
  assertUnchanged(ws, before);
  const check = runCli(['--check'], path.join(ws, 'a'));
  assert.equal(check.status, 1);

  const w = runCli(['--write', 'ws/a'], parent);
  assert.equal(w.status, 0, w.stderr);
  assertWritten(ws);
});

test('a path inside a workspace: the diff printed in a member directory names files from the workspace root and applies there', () => {
  const ws = workspace('inside-apply');
  const copy = copyTree(ws, `${ws}-copy`);
  const member = path.join(ws, 'a');
  const dry = runCli([], member);
  assert.equal(dry.status, 0);
  // git refuses `../` paths, so the diff is relative to the workspace root, and the summary says where to apply it.
  assert.match(dry.stdout, /^diff --git a\/Cargo.toml b\/Cargo.toml\n/);
  assert.ok(dry.stderr.endsWith(`note: the workspace lies above the current directory, so the diff names files relative to ${ws}: apply it with \`git -C ${ws} apply\`\n`), dry.stderr);
  const json = JSON.parse(runCli(['--json'], member).stdout) as { diffBase: string; diff: string };
  assert.equal(json.diffBase, ws);
  assert.equal(json.diff, dry.stdout);
  gitApply(copy, dry.stdout);
  const w = runCli(['--write'], member);
  assert.equal(w.status, 0, w.stderr);
  assert.deepEqual(treeDifferences(readTree(ws), readTree(copy)), []);
});

// ---------- 11. the public API ----------

test('API: plan() returns the --json report (dry-run) and never writes', () => {
  const parent = tempDir('api-plan');
  const ws = workspace('api-plan', path.join(parent, 'ws'));
  const before = readTree(parent);

  for (const [paths, cwd, options] of [
    [['.'], ws, {}],
    [['ws'], parent, {}],
    [['ws'], parent, { to: '26.0.1' }],
    [['ws'], parent, { exact: true }],
    [['ws'], parent, { lift: false }],
  ] as const) {
    const args: string[] = [...paths];
    if ('to' in options) args.push('--to', options.to);
    if ('exact' in options) args.push('--exact');
    if ('lift' in options) args.push('--no-lift');
    const cli = runCli(['--json', ...args], cwd);
    assert.equal(cli.status, 0, cli.stderr);
    const result = plan(paths.map((p) => path.resolve(cwd, p)), { ...options, cwd });
    assert.equal(result.report.mode, 'dry-run');
    assert.deepEqual(JSON.parse(JSON.stringify(result.report)), JSON.parse(cli.stdout), args.join(' '));
    assert.equal(result.report.diff, runCli(args, cwd).stdout);
  }
  // A single string path works like a one-element array.
  assert.deepEqual(plan(ws, { cwd: ws }).report, plan([ws], { cwd: ws }).report);
  assertUnchanged(parent, before, 'plan() never writes');
});

test('API: plan() on bad input throws UserError with a location', () => {
  const ws = workspace('api-error');
  fs.writeFileSync(path.join(ws, 'b/Cargo.toml'), B_BAD);
  const before = readTree(ws);
  assert.throws(
    () => plan(ws),
    (e: unknown) =>
      e instanceof UserError &&
      e.message === 'invalid TOML: expected comma (,) token' &&
      e.location?.file === path.join(ws, 'b/Cargo.toml') &&
      e.location.line === 7 &&
      e.location.column === 54,
  );
  assertUnchanged(ws, before);
});

test('API: apply() writes the same bytes as --write', () => {
  const viaApi = workspace('api-apply');
  const viaCli = copyTree(viaApi, `${viaApi}-cli`);
  const result = plan(viaApi, { cwd: viaApi });
  assert.equal(result.report.changed, true);
  apply(result);
  const w = runCli(['--write'], viaCli);
  assert.equal(w.status, 0, w.stderr);
  assertWritten(viaApi);
  assert.deepEqual(treeDifferences(readTree(viaApi), readTree(viaCli)), []);
  assert.deepEqual(strayTemps(viaApi), []);
  // A second plan finds nothing to do.
  assert.equal(plan(viaApi, { cwd: viaApi }).report.changed, false);
});
