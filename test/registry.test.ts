import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { indexPath, parseIndexLines } from '../src/family/index-lines.js';
import { defaultCacheDir, indexCacheDir, indexCacheKey, readCache, refreshIndex } from '../src/family/registry.js';
import { tempDir } from './helpers.js';
import { sharedDir } from './paths.js';

const indexDir = path.join(sharedDir, 'data', 'crates-index');
const haveIndex = fs.existsSync(indexDir);

/** Every crate in the shared snapshot (file names are crate names). */
function snapshotCrates(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.isFile()) out.push(e.name);
    }
  };
  walk(indexDir);
  return out.sort();
}

const snapshotText = (crate: string): string => fs.readFileSync(path.join(indexDir, indexPath(crate)), 'utf8');
const cachedFile = (cacheDir: string, url: string, crate: string): string => path.join(indexCacheDir(cacheDir, url), indexPath(crate));

/**
 * A sparse-index server over the shared snapshot, with ETag / Last-Modified revalidation. Names pick special
 * behaviours: `slow-*` answers after 10 s, `broken-*` with 500. `bodies` replaces a crate's file (a changed or
 * malformed copy); `noEtag` serves only Last-Modified for a crate.
 */
class IndexServer {
  readonly bodies = new Map<string, string>();
  readonly noEtag = new Set<string>();
  readonly served = new Map<number, number>();
  readonly seen: { crate: string; ifNoneMatch?: string; ifModifiedSince?: string }[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  count(status: number): number {
    return this.served.get(status) ?? 0;
  }

  private reply(res: http.ServerResponse, status: number, headers: Record<string, string> = {}, body = ''): void {
    this.served.set(status, this.count(status) + 1);
    res.writeHead(status, headers).end(body);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    const crate = path.posix.basename(rel);
    this.seen.push({ crate, ifNoneMatch: req.headers['if-none-match'], ifModifiedSince: req.headers['if-modified-since'] });
    if (crate.startsWith('slow-')) {
      const t = setTimeout(() => this.reply(res, 200, {}, snapshotText('wasmtime')), 10_000);
      this.timers.add(t);
      res.on('close', () => (clearTimeout(t), this.timers.delete(t)));
      return;
    }
    if (crate.startsWith('broken-')) return this.reply(res, 500);
    let body = this.bodies.get(crate);
    let lastModified = new Date('2025-09-28T00:00:00Z');
    if (body !== undefined) lastModified = new Date('2025-10-01T00:00:00Z');
    else {
      const file = path.join(indexDir, rel);
      if (rel !== indexPath(crate) || !fs.existsSync(file)) return this.reply(res, 404);
      body = fs.readFileSync(file, 'utf8');
    }
    const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
    const headers: Record<string, string> = { 'last-modified': lastModified.toUTCString(), 'content-type': 'text/plain' };
    if (!this.noEtag.has(crate)) headers.etag = etag;
    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    const fresh = inm !== undefined ? !this.noEtag.has(crate) && inm === etag : ims !== undefined && Date.parse(ims) >= lastModified.getTime();
    if (fresh) return this.reply(res, 304, headers);
    this.reply(res, 200, headers, body);
  }
}

test('defaultCacheDir honours XDG_CACHE_HOME, else ~/.cache', () => {
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' }), path.join('/x/cache', 'wasmtime-align'));
  assert.equal(defaultCacheDir({ HOME: '/home/u' }), path.join('/home/u', '.cache', 'wasmtime-align'));
  // The XDG spec says a relative path is invalid and must be ignored.
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: 'rel/cache', HOME: '/home/u' }), path.join('/home/u', '.cache', 'wasmtime-align'));
});

test('the cache key normalizes spellings of one registry and separates registries', () => {
  const crates = indexCacheKey();
  assert.match(crates, /^[0-9a-f]{16}$/);
  assert.equal(indexCacheKey('https://index.crates.io/'), crates);
  assert.equal(indexCacheKey('sparse+https://index.crates.io'), crates);
  assert.equal(indexCacheKey('https://INDEX.crates.io/'), crates);
  assert.equal(indexCacheKey('sparse+http://127.0.0.1:1234'), indexCacheKey('http://127.0.0.1:1234/'));
  assert.notEqual(indexCacheKey('https://my-registry.example/index/'), crates);
  assert.equal(indexCacheKey('/srv/index'), indexCacheKey(pathToFileURL('/srv/index').href));
  assert.equal(indexCacheKey('/srv/index/'), indexCacheKey('/srv/index'));
});

test('programmer errors throw; network problems never do', async () => {
  await assert.rejects(refreshIndex({ crates: 'wasmtime' as unknown as string[] }), TypeError);
  await assert.rejects(refreshIndex({ crates: [], concurrency: 0 }), TypeError);
  await assert.rejects(refreshIndex({ crates: [], timeoutMs: -1 }), TypeError);
  await assert.rejects(refreshIndex({ crates: [], indexUrl: 'ftp://example.com/index' }), TypeError);
  // A closed port: connection refused, reported per crate.
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const cacheDir = tempDir('registry-refused');
  try {
    const r = await refreshIndex({ crates: ['wasmtime', 'wasmtime-wasi', 'wiggle'], indexUrl: `http://127.0.0.1:${port}/`, cacheDir, timeoutMs: 2000 });
    assert.deepEqual(r.updated, []);
    assert.equal(r.failed.length, 3);
    assert.match(r.failed[0]!.reason, /fetch failed|ECONNREFUSED/);
    // The first connection failure stops the refresh; every crate fails with its reason.
    assert.equal(r.unreachable, r.failed[0]!.reason);
    assert.ok(r.failed.every((f) => f.reason === r.unreachable));
  } finally {
    fs.rmSync(cacheDir, { recursive: true, force: true });
  }
});

describe('refreshIndex over HTTP', { skip: haveIndex ? false : `no release data at ${indexDir}` }, () => {
  const server = new IndexServer();
  const dirs: string[] = [];
  const freshCache = (): string => {
    const d = tempDir('registry');
    dirs.push(d);
    return d;
  };
  before(() => server.start());
  after(async () => {
    await server.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  const crates = haveIndex ? snapshotCrates() : [];
  let shared = '';

  test('the first refresh fetches every crate; the cache parses like the files themselves', async () => {
    shared = freshCache();
    const t0 = performance.now();
    const r = await refreshIndex({ crates, indexUrl: server.url, cacheDir: shared, timeoutMs: 5000 });
    const ms = performance.now() - t0;
    assert.deepEqual(r.failed, []);
    assert.deepEqual(r.updated, crates);
    assert.equal(server.count(200), crates.length);
    const { entries, problems } = readCache(shared, undefined, server.url);
    assert.deepEqual(problems, []);
    assert.deepEqual([...entries.keys()].sort(), crates);
    for (const crate of crates) {
      const e = entries.get(crate)!;
      assert.deepEqual(e.releases, parseIndexLines(snapshotText(crate)), crate);
      assert.equal(e.source, new URL(indexPath(crate), server.url).href);
      assert.equal(fs.readFileSync(cachedFile(shared, server.url, crate), 'utf8'), snapshotText(crate));
    }
    // The default index's cache is a different directory.
    assert.equal(readCache(shared).entries.size, 0);
    console.log(`# first refresh of ${crates.length} crates: ${ms.toFixed(0)} ms`);
  });

  test('a second refresh revalidates: all unchanged through 304s', async () => {
    const before200 = server.count(200);
    const before304 = server.count(304);
    const stamp = readCache(shared, ['wasmtime'], server.url).entries.get('wasmtime')!.fetchedAt;
    const r = await refreshIndex({ crates, indexUrl: server.url, cacheDir: shared, timeoutMs: 5000 });
    assert.deepEqual(r, { updated: [], unchanged: crates, failed: [] });
    assert.equal(server.count(304) - before304, crates.length);
    assert.equal(server.count(200), before200);
    assert.ok(readCache(shared, ['wasmtime'], server.url).entries.get('wasmtime')!.fetchedAt >= stamp);
  });

  test('a file changed on the server is fetched again', async () => {
    const changed = snapshotText('wasmtime').replace(/\n?$/, '\n') + snapshotText('wasmtime').split('\n')[0]!.replace(/"vers":"[^"]*"/, '"vers":"99.0.0"') + '\n';
    server.bodies.set('wasmtime', changed);
    try {
      const r = await refreshIndex({ crates: ['wasmtime', 'wasmtime-wasi'], indexUrl: server.url, cacheDir: shared, timeoutMs: 5000 });
      assert.deepEqual(r, { updated: ['wasmtime'], unchanged: ['wasmtime-wasi'], failed: [] });
      const versions = readCache(shared, ['wasmtime'], server.url).entries.get('wasmtime')!.releases.map((x) => x.version);
      assert.ok(versions.includes('99.0.0'));
    } finally {
      server.bodies.delete('wasmtime');
    }
  });

  test('Last-Modified alone revalidates through If-Modified-Since', async () => {
    const cacheDir = freshCache();
    server.noEtag.add('wasmtime-fiber');
    try {
      const first = await refreshIndex({ crates: ['wasmtime-fiber'], indexUrl: server.url, cacheDir, timeoutMs: 5000 });
      assert.deepEqual(first.updated, ['wasmtime-fiber']);
      const before304 = server.count(304);
      const second = await refreshIndex({ crates: ['wasmtime-fiber'], indexUrl: server.url, cacheDir, timeoutMs: 5000 });
      assert.deepEqual(second.unchanged, ['wasmtime-fiber']);
      assert.equal(server.count(304) - before304, 1);
      const last = server.seen.at(-1)!;
      assert.equal(last.ifNoneMatch, undefined);
      assert.equal(last.ifModifiedSince, new Date('2025-09-28T00:00:00Z').toUTCString());
    } finally {
      server.noEtag.delete('wasmtime-fiber');
    }
  });

  test('a request slower than the timeout fails with a timeout; the call stays bounded', async () => {
    const cacheDir = freshCache();
    const t0 = performance.now();
    const r = await refreshIndex({ crates: ['wasmtime-fiber', 'slow-crate'], indexUrl: server.url, cacheDir, timeoutMs: 300 });
    const ms = performance.now() - t0;
    assert.deepEqual(r.updated, ['wasmtime-fiber']);
    assert.equal(r.failed.length, 1);
    assert.equal(r.failed[0]!.crate, 'slow-crate');
    assert.match(r.failed[0]!.reason, /timed out after 300 ms/);
    assert.ok(ms < 3000, `took ${ms} ms`);
    assert.ok(!fs.existsSync(cachedFile(cacheDir, server.url, 'slow-crate')));
    console.log(`# timeout case: ${ms.toFixed(0)} ms`);
  });

  test('many slow crates are bounded by the whole-refresh deadline, not N x the timeout', async () => {
    const slow = Array.from({ length: 10 }, (_, i) => `slow-${i}`); // 10 x 300 ms unbounded
    const t0 = performance.now();
    // The index answers the first request, so a timeout after it is one slow file, not an unreachable index.
    const r = await refreshIndex({ crates: ['wasmtime-fiber', ...slow], indexUrl: server.url, cacheDir: freshCache(), timeoutMs: 300, concurrency: 1 });
    const ms = performance.now() - t0;
    assert.deepEqual(r.updated, ['wasmtime-fiber']);
    assert.deepEqual(r.failed.map((f) => f.crate), slow);
    assert.equal(r.unreachable, undefined);
    assert.match(r.failed[0]!.reason, /timed out/);
    assert.ok(r.failed.slice(1).some((f) => /deadline/.test(f.reason)));
    assert.ok(ms < 2000, `took ${ms} ms`);
    console.log(`# deadline case (10 slow crates, concurrency 1): ${ms.toFixed(0)} ms`);
  });

  test('a timeout before the index ever answered stops the refresh: the rest are not asked', async () => {
    const slow = Array.from({ length: 10 }, (_, i) => `slow-${i}`);
    const t0 = performance.now();
    const r = await refreshIndex({ crates: slow, indexUrl: server.url, cacheDir: freshCache(), timeoutMs: 300, concurrency: 4 });
    const ms = performance.now() - t0;
    assert.equal(r.unreachable, 'timed out after 300 ms');
    assert.deepEqual(r.failed, slow.map((crate) => ({ crate, reason: 'timed out after 300 ms' })));
    assert.ok(ms < 1000, `took ${ms} ms`);
  });

  test('a fetch that ignores its abort signal cannot hang the call', async () => {
    const t0 = performance.now();
    const r = await refreshIndex({
      crates: ['wasmtime'],
      indexUrl: server.url,
      cacheDir: freshCache(),
      timeoutMs: 300,
      fetch: () => new Promise<Response>(() => {}),
    });
    assert.match(r.failed[0]?.reason ?? '', /timed out/);
    assert.ok(performance.now() - t0 < 3000);
  });

  test('HTTP 500 and 404 are failures with a reason, and leave no cache file', async () => {
    const cacheDir = freshCache();
    const r = await refreshIndex({ crates: ['broken-crate', 'no-such-crate', 'wasmtime'], indexUrl: server.url, cacheDir, timeoutMs: 5000 });
    assert.deepEqual(r.updated, ['wasmtime']);
    assert.equal(r.failed.length, 2);
    assert.deepEqual(r.failed[0]!.crate, 'broken-crate');
    assert.match(r.failed[0]!.reason, /HTTP 500/);
    assert.deepEqual(r.failed[1]!.crate, 'no-such-crate');
    assert.match(r.failed[1]!.reason, /not in the index/);
    for (const c of ['broken-crate', 'no-such-crate']) {
      assert.ok(!fs.existsSync(cachedFile(cacheDir, server.url, c)), c);
      assert.ok(!fs.existsSync(cachedFile(cacheDir, server.url, c) + '.meta.json'), c);
    }
  });

  test('a malformed body fails and leaves the good cached file untouched', async () => {
    const cacheDir = freshCache();
    const first = await refreshIndex({ crates: ['wasmtime-fiber'], indexUrl: server.url, cacheDir, timeoutMs: 5000 });
    assert.deepEqual(first.updated, ['wasmtime-fiber']);
    const file = cachedFile(cacheDir, server.url, 'wasmtime-fiber');
    const good = fs.readFileSync(file);
    const meta = fs.readFileSync(file + '.meta.json');
    server.bodies.set('wasmtime-fiber', snapshotText('wasmtime-fiber') + '{"name":"wasmtime-fiber","vers":\n');
    try {
      const r = await refreshIndex({ crates: ['wasmtime-fiber'], indexUrl: server.url, cacheDir, timeoutMs: 5000 });
      assert.equal(r.failed.length, 1);
      assert.match(r.failed[0]!.reason, /malformed index data/);
      assert.deepEqual(fs.readFileSync(file), good);
      assert.deepEqual(fs.readFileSync(file + '.meta.json'), meta);
      assert.deepEqual(fs.readdirSync(path.dirname(file)).filter((n) => n.endsWith('.tmp')), []);
    } finally {
      server.bodies.delete('wasmtime-fiber');
    }
  });

  test('readCache ignores and reports a corrupted cache file', async () => {
    const cacheDir = freshCache();
    const r = await refreshIndex({ crates: ['wasmtime', 'wasmtime-wasi'], indexUrl: server.url, cacheDir, timeoutMs: 5000 });
    assert.deepEqual(r.updated, ['wasmtime', 'wasmtime-wasi']);
    const bad = cachedFile(cacheDir, server.url, 'wasmtime-wasi');
    fs.writeFileSync(bad, 'this is not JSON\n');
    fs.writeFileSync(cachedFile(cacheDir, server.url, 'wasmtime') + '.meta.json', '{oops');
    for (const listed of [undefined, ['wasmtime', 'wasmtime-wasi', 'not-cached']]) {
      const { entries, problems } = readCache(cacheDir, listed, server.url);
      assert.deepEqual([...entries.keys()], ['wasmtime']);
      assert.deepEqual(entries.get('wasmtime')!.releases, parseIndexLines(snapshotText('wasmtime')));
      assert.equal(problems.length, 2, problems.join('\n'));
      assert.ok(problems.some((p) => p.startsWith(bad) && /malformed/.test(p)));
      assert.ok(problems.some((p) => p.includes('.meta.json') && /modification time/.test(p)));
    }
  });

  test('a name that is not a crate name is a failure, nothing written outside the cache', async () => {
    const cacheDir = freshCache();
    const r = await refreshIndex({ crates: ['../../etc', ''], indexUrl: server.url, cacheDir, timeoutMs: 5000 });
    assert.deepEqual(r.failed.map((f) => f.reason), ['not a valid crate name', 'not a valid crate name']);
    assert.deepEqual(fs.readdirSync(cacheDir), []);
  });
});

describe('refreshIndex over a local directory', { skip: haveIndex ? false : `no release data at ${indexDir}` }, () => {
  const cacheDir = haveIndex ? tempDir('registry-local') : '';
  after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

  test('reads files in the index layout; missing crates are not in the index', async () => {
    const r = await refreshIndex({ crates: ['wasmtime', 'cranelift-codegen', 'no-such-crate'], indexUrl: indexDir, cacheDir });
    assert.deepEqual(r.updated, ['wasmtime', 'cranelift-codegen']);
    assert.equal(r.failed.length, 1);
    assert.match(r.failed[0]!.reason, /not in the index/);
    const { entries, problems } = readCache(cacheDir, ['wasmtime', 'cranelift-codegen'], indexDir);
    assert.deepEqual(problems, []);
    assert.deepEqual(entries.get('cranelift-codegen')!.releases, parseIndexLines(snapshotText('cranelift-codegen')));
    // A file:// URL names the same index, so the same cache; the second read finds nothing new.
    const again = await refreshIndex({ crates: ['wasmtime'], indexUrl: pathToFileURL(indexDir).href, cacheDir });
    assert.deepEqual(again, { updated: [], unchanged: ['wasmtime'], failed: [] });
  });

  test('a missing directory fails every crate with one clear reason', async () => {
    const r = await refreshIndex({ crates: ['wasmtime'], indexUrl: path.join(cacheDir, 'nope'), cacheDir });
    assert.match(r.failed[0]?.reason ?? '', /index directory not found/);
  });
});
