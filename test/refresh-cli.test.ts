/**
 * The live-refresh path end to end through the CLI: `update-data`, `--refresh` and `--index-url` against a local
 * sparse index (an HTTP server on 127.0.0.1 with ETag support, serving a copy of ../shared/data/crates-index) and
 * against a local directory, with a fresh XDG cache per test.
 *
 * The server runs in a child process and the CLI is spawned asynchronously, with a hard timeout on both, so
 * nothing here can hang the suite.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cliPath, sharedDir } from './paths.js';
import { tempDir as helperTempDir } from './helpers.js';
import { embeddedReleaseData } from '../src/family/release-data.js';
import { indexPath } from '../src/family/index-lines.js';
import { indexCacheDir } from '../src/family/registry.js';

const indexSrc = path.join(sharedDir, 'data', 'crates-index');
const haveIndex = fs.existsSync(path.join(indexSrc, 'wa', 'sm', 'wasmtime'));
const skip = haveIndex ? false : `no crates index at ${indexSrc}`;

/** Every crate the refresh asks for, and those the index copy holds (the rest are 404s / "not in the index"). */
const allCrates = embeddedReleaseData().crates();
const served = haveIndex ? allCrates.filter((c) => fs.existsSync(path.join(indexSrc, ...indexPath(c).split('/')))) : [];
const missing = allCrates.length - served.length;

/** Temp dirs of this file (index copies are 11 MB each), removed when the file is done. */
const made: string[] = [];
const tempDir = (prefix: string): string => {
  const dir = helperTempDir(`refresh-cli-${prefix}`);
  made.push(dir);
  return dir;
};
after(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------------
// The index server (a child process) and the CLI runner (async, time-bounded).

const SERVER = String.raw`
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
const [mode, dir] = process.argv.slice(2);
const stats = { ok: 0, notModified: 0, notFound: 0, conditional: 0, requests: 0 };
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/__stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(stats));
  }
  stats.requests++;
  if (mode === 'hang') return; // accept, never answer
  if (mode === 'stall') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('{"name":"wasmtime",');
    return; // headers and part of a body, then nothing
  }
  const rel = decodeURIComponent(url.pathname).replace(/^\/+/, '');
  let body;
  try {
    if (rel.split('/').includes('..')) throw new Error('no');
    body = fs.readFileSync(path.join(dir, rel)); // read per request: tests edit the served copy
  } catch {
    stats.notFound++;
    res.writeHead(404, { 'content-type': 'text/plain' });
    return res.end('not found');
  }
  const etag = '"' + crypto.createHash('sha256').update(body).digest('hex').slice(0, 20) + '"';
  if (req.headers['if-none-match'] !== undefined) stats.conditional++;
  if (req.headers['if-none-match'] === etag) {
    stats.notModified++;
    res.writeHead(304, { etag });
    return res.end();
  }
  stats.ok++;
  res.writeHead(200, { etag, 'content-type': 'text/plain' });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
// Never outlive the test process.
const parent = setInterval(() => { try { process.kill(Number(process.argv[4]), 0); } catch { process.exit(0); } }, 1000);
parent.unref();
setTimeout(() => process.exit(0), 120_000).unref();
`;

interface Server {
  readonly url: string;
  stats(): Promise<{ ok: number; notModified: number; notFound: number; conditional: number; requests: number }>;
  stop(): Promise<void>;
}

let serverScript: string | undefined;

/** Starts an index server in a child process; stopped when the test ends. */
async function startServer(t: TestContext, mode: 'serve' | 'hang' | 'stall', dir = ''): Promise<Server> {
  if (serverScript === undefined) {
    serverScript = path.join(tempDir('index-server'), 'server.mjs');
    fs.writeFileSync(serverScript, SERVER);
  }
  const child: ChildProcess = spawn(process.execPath, [serverScript, mode, dir, String(process.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  t.after(stop);
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`index server did not start in 10 s: ${err}`)), 10_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`index server exited (${code}): ${err}`));
    });
  });
  const url = `http://127.0.0.1:${port}/`;
  return {
    url,
    async stats() {
      const res = await fetch(`${url}__stats`, { signal: AbortSignal.timeout(5000) });
      return (await res.json()) as Awaited<ReturnType<Server['stats']>>;
    },
    stop,
  };
}

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs the built CLI without blocking the event loop; killed after `timeoutMs`. */
function cli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<Run> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, WASMTIME_ALIGN_DEBUG: undefined, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== null) reject(new Error(`wasmtime-align ${args.join(' ')} killed by ${signal} after ${Date.now() - start} ms\n${stderr}`));
      else resolve({ status: code ?? -1, stdout, stderr, ms: Date.now() - start });
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures.

/** A fresh XDG_CACHE_HOME; the tool's cache is `<it>/wasmtime-align`. */
function freshCache(): { env: NodeJS.ProcessEnv; cacheDir: string } {
  const xdg = tempDir('xdg');
  return { env: { XDG_CACHE_HOME: xdg }, cacheDir: path.join(xdg, 'wasmtime-align') };
}

/** A copy of the crates index to serve (tests may edit it). */
function indexCopy(): string {
  const dir = path.join(tempDir('index'), 'crates-index');
  fs.cpSync(indexSrc, dir, { recursive: true });
  return dir;
}

/** Adds wasmtime 52.0.0 to an index copy: the 37.0.1 line with another `vers` and `rust_version` 1.96.0. */
function addWasmtime52(index: string): void {
  const file = path.join(index, 'wa', 'sm', 'wasmtime');
  const text = fs.readFileSync(file, 'utf8');
  const line = text.split('\n').find((l) => l.includes('"vers":"37.0.1"'));
  assert.ok(line, 'the index copy has wasmtime 37.0.1');
  const obj = JSON.parse(line) as Record<string, unknown>;
  assert.equal(typeof obj.rust_version, 'string', 'wasmtime 37.0.1 declares rust_version');
  const next = { ...obj, vers: '52.0.0', rust_version: '1.96.0' };
  fs.writeFileSync(file, `${text.endsWith('\n') ? text : `${text}\n`}${JSON.stringify(next)}\n`);
}

/** A workspace with one member on wasmtime 37.0.1 and a rust-version the 52.0.0 line (1.96.0) is above. */
function smallWorkspace(): string {
  const dir = path.join(tempDir('refresh-ws'), 'ws');
  fs.mkdirSync(path.join(dir, 'a', 'src'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'Cargo.toml'), '[workspace]\nmembers = ["a"]\nresolver = "2"\n');
  fs.writeFileSync(
    path.join(dir, 'a', 'Cargo.toml'),
    '[package]\nname = "a"\nversion = "0.1.0"\nedition = "2021"\nrust-version = "1.95"\n\n[dependencies]\nwasmtime = "37.0.1"\n',
  );
  fs.writeFileSync(path.join(dir, 'a', 'src', 'lib.rs'), '');
  return dir;
}

function filesBelow(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

/** The cached body of `crate` for the registry at `url`. */
function cachedFile(cacheDir: string, url: string, crate: string): string {
  return path.join(indexCacheDir(cacheDir, url), ...indexPath(crate).split('/'));
}

const summaryLine = (stderr: string): string => stderr.split('\n').find((l) => l.startsWith('release data: ')) ?? '';
const counts = (updated: number, unchanged: number, failed: number) => `release data: ${updated} updated, ${unchanged} unchanged, ${failed} failed`;
const UNKNOWN_52 = /error: wasmtime 52\.0\.0 is not a known release/;
const STACK = /^\s+at .+:\d+:\d+\)?$/m;

function json(r: Run): { roots: { target: { version: string } | null }[] } {
  return JSON.parse(r.stdout) as { roots: { target: { version: string } | null }[] };
}

// ---------------------------------------------------------------------------------------------------------------
// (a) update-data over HTTP, then 304s.

test('update-data fetches every family crate over HTTP into the cache; a second run gets 304s', { skip, timeout: 60_000 }, async (t) => {
  const index = indexCopy();
  const server = await startServer(t, 'serve', index);
  const { env, cacheDir } = freshCache();
  const cwd = tempDir('cwd');

  const first = await cli(['update-data', '--index-url', server.url], cwd, env);
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.stdout, '');
  assert.ok(summaryLine(first.stderr).startsWith(counts(served.length, 0, missing)), first.stderr);
  assert.ok(first.stderr.includes(`(cache: ${cacheDir})`), first.stderr);
  if (missing > 0) assert.match(first.stderr, /^warning: .*not in the index \(HTTP 404\)$/m);
  assert.doesNotMatch(first.stderr, STACK);

  const files = filesBelow(cacheDir);
  assert.equal(files.filter((f) => !f.endsWith('.meta.json')).length, served.length, 'one cached body per served crate');
  assert.equal(files.filter((f) => f.endsWith('.meta.json')).length, served.length, 'one meta file per served crate');
  const body = cachedFile(cacheDir, server.url, 'wasmtime');
  assert.ok(fs.readFileSync(body).equals(fs.readFileSync(path.join(index, 'wa', 'sm', 'wasmtime'))), 'the body is cached exactly as served');
  const meta = JSON.parse(fs.readFileSync(`${body}.meta.json`, 'utf8')) as { url: string; etag?: string };
  assert.equal(meta.url, `${server.url}wa/sm/wasmtime`);
  assert.match(meta.etag ?? '', /^"[0-9a-f]+"$/);
  const s1 = await server.stats();
  assert.equal(s1.ok, served.length);
  assert.equal(s1.conditional, 0, 'nothing cached yet: no validators sent');

  const second = await cli(['update-data', '--index-url', server.url], cwd, env);
  assert.equal(second.status, 0, second.stderr);
  assert.ok(summaryLine(second.stderr).startsWith(counts(0, served.length, missing)), second.stderr);
  const s2 = await server.stats();
  assert.equal(s2.notModified - s1.notModified, served.length, 'every cached crate was answered 304');
  assert.equal(s2.ok, s1.ok, 'no body was sent again');
  t.diagnostic(`update-data: ${first.ms} ms, then ${second.ms} ms (${served.length} crates served, ${missing} not in the index)`);
});

// ---------------------------------------------------------------------------------------------------------------
// (b) A release newer than the embedded data becomes known through the cache.

test('a release published after the snapshot is known once refreshed, and unknown with an empty cache', { skip, timeout: 60_000 }, async (t) => {
  const index = indexCopy();
  const server = await startServer(t, 'serve', index);
  const { env } = freshCache();
  const ws = smallWorkspace();

  const before = await cli(['update-data', '--index-url', server.url], ws, env);
  assert.equal(before.status, 0, before.stderr);
  addWasmtime52(index);
  const refreshed = await cli(['update-data', '--index-url', server.url], ws, env);
  assert.equal(refreshed.status, 0, refreshed.stderr);
  assert.ok(summaryLine(refreshed.stderr).startsWith(counts(1, served.length - 1, missing)), refreshed.stderr);

  // --refresh in the same run, into another fresh cache.
  const inOne = await cli(['--refresh', '--index-url', server.url, '--to', '52.0.0'], ws, freshCache().env);
  assert.equal(inOne.status, 0, inOne.stderr);
  assert.ok(summaryLine(inOne.stderr).startsWith(counts(served.length, 0, missing)), inOne.stderr);
  assert.match(inOne.stdout, /^\+wasmtime = "52\.0\.0"$/m);

  // From here on the data comes from the cache alone: the server is gone.
  await server.stop();
  const dry = await cli(['--to', '52.0.0', '--index-url', server.url], ws, env);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /^\+wasmtime = "52\.0\.0"$/m);
  assert.match(dry.stdout, /^\+wasmtime = \{ workspace = true \}$/m);
  assert.match(dry.stderr, /wasmtime family at 52\.0\.0 \(--to\)/);
  assert.doesNotMatch(dry.stderr, /release data cache/, 'the cache reads cleanly');
  // The overlay's rust_version is the one used for the MSRV check.
  assert.match(dry.stderr, /warning: a\/Cargo\.toml:5:16: `rust-version = "1\.95"` is below 1\.96, the minimum Rust version of wasmtime 52\.0\.0/);

  for (const spec of ['latest', '52', '52.0']) {
    const r = await cli(['--to', spec, '--index-url', server.url, '--json'], ws, env);
    assert.equal(r.status, 0, `--to ${spec}: ${r.stderr}`);
    assert.equal(json(r).roots[0]?.target?.version, '52.0.0', `--to ${spec} resolves through the overlay`);
  }

  const write = await cli(['--to', '52.0.0', '--index-url', server.url, '--write'], ws, env);
  assert.equal(write.status, 0, write.stderr);
  assert.match(fs.readFileSync(path.join(ws, 'Cargo.toml'), 'utf8'), /^wasmtime = "52\.0\.0"$/m);
  const check = await cli(['--to', '52.0.0', '--index-url', server.url, '--check'], ws, env);
  assert.equal(check.status, 0, `aligned after --write: ${check.stdout}${check.stderr}`);

  // Without the cache, 52.0.0 is unknown: exit 2, the message, nothing written.
  const ws2 = smallWorkspace();
  const manifest = fs.readFileSync(path.join(ws2, 'a', 'Cargo.toml'));
  for (const extra of [[], ['--write']]) {
    const cold = await cli(['--to', '52.0.0', '--index-url', server.url, ...extra], ws2, freshCache().env);
    assert.equal(cold.status, 2, cold.stderr);
    assert.match(cold.stderr, UNKNOWN_52);
    assert.match(cold.stderr, /--allow-unknown-version uses it anyway/);
    assert.equal(cold.stderr.trim().split('\n').length, 1, `one line: ${cold.stderr}`);
    assert.equal(cold.stdout, '');
    assert.ok(fs.readFileSync(path.join(ws2, 'a', 'Cargo.toml')).equals(manifest), 'nothing written');
    assert.ok(!fs.readFileSync(path.join(ws2, 'Cargo.toml'), 'utf8').includes('workspace.dependencies'), 'nothing written');
  }
  // The cache is per registry: a run against the default registry does not see the mirror's releases.
  const otherRegistry = await cli(['--to', '52.0.0'], ws2, env);
  assert.equal(otherRegistry.status, 2, otherRegistry.stderr);
  assert.match(otherRegistry.stderr, UNKNOWN_52);
});

// ---------------------------------------------------------------------------------------------------------------
// (c) A registry that fails never fails the run, and never makes it slow.

test('--refresh against an index that answers 404 for everything: warnings, the run still succeeds', { skip, timeout: 60_000 }, async (t) => {
  const empty = tempDir('empty-index');
  const server = await startServer(t, 'serve', empty);
  const { env, cacheDir } = freshCache();
  const ws = smallWorkspace();

  const r = await cli(['--refresh', '--index-url', server.url, '--to', '37.0.1'], ws, env);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
  assert.match(r.stderr, new RegExp(`^warning: ${allCrates.length} crates: not in the index \\(HTTP 404\\)$`, 'm'));
  assert.ok(summaryLine(r.stderr).startsWith(counts(0, 0, allCrates.length)), r.stderr);
  assert.match(r.stdout, /^\+wasmtime = "37\.0\.1"$/m, 'the run goes on with the embedded data');
  assert.doesNotMatch(r.stderr, STACK);
  assert.deepEqual(filesBelow(cacheDir), [], 'nothing cached from 404s');
  assert.equal((await server.stats()).notFound, allCrates.length);

  // update-data alone has nothing to show for it: exit 2, same warnings, still fast.
  const u = await cli(['update-data', '--index-url', server.url], ws, env);
  assert.equal(u.status, 2, u.stderr);
  assert.ok(u.ms < 10_000, `took ${u.ms} ms`);
  assert.ok(summaryLine(u.stderr).startsWith(counts(0, 0, allCrates.length)), u.stderr);
  t.diagnostic(`404 index: --refresh run ${r.ms} ms, update-data ${u.ms} ms`);
});

for (const mode of ['hang', 'stall'] as const) {
  const what = mode === 'hang' ? 'never answers' : 'sends headers and part of a body, then stalls';
  test(`--refresh against a server that ${what}: bounded by the timeout, warnings, the run still succeeds`, { skip, timeout: 60_000 }, async (t) => {
    const server = await startServer(t, mode);
    const { env, cacheDir } = freshCache();
    const ws = smallWorkspace();
    const timeouts = { ...env, WASMTIME_ALIGN_INDEX_TIMEOUT_MS: '500' };

    const r = await cli(['--refresh', '--index-url', server.url, '--to', '37.0.1'], ws, timeouts);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
    assert.match(r.stderr, /^warning: .*(timed out after 500 ms|refresh deadline of 1000 ms reached)$/m);
    assert.ok(summaryLine(r.stderr).startsWith(counts(0, 0, allCrates.length)), r.stderr);
    assert.match(r.stdout, /^\+wasmtime = "37\.0\.1"$/m);
    assert.doesNotMatch(r.stderr, STACK);
    assert.deepEqual(filesBelow(cacheDir), [], 'nothing cached (not even a temp file) from a partial answer');
    assert.ok((await server.stats()).requests > 0, 'the server was asked');

    const u = await cli(['update-data', '--index-url', server.url], ws, timeouts);
    assert.equal(u.status, 2, u.stderr);
    assert.ok(u.ms < 10_000, `took ${u.ms} ms`);
    t.diagnostic(`${mode}: --refresh run ${r.ms} ms, update-data ${u.ms} ms (timeout 500 ms)`);
  });
}

test('--refresh against a port nobody listens on: a warning, the run still succeeds', { skip, timeout: 60_000 }, async (t) => {
  const server = await startServer(t, 'serve', tempDir('empty-index'));
  await server.stop(); // the port is now closed
  const ws = smallWorkspace();
  const r = await cli(['--refresh', '--index-url', server.url, '--to', '37.0.1'], ws, { ...freshCache().env, WASMTIME_ALIGN_INDEX_TIMEOUT_MS: '500' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
  assert.match(r.stderr, /^warning: /m);
  assert.ok(summaryLine(r.stderr).startsWith(counts(0, 0, allCrates.length)), r.stderr);
  assert.doesNotMatch(r.stderr, STACK);
});

// ---------------------------------------------------------------------------------------------------------------
// (d) A local directory works like the server.

test('--index-url pointing at a local directory works like the server', { skip, timeout: 60_000 }, async () => {
  const index = indexCopy();
  const { env, cacheDir } = freshCache();
  const ws = smallWorkspace();

  const first = await cli(['update-data', '--index-url', index], ws, env);
  assert.equal(first.status, 0, first.stderr);
  assert.ok(summaryLine(first.stderr).startsWith(counts(served.length, 0, missing)), first.stderr);
  assert.equal(filesBelow(cacheDir).filter((f) => !f.endsWith('.meta.json')).length, served.length);
  const again = await cli(['update-data', '--index-url', index], ws, env);
  assert.equal(again.status, 0, again.stderr);
  assert.ok(summaryLine(again.stderr).startsWith(counts(0, served.length, missing)), again.stderr);

  addWasmtime52(index);
  const refreshed = await cli(['update-data', '--index-url', index], ws, env);
  assert.ok(summaryLine(refreshed.stderr).startsWith(counts(1, served.length - 1, missing)), refreshed.stderr);

  // Every spelling of the directory shares one cache: a path with a slash, a file:// URL, a relative path.
  const spellings = [index, `${index}${path.sep}`, pathToFileURL(index).href, path.relative(ws, index)];
  for (const spelling of spellings) {
    const r = await cli(['--to', '52.0.0', '--index-url', spelling], ws, env);
    assert.equal(r.status, 0, `--index-url ${spelling}: ${r.stderr}`);
    assert.match(r.stdout, /^\+wasmtime = "52\.0\.0"$/m);
    assert.doesNotMatch(r.stderr, /release data cache/);
  }
  const inOne = await cli(['--refresh', '--index-url', index, '--to', '52.0.0'], ws, freshCache().env);
  assert.equal(inOne.status, 0, inOne.stderr);
  assert.match(inOne.stdout, /^\+wasmtime = "52\.0\.0"$/m);

  const gone = await cli(['update-data', '--index-url', path.join(index, 'nope')], ws, freshCache().env);
  assert.equal(gone.status, 2, gone.stderr);
  assert.match(gone.stderr, /index directory not found/);
  const goneRun = await cli(['--refresh', '--index-url', path.join(index, 'nope'), '--to', '37.0.1'], ws, freshCache().env);
  assert.equal(goneRun.status, 0, goneRun.stderr);
  assert.match(goneRun.stderr, /^warning: .*index directory not found/m);
});

// ---------------------------------------------------------------------------------------------------------------
// (e) A damaged cache is reported and never breaks a run.

test('a corrupted cache file is reported as a warning and the run still works', { skip, timeout: 60_000 }, async (t) => {
  const index = indexCopy();
  addWasmtime52(index);
  const server = await startServer(t, 'serve', index);
  const { env, cacheDir } = freshCache();
  const ws = smallWorkspace();
  const u = await cli(['update-data', '--index-url', server.url], ws, env);
  assert.equal(u.status, 0, u.stderr);
  await server.stop(); // cache only from here

  // Garbage in the wasmtime body: ignored with a warning; the embedded data still serves known releases.
  const body = cachedFile(cacheDir, server.url, 'wasmtime');
  const good = fs.readFileSync(body);
  fs.writeFileSync(body, 'garbage {not json\n');
  const r = await cli(['--to', '37.0.1', '--index-url', server.url], ws, env);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^warning: release data cache: .*wasmtime: ignored: malformed index data/m);
  assert.match(r.stdout, /^\+wasmtime = "37\.0\.1"$/m);
  assert.doesNotMatch(r.stderr, STACK);
  // ... but what only the cache knew is gone (the other crates' files still count).
  const lost = await cli(['--to', '52.0.0', '--index-url', server.url], ws, env);
  assert.equal(lost.status, 2, lost.stderr);
  assert.match(lost.stderr, /^warning: release data cache: /m);
  assert.match(lost.stderr, UNKNOWN_52);

  // Another crate's lines at the wasmtime path.
  fs.copyFileSync(cachedFile(cacheDir, server.url, 'wasmtime-wasi'), body);
  const other = await cli(['--to', '37.0.1', '--index-url', server.url], ws, env);
  assert.equal(other.status, 0, other.stderr);
  assert.match(other.stderr, /^warning: release data cache: .*lists releases of wasmtime-wasi, not wasmtime$/m);

  // A broken meta file: the body still counts, dated by its mtime (reported).
  fs.writeFileSync(body, good);
  fs.writeFileSync(`${body}.meta.json`, '{ broken');
  const meta = await cli(['--to', '52.0.0', '--index-url', server.url], ws, env);
  assert.equal(meta.status, 0, meta.stderr);
  assert.match(meta.stderr, /^warning: release data cache: .*wasmtime\.meta\.json: .*using the file's modification time$/m);
  assert.match(meta.stdout, /^\+wasmtime = "52\.0\.0"$/m);

  // An empty file.
  fs.writeFileSync(body, '');
  const emptied = await cli(['--to', '37.0.1', '--index-url', server.url], ws, env);
  assert.equal(emptied.status, 0, emptied.stderr);
  assert.match(emptied.stderr, /^warning: release data cache: .*wasmtime: ignored: no releases/m);
});

test('a refresh repairs a corrupted cache file, also when the server would answer 304', { skip, timeout: 60_000 }, async (t) => {
  const index = indexCopy();
  addWasmtime52(index);
  const server = await startServer(t, 'serve', index);
  const { env, cacheDir } = freshCache();
  const ws = smallWorkspace();
  assert.equal((await cli(['update-data', '--index-url', server.url], ws, env)).status, 0);

  const body = cachedFile(cacheDir, server.url, 'wasmtime');
  fs.writeFileSync(body, 'garbage {not json\n'); // the meta file (with its ETag) is intact
  const repair = await cli(['update-data', '--index-url', server.url], ws, env);
  assert.equal(repair.status, 0, repair.stderr);
  const r = await cli(['--to', '52.0.0', '--index-url', server.url], ws, env);
  assert.doesNotMatch(r.stderr, /release data cache/, `the corrupted file is still in the cache after update-data:\n${repair.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.readFileSync(body).equals(fs.readFileSync(path.join(index, 'wa', 'sm', 'wasmtime'))), 'the served body is cached again');
});

// ---------------------------------------------------------------------------------------------------------------
// (f) A crate new in the registry joins the family through a refresh, with no change to the code.

test('a refresh follows the lockstep pins of new releases to a crate the data does not know, and it joins the family', { skip, timeout: 60_000 }, async () => {
  const index = indexCopy();
  addWasmtime52(index);
  // wasmtime 52.0.0 pins a brand-new internal crate at its own number.
  const file = path.join(index, 'wa', 'sm', 'wasmtime');
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  const w52 = JSON.parse(lines.pop()!) as { deps: Record<string, unknown>[] };
  w52.deps.push({ name: 'wasmtime-internal-shiny', req: '=52.0.0', features: [], optional: false, default_features: true, target: null, kind: 'normal' });
  fs.writeFileSync(file, [...lines, JSON.stringify(w52)].join('\n') + '\n');
  const shiny = path.join(index, ...indexPath('wasmtime-internal-shiny').split('/'));
  fs.mkdirSync(path.dirname(shiny), { recursive: true });
  fs.writeFileSync(shiny, `${JSON.stringify({ name: 'wasmtime-internal-shiny', vers: '52.0.0', deps: [], features: {}, yanked: false, cksum: '0'.repeat(64), v: 2 })}\n`);

  const ws = path.join(tempDir('shiny-ws'), 'ws');
  for (const [m, deps] of [['a', 'wasmtime = "37.0.1"'], ['b', 'wasmtime = "52.0.0"\nwasmtime-internal-shiny = "52.0.0"']] as const) {
    fs.mkdirSync(path.join(ws, m, 'src'), { recursive: true });
    fs.writeFileSync(path.join(ws, m, 'Cargo.toml'), `[package]\nname = "${m}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n${deps}\n`);
  }
  fs.writeFileSync(path.join(ws, 'Cargo.toml'), '[workspace]\nmembers = ["a", "b"]\nresolver = "2"\n');

  // Without the refresh the crate is nobody's: wasmtime alone is lifted.
  const before = await cli(['--index-url', index], ws, freshCache().env);
  assert.equal(before.status, 0, before.stderr);
  assert.match(before.stderr, /lifted into \[workspace\.dependencies\]: wasmtime \(2 member entries\)/);

  const { env } = freshCache();
  const u = await cli(['update-data', '--index-url', index], ws, env);
  assert.equal(u.status, 0, u.stderr);
  assert.ok(summaryLine(u.stderr).startsWith(counts(served.length + 1, 0, missing)), u.stderr);
  const after = await cli(['--index-url', index], ws, env);
  assert.equal(after.status, 0, after.stderr);
  assert.match(after.stderr, /lifted into \[workspace\.dependencies\]: wasmtime, wasmtime-internal-shiny \(3 member entries\)/);
  assert.match(after.stdout, /^\+wasmtime-internal-shiny = "52\.0\.0"$/m);
});
