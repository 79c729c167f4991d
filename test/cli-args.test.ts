/**
 * The command line's hygiene: clap-style errors (unknown options with the closest name, options of another
 * command, repeated value options, missing and unexpected values), help per command, `--version`, JSON for usage
 * errors, `--allow-yanked` without a release to allow, a closed stdout pipe, and a refresh from an index that
 * cannot be reached.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { readTree, runCli, tempDir, treeDifferences, writeTree } from './helpers.js';
import { cliPath } from './paths.js';
import { COMMANDS, OPTIONS } from '../src/cli/args.js';
import { helpText } from '../src/cli/usage.js';

const MORE = "For more information, try '--help'.\n";
const RUN_USAGE = 'Usage: wasmtime-align [OPTIONS] [PATHS]...';
const STACK = /^\s+at .+:\d+:\d+\)?$/m;

/** A workspace of two members on 25.0.0 and 26.0.1: a run changes three files. */
function workspace(prefix: string, extraRoot = ''): string {
  return writeTree(tempDir(prefix), {
    'Cargo.toml': `[workspace]\nmembers = ["a", "b"]\nresolver = "2"\n${extraRoot}`,
    'a/Cargo.toml': '[package]\nname = "a"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = "26.0.1"\n',
    'b/Cargo.toml': '[package]\nname = "b"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = "25.0.0"\n',
  });
}

/** Exit 2, the exact stderr, nothing on stdout, nothing written. */
function refused(args: readonly string[], stderr: string, dir = workspace('refused')): void {
  const before = readTree(dir);
  const r = runCli(args, dir);
  assert.equal(r.stderr, stderr, args.join(' '));
  assert.equal(r.status, 2, args.join(' '));
  assert.equal(r.stdout, '', args.join(' '));
  assert.deepEqual(treeDifferences(readTree(dir), before), [], 'nothing written');
}

const clap = (message: string, usage: string | null, tip?: string): string =>
  `error: ${message}\n\n${tip !== undefined ? `  tip: ${tip}\n\n` : ''}${usage !== null ? `${usage}\n\n` : ''}${MORE}`;

// ---------- unknown options, with the closest name ----------

test('an unknown long option: clap\'s error, with the closest option of that command as a tip', () => {
  const dir = workspace('unknown');
  refused(['--wirte'], clap("unexpected argument '--wirte' found", RUN_USAGE, "a similar argument exists: '--write'"), dir);
  refused(['--exlude', 'wasi-common'], clap("unexpected argument '--exlude' found", RUN_USAGE, "a similar argument exists: '--exclude'"), dir);
  refused(['--wirte=1'], clap("unexpected argument '--wirte' found", RUN_USAGE, "a similar argument exists: '--write'"), dir);
  refused(['--frobnicate'], clap("unexpected argument '--frobnicate' found", RUN_USAGE), dir);
  refused(['doctor', '--jsno'], clap("unexpected argument '--jsno' found", 'Usage: wasmtime-align doctor [OPTIONS] [PATHS]...', "a similar argument exists: '--json'"), dir);
});

test('an unknown short option gets the same error as a long one, also inside a cluster', () => {
  const dir = workspace('short');
  refused(['-x'], clap("unexpected argument '-x' found", RUN_USAGE), dir);
  refused(['-hx'], clap("unexpected argument '-x' found", RUN_USAGE), dir);
  refused(['notes', '-w'], clap("unexpected argument '-w' found", 'Usage: wasmtime-align notes [OPTIONS] [PATHS]...'), dir);
  refused(['-h=3'], clap("unexpected value '3' for '-h' found; no more were expected", RUN_USAGE), dir);
});

// ---------- options of another command ----------

test('an option of another command is refused, naming the commands it belongs to', () => {
  const dir = workspace('other-command');
  const doctor = 'Usage: wasmtime-align doctor [OPTIONS] [PATHS]...';
  refused(['doctor', '--exact'], clap("unexpected argument '--exact' found", doctor, "'--exact' is an option of the default run, not of 'doctor'"), dir);
  refused(['doctor', '--write'], clap("unexpected argument '--write' found", doctor, "'--write' is an option of the default run, not of 'doctor'"), dir);
  refused(['doctor', '--to', '26'], clap("unexpected argument '--to' found", doctor, "'--to' is an option of the default run and 'notes', not of 'doctor'"), dir);
  refused(
    ['update-data', '--write'],
    clap("unexpected argument '--write' found", 'Usage: wasmtime-align update-data [OPTIONS]', "'--write' is an option of the default run, not of 'update-data'"),
    dir,
  );
  refused(
    ['update-data', '--json'],
    clap("unexpected argument '--json' found", 'Usage: wasmtime-align update-data [OPTIONS]', "'--json' is an option of the default run, 'doctor' and 'notes', not of 'update-data'"),
    dir,
  );
  refused(['--all'], clap("unexpected argument '--all' found", RUN_USAGE, "'--all' is an option of 'notes', not of the default run"), dir);
  refused(['notes', '--keep-going'], clap("unexpected argument '--keep-going' found", 'Usage: wasmtime-align notes [OPTIONS] [PATHS]...', "'--keep-going' is an option of the default run, not of 'notes'"), dir);
  refused(['update-data', 'somewhere'], clap("unexpected argument 'somewhere' found", 'Usage: wasmtime-align update-data [OPTIONS]'), dir);
});

test('options may come before the command word; a word after -- is a path, never a command', () => {
  const dir = workspace('order');
  const doctor = runCli(['--json', 'doctor'], dir);
  assert.equal(doctor.status, 1, doctor.stderr); // the members ask for different releases
  assert.equal((JSON.parse(doctor.stdout) as { roots: unknown[] }).roots.length, 1);
  // A directory called `doctor` is reached with `--` (or ./doctor).
  const ws = tempDir('cmd-named-dir');
  fs.cpSync(workspace('cmd-named-src'), path.join(ws, 'doctor'), { recursive: true });
  const viaDashes = runCli(['--', 'doctor'], ws);
  assert.equal(viaDashes.status, 0, viaDashes.stderr);
  assert.match(viaDashes.stdout, /^diff --git a\/doctor\/Cargo\.toml b\/doctor\/Cargo\.toml$/m);
  assert.equal(runCli(['./doctor'], ws).stdout, viaDashes.stdout);
});

// ---------- values ----------

test('a value option given twice is refused; --exclude collects every value', () => {
  const dir = workspace('twice');
  refused(['--to', '25', '--to', '26'], clap("the argument '--to <version>' cannot be used multiple times", RUN_USAGE), dir);
  refused(['--to=26', '--check', '--to', '26'], clap("the argument '--to <version>' cannot be used multiple times", RUN_USAGE), dir);
  refused(['notes', '--index-url', 'a', '--index-url=b'], clap("the argument '--index-url <url>' cannot be used multiple times", 'Usage: wasmtime-align notes [OPTIONS] [PATHS]...'), dir);
  const r = runCli(['--exclude', 'wasi-common', '--exclude', 'wiggle,cranelift-*', '--json'], dir);
  assert.equal(r.status, 0, r.stderr);
  // A flag given twice is the flag given once.
  const twice = runCli(['--check', '--check'], dir);
  assert.equal(twice.status, 1, twice.stderr);
});

test('a missing value, and a value given to a flag, word their errors as clap does', () => {
  const dir = workspace('values');
  refused(['--to'], clap("a value is required for '--to <version>' but none was supplied", RUN_USAGE), dir);
  refused(['--to', '--write'], clap("a value is required for '--to <version>' but none was supplied", RUN_USAGE), dir);
  refused(['--exclude'], clap("a value is required for '--exclude <crate>' but none was supplied", RUN_USAGE), dir);
  refused(['update-data', '--index-url'], clap("a value is required for '--index-url <url>' but none was supplied", 'Usage: wasmtime-align update-data [OPTIONS]'), dir);
  refused(['--write=yes'], clap("unexpected value 'yes' for '--write' found; no more were expected", RUN_USAGE), dir);
});

// ---------- --allow-yanked ----------

test('--allow-yanked without a release to allow is refused; with --to, or with a root whose `to` setting names one, it works', () => {
  const dir = workspace('yanked');
  refused(['--allow-yanked'], clap("the argument '--allow-yanked' requires '--to <version>'", null, "name the yanked release with --to, or with a root's `to` setting"), dir);
  refused(['--allow-yanked', '--write'], clap("the argument '--allow-yanked' requires '--to <version>'", null, "name the yanked release with --to, or with a root's `to` setting"), dir);
  refused(['notes', '--allow-yanked'], clap("the argument '--allow-yanked' requires '--to <version>'", null, "name the yanked release with --to, or with a root's `to` setting"), dir);

  // 0.38.2 is a yanked wasmtime release.
  const old = writeTree(tempDir('yanked-old'), { 'Cargo.toml': '[package]\nname = "p"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = "0.38.0"\n' });
  const withTo = runCli(['--to', '0.38.2', '--allow-yanked'], old);
  assert.equal(withTo.status, 0, withTo.stderr);
  assert.match(withTo.stdout, /^\+wasmtime = "0\.38\.2"$/m);
  const setting = writeTree(tempDir('yanked-setting'), {
    'Cargo.toml': '[package]\nname = "p"\nversion = "0.1.0"\nedition = "2021"\n\n[package.metadata.wasmtime-align]\nto = "0.38.2"\n\n[dependencies]\nwasmtime = "0.38.0"\n',
  });
  const bySetting = runCli(['--allow-yanked'], setting);
  assert.equal(bySetting.status, 0, bySetting.stderr);
  assert.match(bySetting.stdout, /^\+wasmtime = "0\.38\.2"$/m);
  const noSetting = runCli([], setting);
  assert.equal(noSetting.status, 2);
  assert.match(noSetting.stderr, /yanked; name it with --allow-yanked/);
});

// ---------- help ----------

test('help, help <command> and <command> --help print that command\'s help on stdout, exit 0', () => {
  const dir = workspace('help');
  const before = readTree(dir);
  const cases: [string[], keyof typeof COMMANDS][] = [
    [['help'], 'run'],
    [['--help'], 'run'],
    [['-h'], 'run'],
    [['help', 'doctor'], 'doctor'],
    [['doctor', '--help'], 'doctor'],
    [['-h', 'doctor'], 'doctor'],
    [['help', 'notes'], 'notes'],
    [['notes', '--help', '--to', '26'], 'notes'],
    [['update-data', '--help'], 'update-data'],
    [['help', 'update-data'], 'update-data'],
    [['help', 'help'], 'help'],
    [['help', '--help'], 'help'],
  ];
  for (const [args, command] of cases) {
    const r = runCli(args, dir);
    assert.equal(r.status, 0, args.join(' '));
    assert.equal(r.stderr, '', args.join(' '));
    assert.equal(r.stdout, helpText(command), args.join(' '));
  }
  assert.deepEqual(treeDifferences(readTree(dir), before), [], 'help plans and writes nothing');
  refused(['help', 'frobnicate'], clap("unrecognized subcommand 'frobnicate'", 'Usage: wasmtime-align help [COMMAND]'), dir);
  refused(['help', 'doctor', 'notes'], clap("unexpected argument 'notes' found", 'Usage: wasmtime-align help [COMMAND]'), dir);
});

test('each command\'s help lists exactly its options; the run\'s help starts with its usage line', () => {
  for (const command of Object.keys(COMMANDS) as (keyof typeof COMMANDS)[]) {
    const text = helpText(command);
    const listed = [...text.matchAll(/^ {2}(?:-\w, | {4})--([\w-]+)/gm)].map((m) => m[1]);
    assert.deepEqual(listed, [...COMMANDS[command]], command);
    for (const name of listed) assert.ok(Object.hasOwn(OPTIONS, name!), name);
  }
  assert.ok(helpText('run').startsWith(`${RUN_USAGE}\n       wasmtime-align <COMMAND> [OPTIONS] [PATHS]...\n`));
  assert.equal(helpText('doctor').split('\n')[0], 'Usage: wasmtime-align doctor [OPTIONS] [PATHS]...');
  assert.ok(!/--all(?![\w-])/.test(helpText('run')), '--all is an option of notes only');
});

// ---------- --json ----------

test('with --json a usage error is also a JSON report on stdout; stderr keeps the human text', () => {
  const dir = workspace('json-usage');
  const report = (mode: string, message: string) =>
    `${JSON.stringify({ schemaVersion: 1, mode, changed: false, roots: [], files: [], warnings: [], errors: [{ level: 'error', message }], vendored: [], diff: '', diffBase: '.' }, null, 2)}\n`;
  const cases: [string[], string, string, string][] = [
    [['--json', '--wirte'], 'dry-run', "unexpected argument '--wirte' found; tip: a similar argument exists: '--write'", clap("unexpected argument '--wirte' found", RUN_USAGE, "a similar argument exists: '--write'")],
    [['--json', '--check', '--to', 'abc'], 'check', "invalid value 'abc' for '--to <version>': expected a version like 26.0.1, a line like 26, or latest", clap("invalid value 'abc' for '--to <version>': expected a version like 26.0.1, a line like 26, or latest", null)],
    [['--write', '--json', '--check'], 'write', "the argument '--write' cannot be used with '--check'", clap("the argument '--write' cannot be used with '--check'", null)],
    [['--json', '--to', '25', '--to', '26'], 'dry-run', "the argument '--to <version>' cannot be used multiple times", clap("the argument '--to <version>' cannot be used multiple times", RUN_USAGE)],
    [['--json', '--allow-yanked'], 'dry-run', "the argument '--allow-yanked' requires '--to <version>'; tip: name the yanked release with --to, or with a root's `to` setting", clap("the argument '--allow-yanked' requires '--to <version>'", null, "name the yanked release with --to, or with a root's `to` setting")],
    [['--json', '--to'], 'dry-run', "a value is required for '--to <version>' but none was supplied", clap("a value is required for '--to <version>' but none was supplied", RUN_USAGE)],
  ];
  for (const [args, mode, message, stderr] of cases) {
    const r = runCli(args, dir);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stderr, stderr, args.join(' '));
    assert.equal(r.stdout, report(mode, message), args.join(' '));
  }
  // `--json` after `--` is a path, not the option; a command without --json prints no JSON.
  assert.equal(runCli(['--wirte', '--', '--json'], dir).stdout, '');
  assert.equal(runCli(['update-data', '--json'], dir).stdout, '');
  const notes = runCli(['notes', '--json', '--al'], dir);
  assert.equal(notes.stdout, report('dry-run', "unexpected argument '--al' found; tip: a similar argument exists: '--all'"));
});

// ---------- a closed pipe ----------

test('a closed stdout pipe (| head -1) ends the run quietly, with the status it would have had', { skip: spawnSync('bash', ['-c', 'true']).status !== 0 ? 'no bash' : false }, () => {
  // 1,000 members: a diff of about 300 KB, far more than a pipe holds, so the write meets the closed pipe.
  const files: Record<string, string> = { 'Cargo.toml': `[workspace]\nmembers = ["m/*"]\nresolver = "2"\n` };
  for (let i = 0; i < 1000; i++) {
    files[`m/m${i}/Cargo.toml`] = `[package]\nname = "m${i}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = "${i % 2 === 0 ? '25.0.0' : '26.0.1'}"\n`;
  }
  const dir = writeTree(tempDir('epipe'), files);
  const err = path.join(dir, 'stderr.txt');
  for (const [args, status] of [['', 0], ['--check', 1], ['--json', 0]] as const) {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${cliPath}" ${args} 2>"${err}" | head -1; echo "\${PIPESTATUS[0]}"`], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    const [first, code] = r.stdout.split('\n');
    assert.equal(first, args === '--json' ? '{' : 'diff --git a/Cargo.toml b/Cargo.toml', args);
    assert.equal(code, String(status), `${args}: exit status`);
    const stderr = fs.readFileSync(err, 'utf8');
    assert.doesNotMatch(stderr, STACK, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Unhandled/, stderr);
    assert.match(stderr, /^1001 files would change/m, 'the summary is still written');
  }
  // Both streams into one closed pipe: nothing but the first line, and no trace.
  const both = spawnSync('bash', ['-c', `"${process.execPath}" "${cliPath}" 2>&1 | head -1; echo "\${PIPESTATUS[0]}"`], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(both.stdout, 'diff --git a/Cargo.toml b/Cargo.toml\n0\n');
});

// ---------- --refresh with no network ----------

/** A TCP server on 127.0.0.1 that counts connections and resets each one at once. */
async function resettingServer(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server = net.createServer((socket) => {
    n++;
    socket.resetAndDestroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/`, connections: () => n, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The CLI, spawned without blocking this process's event loop (the server above lives in it). */
function cliAsync(args: readonly string[], cwd: string): Promise<{ status: number; stdout: string; stderr: string; ms: number }> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: tempDir('refresh-cache') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ status: code ?? -1, stdout, stderr, ms: Date.now() - start });
    });
  });
}

test('--refresh and update-data stop at the first connection failure: one connection, one warning, fast', { timeout: 60_000 }, async (t) => {
  const server = await resettingServer();
  t.after(server.close);
  const dir = workspace('refresh-reset');
  const r = await cliAsync(['--refresh', '--index-url', server.url], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(server.connections(), 1, 'one connection attempt, not one per crate');
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning: '));
  assert.deepEqual(warnings, [`warning: cannot reach the index at ${server.url}, the refresh stopped at the first failure: fetch failed (ECONNRESET)`]);
  assert.match(r.stderr, /^release data: 0 updated, 0 unchanged, \d+ failed/m);
  assert.match(r.stdout, /^diff --git /m, 'the run goes on with the embedded data');
  assert.ok(r.ms < 5_000, `took ${r.ms} ms`);

  const u = await cliAsync(['update-data', '--index-url', server.url], dir);
  assert.equal(u.status, 2, u.stderr);
  assert.equal(server.connections(), 2);
  assert.equal(u.stderr.split('\n').filter((l) => l.startsWith('warning: ')).length, 1, u.stderr);
  assert.doesNotMatch(u.stderr, STACK);

  // A port nobody listens on: refused at once, the same single warning.
  await server.close();
  const closed = await cliAsync(['update-data', '--index-url', server.url], dir);
  assert.equal(closed.status, 2);
  assert.deepEqual(
    closed.stderr.split('\n').filter((l) => l.startsWith('warning: ')),
    [`warning: cannot reach the index at ${server.url}, the refresh stopped at the first failure: fetch failed (ECONNREFUSED)`],
  );
  assert.ok(closed.ms < 5_000, `took ${closed.ms} ms`);
});

// ---------- an unknown feature ----------

test('an unknown feature: the closest name first, --drop-unknown-features second, the list last', () => {
  const dir = writeTree(tempDir('unknown-feature'), {
    'Cargo.toml': '[package]\nname = "p"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = { version = "26.0.1", features = ["asyn", "zzzzzzzz"] }\n',
  });
  const r = runCli([], dir);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^error: Cargo\.toml:7:\d+: `wasmtime`: wasmtime 26\.0\.1 has no feature `asyn`; did you mean `async`\? Or --drop-unknown-features drops it\. Its features: addr2line, /);
  fs.writeFileSync(path.join(dir, 'Cargo.toml'), fs.readFileSync(path.join(dir, 'Cargo.toml'), 'utf8').replace('"asyn", ', ''));
  const far = runCli([], dir);
  assert.match(far.stderr, /^error: Cargo\.toml:7:\d+: `wasmtime`: wasmtime 26\.0\.1 has no feature `zzzzzzzz`; --drop-unknown-features drops it\. Its features: addr2line, /);
});
