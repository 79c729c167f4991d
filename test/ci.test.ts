/**
 * Safe in CI (issue 11 §4): a path that names no Cargo.toml fails, a path inside a package stands for it, every error
 * of a run is reported at once, `--check` says what to do, `--list` names the files, `--message-format github`
 * annotates. Small workspaces in temporary directories, run through the built command.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTree, runCli, tempDir, treeDifferences, writeTree } from './helpers.js';
import { escapeData, escapeProperty, formatAnnotation } from '../src/output/github.js';
import { plan, UserError, UserErrors, userErrors } from '../src/index.js';

const pkg = (name: string, deps: string): string => `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n${deps}`;
const ROOT = '[workspace]\nmembers = ["a", "b"]\nresolver = "2"\n';
/** A workspace that lifts: three files change. */
const GOOD = {
  'Cargo.toml': ROOT,
  'a/Cargo.toml': pkg('a', 'wasmtime = "26.0.1"\n'),
  'b/Cargo.toml': pkg('b', 'wasmtime = { version = "25.0.0", features = ["async"] }\n'),
  'a/src/lib.rs': '',
};

function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('error'));
}

// ---------- no Cargo.toml, a path inside a package ----------

test('a directory with no Cargo.toml in it or above it: exit 2 with --check, in every mode, with the JSON error', () => {
  const dir = tempDir('ci-empty');
  fs.mkdirSync(path.join(dir, 'src'));
  for (const args of [['--check', 'src'], ['src'], ['--write', 'src'], ['--check']]) {
    const r = runCli(args, args.includes('src') ? dir : path.join(dir, 'src'));
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, `error: ${args.includes('src') ? 'src' : '.'}: no Cargo.toml found in it or any parent directory\n`);
  }
  const json = runCli(['--check', '--json', 'src'], dir);
  assert.equal(json.status, 2);
  assert.deepEqual((JSON.parse(json.stdout) as { errors: unknown[] }).errors, [{ level: 'error', message: 'no Cargo.toml found in it or any parent directory', file: 'src' }]);
});

test('a mistyped path next to a good one fails --check, and nothing is written by --write', () => {
  const dir = writeTree(tempDir('ci-typo'), GOOD);
  const before = readTree(dir);
  const r = runCli(['--check', '.', 'crates/aa'], dir);
  assert.equal(r.status, 2);
  assert.deepEqual(errorLines(r.stderr), ['error: crates/aa: no such file or directory']);
  assert.equal(runCli(['--write', '.', 'crates/aa'], dir).status, 2);
  assert.deepEqual(treeDifferences(readTree(dir), before), []);
});

test('a directory inside a package, and its Cargo.toml, stand for its whole workspace, as cargo finds it', () => {
  const dir = writeTree(tempDir('ci-inside'), GOOD);
  const whole = runCli(['--list'], dir);
  assert.equal(whole.stdout, 'Cargo.toml\na/Cargo.toml\nb/Cargo.toml\n');
  for (const [args, cwd] of [[['a/src'], dir], [['a/Cargo.toml'], dir], [[], path.join(dir, 'a', 'src')], [['.'], path.join(dir, 'a', 'src')]] as const) {
    const r = runCli(['--list', '--check', ...args], cwd);
    assert.equal(r.status, 1, `${args.join(' ')} in ${cwd}: ${r.stderr}`);
    const names = r.stdout.split('\n').filter((l) => l !== '').map((l) => path.resolve(cwd, l));
    assert.deepEqual(names, ['Cargo.toml', 'a/Cargo.toml', 'b/Cargo.toml'].map((f) => path.join(dir, f)));
  }
  // A package's own `package.workspace` pointer and the root's `exclude` are respected on the way up.
  writeTree(dir, { 'Cargo.toml': `${ROOT}exclude = ["tools"]\n`, 'tools/gen/Cargo.toml': pkg('gen', 'wasmtime = "25.0.0"\n'), 'tools/gen/src/main.rs': '' });
  const excluded = runCli(['--list', 'tools/gen/src'], dir);
  assert.equal(excluded.status, 0, excluded.stderr);
  assert.equal(excluded.stdout, '', 'a standalone package at 25.0.0 alone has nothing to align');
  assert.match(excluded.stderr, /^tools\/gen\/Cargo\.toml \(package\): wasmtime family at 25\.0\.0/m);
});

test('a directory holding several workspaces below it (and none above) still finds them all', () => {
  const dir = tempDir('ci-several');
  writeTree(path.join(dir, 'one'), GOOD);
  writeTree(path.join(dir, 'two'), GOOD);
  const r = runCli(['--list'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, ['one/Cargo.toml', 'one/a/Cargo.toml', 'one/b/Cargo.toml', 'two/Cargo.toml', 'two/a/Cargo.toml', 'two/b/Cargo.toml'].map((f) => `${f}\n`).join(''));
});

// ---------- every error at once ----------

/** Two roots: one with a missing member and a member that is not TOML, one with a member asking for two unknown features. */
function twoBrokenRoots(): string {
  const dir = tempDir('ci-errors');
  writeTree(path.join(dir, 'one'), {
    'Cargo.toml': '[workspace]\nmembers = ["a", "b", "gone"]\nresolver = "2"\n',
    'a/Cargo.toml': pkg('a', 'wasmtime = "26.0.1"\n'),
    'b/Cargo.toml': pkg('b', 'wasmtime = { version = "25.0.0", features = ["async" }\n'),
  });
  writeTree(path.join(dir, 'two'), {
    'Cargo.toml': ROOT,
    'a/Cargo.toml': pkg('a', 'wasmtime = { version = "26.0.1", features = ["asyn", "cachee"] }\n'),
    'b/Cargo.toml': pkg('b', 'wasmtime-wasi = { version = "26.0.1", features = ["bogus"] }\n'),
  });
  writeTree(path.join(dir, 'three'), GOOD);
  return dir;
}

const EXPECTED_ERRORS = [
  /^error: one\/Cargo\.toml:2:\d+: failed to load manifest for workspace member `one\/gone` referenced by workspace at `one\/Cargo\.toml`/,
  /^error: one\/b\/Cargo\.toml:7:\d+: invalid TOML: /,
  /^error: two\/a\/Cargo\.toml:7:\d+: `wasmtime`: wasmtime 26\.0\.1 has no feature `asyn`; did you mean `async`\?/,
  /^error: two\/a\/Cargo\.toml:7:\d+: `wasmtime`: wasmtime 26\.0\.1 has no feature `cachee`; did you mean `cache`\?/,
  /^error: two\/b\/Cargo\.toml:7:\d+: `wasmtime-wasi`: wasmtime-wasi 26\.0\.1 has no feature `bogus`/,
  /^error: could not align 2 roots due to 5 previous errors; nothing was written$/,
];

test('every error of every root is reported at once, in file order, then the total; nothing is written', () => {
  const dir = twoBrokenRoots();
  const before = readTree(dir);
  for (const args of [[], ['--check'], ['--write']]) {
    const r = runCli(args, dir);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stdout, '');
    const lines = errorLines(r.stderr);
    assert.equal(lines.length, EXPECTED_ERRORS.length, r.stderr);
    lines.forEach((l, i) => assert.match(l, EXPECTED_ERRORS[i]!));
    assert.deepEqual(treeDifferences(readTree(dir), before), [], 'nothing written');
  }
  // The same whichever order the paths come in.
  assert.equal(runCli(['three', 'two', 'one'], dir).stderr, runCli(['one', 'two', 'three'], dir).stderr);
});

test('--json lists every error in `errors`', () => {
  const dir = twoBrokenRoots();
  const r = runCli(['--json', '--check'], dir);
  assert.equal(r.status, 2);
  const report = JSON.parse(r.stdout) as { errors: { level: string; file: string; line: number; message: string }[] };
  assert.deepEqual(report.errors.map((e) => [e.level, e.file, e.line]), [
    ['error', 'one/Cargo.toml', 2],
    ['error', 'one/b/Cargo.toml', 7],
    ['error', 'two/a/Cargo.toml', 7],
    ['error', 'two/a/Cargo.toml', 7],
    ['error', 'two/b/Cargo.toml', 7],
  ]);
  assert.match(report.errors[3]!.message, /no feature `cachee`/);
});

test('--keep-going writes the root without errors and reports every error of the others', () => {
  const dir = twoBrokenRoots();
  const r = runCli(['--keep-going', '--write'], dir);
  assert.equal(r.status, 2);
  assert.equal(errorLines(r.stderr).length, 5, r.stderr);
  assert.match(r.stderr, /\n2 roots were left out because of errors; the others were written \(--keep-going\)\n$/);
  assert.match(fs.readFileSync(path.join(dir, 'three/a/Cargo.toml'), 'utf8'), /wasmtime = \{ workspace = true \}/);
  assert.match(fs.readFileSync(path.join(dir, 'two/a/Cargo.toml'), 'utf8'), /"asyn"/);
});

test('one error alone is one line, without a total', () => {
  const dir = writeTree(tempDir('ci-one-error'), { ...GOOD, 'b/Cargo.toml': pkg('b', 'wasmtime = { version = "25.0.0", features = ["asyn"] }\n') });
  const r = runCli(['--check'], dir);
  assert.equal(r.status, 2);
  assert.equal(errorLines(r.stderr).length, 1, r.stderr);
});

test('API: plan() throws every error at once as UserErrors, each a UserError with its place', () => {
  const dir = twoBrokenRoots();
  assert.throws(
    () => plan(dir),
    (e: unknown) => {
      assert.ok(e instanceof UserErrors && e instanceof UserError);
      assert.equal(userErrors(e).length, 5);
      assert.equal(e.roots, 2);
      assert.ok(userErrors(e).every((one) => one.location?.line !== undefined));
      return true;
    },
  );
});

// ---------- --check, --list ----------

test('--check ends with a help line when something would change, and not when all is aligned', () => {
  const dir = writeTree(tempDir('ci-hint'), GOOD);
  const r = runCli(['--check'], dir);
  assert.equal(r.status, 1);
  assert.ok(r.stderr.endsWith('3 files would change\nhelp: run with --write to apply\n'), r.stderr);
  assert.equal(runCli(['--write'], dir).status, 0);
  const aligned = runCli(['--check'], dir);
  assert.equal(aligned.status, 0);
  assert.doesNotMatch(aligned.stderr, /help:/);
});

test('--list prints only the paths that would change: dry run 0, --check 1, --write lists what it wrote, then nothing', () => {
  const parent = tempDir('ci-list');
  const dir = writeTree(path.join(parent, 'ws'), GOOD);
  const dry = runCli(['--list'], dir);
  assert.equal(dry.status, 0);
  assert.equal(dry.stdout, 'Cargo.toml\na/Cargo.toml\nb/Cargo.toml\n');
  assert.match(dry.stderr, /3 files would change/);
  const check = runCli(['--list', '--check', 'ws'], parent);
  assert.equal(check.status, 1);
  assert.equal(check.stdout, 'ws/Cargo.toml\nws/a/Cargo.toml\nws/b/Cargo.toml\n');
  // From inside a member, files above the working directory are named by absolute paths, as in every message.
  const inside = runCli(['--list'], path.join(dir, 'a'));
  assert.equal(inside.stdout, `${path.join(dir, 'Cargo.toml')}\nCargo.toml\n${path.join(dir, 'b', 'Cargo.toml')}\n`);
  assert.doesNotMatch(inside.stderr, /git -C/, 'no diff, no advice on applying it');
  const write = runCli(['--list', '--write'], dir);
  assert.equal(write.status, 0);
  assert.equal(write.stdout, 'Cargo.toml\na/Cargo.toml\nb/Cargo.toml\n');
  const again = runCli(['--list', '--check'], dir);
  assert.equal(again.status, 0);
  assert.equal(again.stdout, '');
});

test('--list with --json is a usage error', () => {
  const dir = writeTree(tempDir('ci-list-json'), GOOD);
  const r = runCli(['--list', '--json'], dir);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, "error: the argument '--list' cannot be used with '--json'\n\nFor more information, try '--help'.\n");
});

// ---------- --message-format github ----------

test('--message-format github: a file outside GITHUB_WORKSPACE is named in the message, not as a file GitHub would misplace', () => {
  const repo = tempDir('ci-github-outside');
  const dir = writeTree(tempDir('ci-github-outside-ws'), GOOD);
  const r = runCli(['--check', '--message-format', 'github'], dir, { GITHUB_WORKSPACE: repo });
  assert.equal(r.status, 1);
  const annotations = r.stderr.split('\n').filter((l) => l.startsWith('::'));
  assert.deepEqual(annotations, [
    '::error title=wasmtime-align::Cargo.toml:3: would be changed by wasmtime-align (run it with --write to apply)',
    '::error title=wasmtime-align::a/Cargo.toml:7: would be changed by wasmtime-align (run it with --write to apply)',
    '::error title=wasmtime-align::b/Cargo.toml:7: would be changed by wasmtime-align (run it with --write to apply)',
  ]);
});

test('--message-format github: the normal output, then one annotation per changed file on stderr (--check: errors)', () => {
  const dir = writeTree(tempDir('ci-github'), { ...GOOD, 'b/Cargo.toml': `# b\n${pkg('b', 'wasmtime = { version = "25.0.0", features = ["async"] }\n')}` });
  const human = runCli(['--check'], dir);
  const r = runCli(['--check', '--message-format', 'github'], dir, { GITHUB_WORKSPACE: '' });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, human.stdout, 'the diff is unchanged');
  assert.equal(
    r.stderr,
    human.stderr +
      '::error file=Cargo.toml,line=3,title=wasmtime-align::would be changed by wasmtime-align (run it with --write to apply)\n' +
      '::error file=a/Cargo.toml,line=7,title=wasmtime-align::would be changed by wasmtime-align (run it with --write to apply)\n' +
      '::error file=b/Cargo.toml,line=8,title=wasmtime-align::would be changed by wasmtime-align (run it with --write to apply)\n',
  );
  // A dry run makes them notices; with --json stdout stays the report alone.
  const dry = runCli(['--json', '--message-format=github'], dir, { GITHUB_WORKSPACE: '' });
  assert.equal(dry.status, 0);
  assert.doesNotThrow(() => JSON.parse(dry.stdout));
  assert.match(dry.stderr, /^::notice file=a\/Cargo\.toml,line=7,title=wasmtime-align::would be changed/m);
});

test('--message-format github: errors and warnings with file, line and column; paths relative to GITHUB_WORKSPACE', () => {
  const repo = tempDir('ci-github-errors');
  const dir = writeTree(path.join(repo, 'ws'), {
    ...GOOD,
    'a/Cargo.toml': pkg('a', 'wasmtime = { version = "26.0.1", features = ["asyn", "cachee"] }\n'),
  });
  const r = runCli(['--check', '--message-format', 'github'], dir, { GITHUB_WORKSPACE: repo });
  assert.equal(r.status, 2);
  const annotations = r.stderr.split('\n').filter((l) => l.startsWith('::'));
  assert.equal(annotations.length, 2, r.stderr);
  assert.match(annotations[0]!, /^::error file=ws\/a\/Cargo\.toml,line=7,col=45,title=wasmtime-align::`wasmtime`: wasmtime 26\.0\.1 has no feature `asyn`; did you mean `async`\? Or --drop-unknown-features drops it\. Its features: addr2line, /);
  assert.match(annotations[1]!, /^::error file=ws\/a\/Cargo\.toml,line=7,col=45,title=wasmtime-align::.*no feature `cachee`/);
  // Before the annotations, the usual error lines.
  assert.equal(errorLines(r.stderr).length, 3);

  writeTree(dir, { 'a/Cargo.toml': pkg('a', 'wasmtime = "26.0.1"\n'), 'Cargo.toml': `${ROOT}\n[patch.crates-io]\nwasmtime = { path = "../wasmtime" }\n` });
  const warned = runCli(['--message-format', 'github'], dir, { GITHUB_WORKSPACE: repo });
  assert.equal(warned.status, 0, warned.stderr);
  assert.match(warned.stderr, /^::warning file=ws\/Cargo\.toml,title=wasmtime-align::\[patch\.crates-io\] replaces `wasmtime`: the patched copy must be a release that meets 26\.0\.1, or cargo ignores the patch$/m);
});

test('--message-format: an unknown value is a usage error listing the possible values', () => {
  const dir = writeTree(tempDir('ci-format'), GOOD);
  const r = runCli(['--message-format', 'json'], dir);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, "error: invalid value 'json' for '--message-format <fmt>'\n  [possible values: human, github]\n\nFor more information, try '--help'.\n");
  assert.equal(runCli(['--message-format', 'human', '--check'], dir).stderr, runCli(['--check'], dir).stderr);
});

test('annotations escape %, CR and LF in messages, and also : and , in properties', () => {
  assert.equal(escapeData('50% a\r\nb: c, d'), '50%25 a%0D%0Ab: c, d');
  assert.equal(escapeProperty('a:b,c%'), 'a%3Ab%2Cc%25');
  const cwd = '/repo';
  assert.equal(
    formatAnnotation({ level: 'warning', file: '/repo/x,y/Cargo.toml', line: 2, message: 'two\nlines' }, cwd, {}),
    '::warning file=x%2Cy/Cargo.toml,line=2,title=wasmtime-align::two%0Alines\n',
  );
  assert.equal(formatAnnotation({ level: 'error', message: 'no place' }, cwd, {}), '::error title=wasmtime-align::no place\n');
});
