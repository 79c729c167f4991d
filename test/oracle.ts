/**
 * Cargo oracle: asks cargo itself what a workspace means, so integration tests can prove that a
 * rewrite kept the meaning (docs/cargo-rules.md §0, §15). Only `cargo metadata --no-deps --offline`
 * and `cargo fetch --offline` are used: neither needs a registry or network.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface CargoStatus {
  available: boolean;
  /** why cargo is unusable (only when !available) */
  reason?: string;
  /** `cargo --version` of the stable toolchain */
  version?: string;
  /** a nightly toolchain is installed (needed for enarx's `-Zbindeps`) */
  nightly: boolean;
}

/** One resolved dependency as metadata reports it; `path` is root-relative, `features` sorted+deduped. */
export interface DepTuple {
  name: string;
  rename: string | null;
  kind: string | null;
  target: string | null;
  req: string;
  optional: boolean;
  uses_default_features: boolean;
  features: string[];
  source: string | null;
  registry: string | null;
  path: string | null;
  /** any other fields cargo reports (e.g. `artifact` under -Zbindeps), as sorted JSON, so nothing is silently dropped */
  extra: string | null;
}

export interface Snapshot {
  /** absolute workspace root as cargo reported it */
  root: string;
  /** member manifest paths relative to root, sorted */
  members: string[];
  deps: Map<string, DepTuple[]>;
  featuresMaps: Map<string, Record<string, string[]>>;
}

export interface AllowedChange {
  /** package names whose requirement may change */
  family: ReadonlySet<string>;
  /** the requirement each changed family dep must now have, e.g. "^26.0.1" or "=26.0.1"; a bare "26.0.1" is read as "^26.0.1" like cargo does */
  allowedReqs: ReadonlySet<string>;
  /**
   * Whether a family dep's feature set may go from `before` to `after` (a planned feature migration, e.g. to
   * a release that renamed a feature); absent: features must stay identical.
   */
  featureChange?: (name: string, before: readonly string[], after: readonly string[]) => boolean;
  /** Whether a package's `[features]` entry may go from `before` to `after` (migrated references). */
  featureMapChange?: (before: readonly string[], after: readonly string[]) => boolean;
}

export interface CargoOpts {
  /** run on nightly with `-Zbindeps` (enarx's `artifact = "bin"` deps are rejected by stable) */
  bindeps?: boolean;
}

const KNOWN = new Set(['name', 'rename', 'kind', 'target', 'req', 'optional', 'uses_default_features', 'features', 'source', 'registry', 'path']);

function cargoEnv(toolchain: string): NodeJS.ProcessEnv {
  // Several corpus repos pin uninstalled toolchains; RUSTUP_AUTO_INSTALL=0 stops rustup from trying to download one.
  return { ...process.env, RUSTUP_TOOLCHAIN: toolchain, RUSTUP_AUTO_INSTALL: '0', CARGO_TERM_COLOR: 'never' };
}

function runCargo(args: string[], opts: CargoOpts = {}) {
  const toolchain = opts.bindeps ? 'nightly' : 'stable';
  const full = opts.bindeps ? ['-Zbindeps', ...args] : args;
  const r = spawnSync('cargo', full, { env: cargoEnv(toolchain), encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, timeout: 300_000 });
  if (r.error) throw new Error(`cargo ${full.join(' ')}: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, cmd: `RUSTUP_TOOLCHAIN=${toolchain} cargo ${full.join(' ')}` };
}

let statusCache: CargoStatus | undefined;
export function cargoStatus(): CargoStatus {
  if (statusCache) return statusCache;
  const probe = (tc: string) => spawnSync('cargo', ['--version'], { env: cargoEnv(tc), encoding: 'utf8', timeout: 60_000 });
  const s = probe('stable');
  if (s.error || s.status !== 0) {
    statusCache = { available: false, nightly: false, reason: s.error?.message ?? (s.stderr.trim() || `exit ${s.status}`) };
  } else {
    const n = probe('nightly');
    statusCache = { available: true, version: s.stdout.trim(), nightly: !n.error && n.status === 0 && n.stdout.includes('nightly') };
  }
  return statusCache;
}

/** Turns absolute paths under `root` into root-relative posix paths. Cargo keeps a symlinked
 * --manifest-path as given but uses the physical path when it finds the root itself, so both spellings are stripped. */
function relativizer(root: string): (p: string) => string {
  let real = root;
  try { real = fs.realpathSync(root); } catch { /* keep as is */ }
  return (p) => {
    for (const r of [root, real]) if (p === r || p.startsWith(r + path.sep)) return path.relative(r, p).split(path.sep).join('/');
    return path.relative(root, p).split(path.sep).join('/');
  };
}

function sortedSet(xs: readonly string[]): string[] {
  return [...new Set(xs)].sort();
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}

interface MetaDep { [k: string]: unknown; name: string; req: string; features: string[]; path?: string }
interface MetaPkg { id: string; manifest_path: string; features: Record<string, string[]>; dependencies: MetaDep[] }
interface Meta { workspace_root: string; workspace_members: string[]; packages: MetaPkg[] }

export function snapshot(rootManifest: string, opts: CargoOpts = {}): Snapshot {
  const r = runCargo(['metadata', '--no-deps', '--offline', '--format-version', '1', '--manifest-path', rootManifest], opts);
  if (r.status !== 0) throw new Error(`${r.cmd} exited ${r.status}:\n${r.stderr}`);
  const meta = JSON.parse(r.stdout) as Meta;
  const rel = relativizer(meta.workspace_root);
  const ids = new Set(meta.workspace_members);
  const snap: Snapshot = { root: meta.workspace_root, members: [], deps: new Map(), featuresMaps: new Map() };
  for (const pkg of meta.packages) {
    if (!ids.has(pkg.id)) continue;
    const m = rel(pkg.manifest_path);
    snap.members.push(m);
    snap.deps.set(m, pkg.dependencies.map((d) => {
      const rest = Object.fromEntries(Object.entries(d).filter(([k]) => !KNOWN.has(k)));
      return {
        name: d.name,
        rename: (d.rename as string | null) ?? null,
        kind: (d.kind as string | null) ?? null,
        target: (d.target as string | null) ?? null,
        req: d.req,
        optional: d.optional === true,
        uses_default_features: d.uses_default_features === true,
        features: sortedSet(d.features), // §4: workspace + member features are concatenated with duplicates
        source: (d.source as string | null) ?? null,
        registry: (d.registry as string | null) ?? null,
        path: typeof d.path === 'string' ? rel(d.path) : null,
        extra: Object.keys(rest).length ? JSON.stringify(sortKeys(rest)) : null,
      };
    }));
    snap.featuresMaps.set(m, Object.fromEntries(Object.entries(pkg.features).map(([k, v]) => [k, sortedSet(v)])));
  }
  snap.members.sort();
  return snap;
}

const FIELDS = ['name', 'rename', 'kind', 'target', 'req', 'optional', 'uses_default_features', 'features', 'source', 'registry', 'path', 'extra'] as const;
const fullKey = (d: DepTuple) => JSON.stringify(FIELDS.map((f) => d[f]));
const keyWithoutReq = (d: DepTuple) => JSON.stringify(FIELDS.filter((f) => f !== 'req').map((f) => d[f]));
const keyWithoutReqAndFeatures = (d: DepTuple) => JSON.stringify(FIELDS.filter((f) => f !== 'req' && f !== 'features').map((f) => d[f]));
const identity = (d: DepTuple) => JSON.stringify([d.name, d.rename, d.kind, d.target]);
const fmt = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const label = (d: DepTuple) =>
  `${d.rename ? `${d.rename} (package ${d.name})` : d.name} (${d.kind ?? 'normal'}${d.target ? `, ${d.target}` : ''})`;

/** cargo reports "26.0.1" as "^26.0.1" (rules §10). */
const normReq = (r: string) => (/^\d/.test(r) ? `^${r}` : r);

/** Removes and returns the first element matching `pred`. */
function take<T>(xs: T[], pred: (x: T) => boolean): T | undefined {
  const i = xs.findIndex(pred);
  return i < 0 ? undefined : xs.splice(i, 1)[0];
}

function compareDeps(member: string, before: DepTuple[], after: DepTuple[], allowed: AllowedChange | undefined, out: string[]) {
  const b = [...before];
  const a = [...after];
  // 1. identical tuples cancel (multiset semantics)
  for (const d of [...b]) if (take(a, (x) => fullKey(x) === fullKey(d))) take(b, (x) => x === d);
  // 2. family deps whose only change is a req that is now in allowedReqs
  if (allowed) {
    const reqs = new Set([...allowed.allowedReqs].map(normReq));
    for (const d of [...b]) {
      if (!allowed.family.has(d.name)) continue;
      if (take(a, (x) => keyWithoutReq(x) === keyWithoutReq(d) && reqs.has(x.req))) take(b, (x) => x === d);
      else if (allowed.featureChange) {
        const change = allowed.featureChange;
        const same = (x: DepTuple) => keyWithoutReqAndFeatures(x) === keyWithoutReqAndFeatures(d) && (reqs.has(x.req) || x.req === d.req);
        if (take(a, (x) => same(x) && change(d.name, d.features, x.features))) take(b, (x) => x === d);
      }
    }
  }
  // 3. what is left is a difference; pair by (name, rename, kind, target) to say which field changed
  for (const d of b) {
    const other = take(a, (x) => identity(x) === identity(d));
    if (!other) { out.push(`${member}: ${label(d)}: only before: ${fullKey(d)}`); continue; }
    for (const f of FIELDS) {
      if (JSON.stringify(d[f]) === JSON.stringify(other[f])) continue;
      let note = '';
      if (f === 'req' && allowed?.family.has(d.name)) note = ` (not in allowed {${[...allowed.allowedReqs].join(', ')}})`;
      out.push(`${member}: ${label(d)}: ${f} ${fmt(d[f])} -> ${fmt(other[f])}${note}`);
    }
  }
  for (const d of a) out.push(`${member}: ${label(d)}: only after: ${fullKey(d)}`);
}

/** [] means equivalent; otherwise one human-readable line per difference. */
export function compareSnapshots(before: Snapshot, after: Snapshot, allowed?: AllowedChange): string[] {
  const out: string[] = [];
  const inAfter = new Set(after.members);
  const inBefore = new Set(before.members);
  for (const m of before.members) if (!inAfter.has(m)) out.push(`members: ${m} only before`);
  for (const m of after.members) if (!inBefore.has(m)) out.push(`members: ${m} only after`);
  for (const m of before.members) {
    if (!inAfter.has(m)) continue;
    compareDeps(m, before.deps.get(m) ?? [], after.deps.get(m) ?? [], allowed, out);
    const fb = before.featuresMaps.get(m) ?? {};
    const fa = after.featuresMaps.get(m) ?? {};
    for (const k of sortedSet([...Object.keys(fb), ...Object.keys(fa)])) {
      const x = JSON.stringify(fb[k] ?? null);
      const y = JSON.stringify(fa[k] ?? null);
      if (x !== y && !(fb[k] && fa[k] && allowed?.featureMapChange?.(fb[k]!, fa[k]!))) out.push(`${m}: features[${k}]: ${x} -> ${y}`);
    }
  }
  return out;
}

/**
 * `warning:` lines of `cargo fetch --offline` (the only cheap way to see per-manifest warnings such as
 * "unused manifest key" or an ignored `default-features`, rules §0/§2), with paths under the manifest's
 * directory made relative. Fetch is expected to fail afterwards (no registry), so its exit code is ignored.
 * Only the first line of multi-line warnings is kept; the result is sorted. `--locked` keeps cargo from
 * writing a Cargo.lock when resolution happens to succeed offline (it did on path-only crates).
 *
 * Cargo emits all manifest warnings once the workspace has loaded, before resolving; a missing
 * [[bench]]/[[test]] file (which metadata tolerates) is reported only after them. If fetch failed,
 * metadata is run to check that the workspace loaded at all: if it did not, the list would be
 * vacuously empty, so this throws.
 */
export function fetchWarnings(rootManifest: string, opts: CargoOpts = {}): string[] {
  const r = runCargo(['fetch', '--offline', '--locked', '--manifest-path', rootManifest], opts);
  if (r.status !== 0) snapshot(rootManifest, opts); // throws with cargo's stderr when the workspace does not load
  const dir = path.dirname(path.resolve(rootManifest));
  let real = dir;
  try { real = fs.realpathSync(dir); } catch { /* keep as is */ }
  const prefixes = [...new Set([dir, real])].sort((x, y) => y.length - x.length).map((d) => d + path.sep);
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('warning:'))
    .map((l) => prefixes.reduce((acc, pre) => acc.split(pre).join(''), l))
    .sort(); // cargo walks members in hash order: the same tree printed them in different orders across runs
}
