/**
 * Fetches family crates' index files from a Cargo sparse index (crates.io, a mirror, a private registry) or a
 * local directory with the same layout, into a user cache. Built for a CLI that must never hang or fail because
 * the network does: every problem becomes a `failed` entry, every request and the whole refresh are time-bounded,
 * and a bad answer never replaces a good cached file.
 *
 * Cache layout: `<cacheDir>/index/<indexCacheKey(indexUrl)>/<indexPath(name)>` holds the body exactly as served,
 * `<same>.meta.json` the validators and fetch time. The key separates registries, whose files can differ.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { IndexFormatError, indexPath, parseIndexLines, type IndexRelease } from './index-lines.js';

export const DEFAULT_INDEX_URL = 'https://index.crates.io/';

export interface RefreshOptions {
  readonly crates: readonly string[];
  /** `https://…`, `sparse+https://…`, a local directory path or a `file://` URL. Default: crates.io. */
  readonly indexUrl?: string;
  /** Default: {@link defaultCacheDir}. */
  readonly cacheDir?: string;
  /** Per request; the whole refresh is bounded by twice this. Default 10 000. */
  readonly timeoutMs?: number;
  readonly concurrency?: number;
  readonly fetch?: typeof fetch;
}

export interface RefreshFailure {
  readonly crate: string;
  readonly reason: string;
}

export interface RefreshResult {
  readonly updated: readonly string[];
  readonly unchanged: readonly string[];
  readonly failed: readonly RefreshFailure[];
  /**
   * Why the index could not be reached, when a request failed at the connection (no DNS, no route, refused,
   * reset), or timed out before any request was answered: the refresh stopped there, and every crate not fetched
   * by then failed with this reason.
   */
  readonly unreachable?: string;
}

export interface CacheEntry {
  readonly releases: IndexRelease[];
  readonly fetchedAt: Date;
  /** Where the data came from (the URL or file path it was fetched from). */
  readonly source: string;
}

interface Meta {
  readonly url: string;
  readonly fetchedAt: string;
  readonly etag?: string;
  readonly lastModified?: string;
}

type Outcome = { kind: 'updated' } | { kind: 'unchanged' } | { kind: 'failed'; reason: string };

/** `$XDG_CACHE_HOME/wasmtime-align`, else `~/.cache/wasmtime-align` (a relative XDG path is ignored, per the spec). */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && path.isAbsolute(xdg)) return path.join(xdg, 'wasmtime-align');
  return path.join(env.HOME || os.homedir(), '.cache', 'wasmtime-align');
}

/** Where an index lives: an HTTP base URL ending in `/`, or an absolute local directory. */
type Location = { kind: 'http'; base: string } | { kind: 'dir'; dir: string };

function locate(indexUrl: string): Location {
  const raw = indexUrl.startsWith('sparse+') ? indexUrl.slice('sparse+'.length) : indexUrl;
  if (/^https?:\/\//i.test(raw)) {
    const u = new URL(raw); // lower-cases scheme and host, so spellings of one registry share a cache
    u.search = '';
    u.hash = '';
    if (!u.pathname.endsWith('/')) u.pathname += '/';
    return { kind: 'http', base: u.href };
  }
  if (/^file:/i.test(raw)) return { kind: 'dir', dir: path.resolve(fileURLToPath(raw)) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) throw new TypeError(`unsupported index URL scheme: ${indexUrl}`);
  return { kind: 'dir', dir: path.resolve(raw) };
}

/** The normalized form of an index URL: what the cache key is computed from. */
export function normalizeIndexUrl(indexUrl: string = DEFAULT_INDEX_URL): string {
  const loc = locate(indexUrl);
  return loc.kind === 'http' ? loc.base : pathToFileURL(loc.dir + path.sep).href;
}

/** A short, stable directory name per registry (16 hex digits of SHA-256 of the normalized URL). */
export function indexCacheKey(indexUrl: string = DEFAULT_INDEX_URL): string {
  return createHash('sha256').update(normalizeIndexUrl(indexUrl)).digest('hex').slice(0, 16);
}

/** The cache directory holding one registry's files. */
export function indexCacheDir(cacheDir: string, indexUrl: string = DEFAULT_INDEX_URL): string {
  return path.join(cacheDir, 'index', indexCacheKey(indexUrl));
}

// Crate names as crates.io allows them; anything else could escape the cache directory through indexPath.
const CRATE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export async function refreshIndex(opts: RefreshOptions): Promise<RefreshResult> {
  if (!Array.isArray(opts.crates)) throw new TypeError('refreshIndex: crates must be an array of names');
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const concurrency = opts.concurrency ?? 8;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw new TypeError(`refreshIndex: bad timeoutMs ${timeoutMs}`);
  if (!(Number.isInteger(concurrency) && concurrency > 0)) throw new TypeError(`refreshIndex: bad concurrency ${concurrency}`);
  const indexUrl = opts.indexUrl ?? DEFAULT_INDEX_URL;
  const loc = locate(indexUrl);
  const root = indexCacheDir(opts.cacheDir ?? defaultCacheDir(), indexUrl);
  const doFetch = opts.fetch ?? globalThis.fetch;
  const crates = [...new Set(opts.crates)];

  // One deadline for the whole refresh, so a slow registry costs at most 2x the timeout, not N x.
  const deadlineMs = 2 * timeoutMs;
  const deadline = new AbortController();
  // Kept referenced (it is cleared below): request timeouts are unreferenced timers, so without it a fetch that
  // stalls without a live handle would let Node leave with status 13 instead of failing at the deadline.
  const timer = setTimeout(() => deadline.abort(), deadlineMs);

  // The first failure to reach the index at all ends the refresh: every other request would fail the same way,
  // one connection timeout after another. Requests in flight are abandoned; the rest are never made.
  const stop = new AbortController();
  let unreachable: string | undefined;
  let answered = false;

  const outcomes = new Map<string, Outcome>();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < crates.length; i = next++) {
      const crate = crates[i]!;
      if (deadline.signal.aborted || stop.signal.aborted) {
        outcomes.set(crate, { kind: 'failed', reason: unreachable ?? `not attempted: refresh deadline of ${deadlineMs} ms reached` });
        continue;
      }
      outcomes.set(crate, await refreshOne(crate));
    }
  };

  const refreshOne = async (crate: string): Promise<Outcome> => {
    if (typeof crate !== 'string' || !CRATE_NAME.test(crate)) return { kind: 'failed', reason: 'not a valid crate name' };
    const file = path.join(root, ...indexPath(crate).split('/'));
    if (loc.kind === 'dir') return readLocal(crate, loc.dir, file);
    const request = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([request, deadline.signal, stop.signal]);
    try {
      // Raced against the signal too, so an injected fetch that ignores it cannot hang the run.
      const outcome = await raceAbort(fetchOne(crate, loc.base, file, doFetch, signal), signal);
      answered = true;
      return outcome;
    } catch (e) {
      if (stop.signal.aborted) return { kind: 'failed', reason: unreachable! };
      // A timeout before the index ever answered is a network that does not reach it; after, one slow file.
      if (request.aborted) return answered ? { kind: 'failed', reason: `timed out after ${timeoutMs} ms` } : unreachableAt(`timed out after ${timeoutMs} ms`);
      if (deadline.signal.aborted) return { kind: 'failed', reason: `refresh deadline of ${deadlineMs} ms reached` };
      return CONNECTION_FAILURES.has(errorCode(e) ?? '') ? unreachableAt(errorReason(e)) : { kind: 'failed', reason: errorReason(e) };
    }
  };
  const unreachableAt = (reason: string): Outcome => {
    unreachable ??= reason;
    stop.abort();
    return { kind: 'failed', reason: unreachable };
  };

  try {
    // One request first, alone: an index that cannot be reached costs one connection attempt, not one per worker.
    if (loc.kind === 'http' && crates.length > 0) {
      next = 1;
      outcomes.set(crates[0]!, await refreshOne(crates[0]!));
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, crates.length) }, worker));
  } finally {
    clearTimeout(timer);
  }
  const result = { updated: [] as string[], unchanged: [] as string[], failed: [] as RefreshFailure[], ...(unreachable !== undefined ? { unreachable } : {}) };
  for (const crate of crates) {
    const o = outcomes.get(crate) ?? { kind: 'failed', reason: 'not attempted' };
    if (o.kind === 'failed') result.failed.push({ crate, reason: o.reason });
    else result[o.kind].push(crate);
  }
  return result;
}

async function fetchOne(crate: string, base: string, file: string, doFetch: typeof fetch, signal: AbortSignal): Promise<Outcome> {
  const url = new URL(indexPath(crate), base).href;
  const cached = readCachedPair(file);
  const headers: Record<string, string> = { 'user-agent': 'wasmtime-align (a Cargo.toml codemod for the wasmtime crate family)' };
  // Validators only when we still hold a sound copy of the body they describe: a 304 for a file we lost, or
  // for one that was damaged since, would leave nothing usable.
  if (cached?.meta?.url === url && validate(cached.text, crate, url) === undefined) {
    if (cached.meta.etag) headers['if-none-match'] = cached.meta.etag;
    if (cached.meta.lastModified) headers['if-modified-since'] = cached.meta.lastModified;
  }
  const res = await doFetch(url, { headers, signal, redirect: 'follow' });
  const validators = { etag: res.headers.get('etag') ?? undefined, lastModified: res.headers.get('last-modified') ?? undefined };
  if (res.status === 304) {
    await res.body?.cancel().catch(() => {});
    if (cached === undefined) return { kind: 'failed', reason: 'HTTP 304 without a cached copy' };
    const meta = { ...cached.meta, ...definedOnly(validators), url, fetchedAt: new Date().toISOString() };
    return writeOutcome(() => writeAtomic(metaPath(file), JSON.stringify(meta, null, 2) + '\n'), 'unchanged');
  }
  if (res.status === 404 || res.status === 410 || res.status === 451) {
    await res.body?.cancel().catch(() => {});
    return { kind: 'failed', reason: `not in the index (HTTP ${res.status})` };
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => {});
    return { kind: 'failed', reason: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''} from ${url}` };
  }
  const text = await res.text();
  signal.throwIfAborted(); // an answer arriving after the deadline must not be written behind the caller's back
  return store(crate, text, url, file, cached?.text, validators);
}

function readLocal(crate: string, dir: string, file: string): Outcome {
  const src = path.join(dir, ...indexPath(crate).split('/'));
  let text: string;
  try {
    text = fs.readFileSync(src, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !fs.existsSync(dir)) return { kind: 'failed', reason: `index directory not found: ${dir}` };
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'failed', reason: `not in the index (${src})` };
    return { kind: 'failed', reason: errorReason(e) };
  }
  return store(crate, text, src, file, readCachedPair(file)?.text, {});
}

/** Validates a fresh body, then writes it (and its meta) unless it is byte-identical to the cached one. */
function store(crate: string, text: string, url: string, file: string, old: string | undefined, validators: Partial<Meta>): Outcome {
  const problem = validate(text, crate, url);
  if (problem !== undefined) return { kind: 'failed', reason: problem };
  const meta: Meta = { url, fetchedAt: new Date().toISOString(), ...definedOnly(validators) };
  const same = old === text;
  return writeOutcome(() => {
    if (!same) writeAtomic(file, text);
    writeAtomic(metaPath(file), JSON.stringify(meta, null, 2) + '\n');
  }, same ? 'unchanged' : 'updated');
}

/** Why `text` is not a usable index file for `crate`, or undefined when it is. */
function validate(text: string, crate: string, source: string): string | undefined {
  let releases: IndexRelease[];
  try {
    releases = parseIndexLines(text, source);
  } catch (e) {
    if (e instanceof IndexFormatError) return `malformed index data: ${e.message}`;
    throw e;
  }
  if (releases.length === 0) return `no releases in ${source}`;
  // A misconfigured mirror (or a corrupted cache) can hold another crate's lines at this path.
  const other = releases.find((r) => r.name.toLowerCase() !== crate.toLowerCase());
  if (other !== undefined) return `${source} lists releases of ${other.name}, not ${crate}`;
  return undefined;
}

function writeOutcome(write: () => void, kind: 'updated' | 'unchanged'): Outcome {
  try {
    write();
    return { kind };
  } catch (e) {
    return { kind: 'failed', reason: `cache write failed: ${errorReason(e)}` };
  }
}

/** Temp file + rename in the same directory, so readers never see a half-written file. */
function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

const metaPath = (file: string): string => `${file}.meta.json`;

/** The cached body and its meta (meta undefined when missing or unreadable); undefined without a body. */
function readCachedPair(file: string): { text: string; meta: Meta | undefined; metaProblem?: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const m = JSON.parse(fs.readFileSync(metaPath(file), 'utf8')) as unknown;
    if (isMeta(m)) return { text, meta: m };
    return { text, meta: undefined, metaProblem: 'not a valid meta object' };
  } catch (e) {
    return { text, meta: undefined, metaProblem: errorReason(e) };
  }
}

function isMeta(m: unknown): m is Meta {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  return (
    typeof o.url === 'string' &&
    typeof o.fetchedAt === 'string' &&
    !Number.isNaN(Date.parse(o.fetchedAt)) &&
    (o.etag === undefined || typeof o.etag === 'string') &&
    (o.lastModified === undefined || typeof o.lastModified === 'string')
  );
}

/**
 * What the cache holds for one registry: per crate the parsed releases and when they were fetched. Every crate
 * cached when `crates` is omitted. Unreadable or malformed files are left out and reported in `problems`; a crate
 * simply not cached is not a problem. A missing or broken meta file falls back to the file's mtime (reported).
 */
export function readCache(
  cacheDir: string,
  crates?: readonly string[],
  indexUrl: string = DEFAULT_INDEX_URL,
): { entries: Map<string, CacheEntry>; problems: string[] } {
  const root = indexCacheDir(cacheDir, indexUrl);
  const entries = new Map<string, CacheEntry>();
  const problems: string[] = [];
  const names = crates ?? listCached(root);
  for (const crate of names) {
    if (!CRATE_NAME.test(crate)) {
      problems.push(`${JSON.stringify(crate)}: not a valid crate name`);
      continue;
    }
    const file = path.join(root, ...indexPath(crate).split('/'));
    if (!fs.existsSync(file)) continue;
    const pair = readCachedPair(file);
    if (pair === undefined) {
      problems.push(`${file}: unreadable`);
      continue;
    }
    const problem = validate(pair.text, crate, file);
    if (problem !== undefined) {
      problems.push(`${file}: ignored: ${problem}`);
      continue;
    }
    let fetchedAt: Date;
    if (pair.meta !== undefined) fetchedAt = new Date(pair.meta.fetchedAt);
    else {
      problems.push(`${metaPath(file)}: ${pair.metaProblem ?? 'unreadable'}; using the file's modification time`);
      fetchedAt = fs.statSync(file).mtime;
    }
    entries.set(crate, { releases: parseIndexLines(pair.text, file), fetchedAt, source: pair.meta?.url ?? file });
  }
  return { entries, problems };
}

/** Crate names of every cached index file under `root` (meta and leftover temp files skipped). */
function listCached(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let list: fs.Dirent[];
    try {
      list = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of list) {
      if (e.isDirectory() && depth < 3) walk(path.join(dir, e.name), depth + 1);
      else if (e.isFile() && !e.name.endsWith('.meta.json') && !e.name.endsWith('.tmp')) out.push(e.name);
    }
  };
  walk(root, 0);
  return out.sort();
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Errors that mean the index cannot be reached at all (as undici reports them in `cause.code`). */
const CONNECTION_FAILURES: ReadonlySet<string> = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

function errorCode(e: unknown): string | undefined {
  const cause = e instanceof Error ? (e.cause as { code?: unknown } | undefined) : undefined;
  const code = cause?.code ?? (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A one-line reason: undici hides the useful part (ECONNREFUSED, ENOTFOUND…) in `cause`. */
function errorReason(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause as { code?: string; message?: string } | undefined;
  const detail = cause?.code ?? cause?.message;
  return detail && !e.message.includes(detail) ? `${e.message} (${detail})` : e.message;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
