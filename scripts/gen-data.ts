/**
 * Generates data/release-data.json from ../shared/data (npm run gen:data).
 *
 *   node dist/scripts/gen-data.js [--shared <dir>] [--out <file>]
 *
 * Sources: every crate file of crates-index/ through parseIndexLines (the primary source); the versions
 * feature-history.json has from git release tags after the index snapshot; migrations.json; the version mapping of
 * own-numbered crates (checked here against the data: a rule that does not hold fails the run). The output is
 * deterministic: same input, same bytes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import semver from 'semver';
import { indexPath, parseIndexLines } from '../src/family/index-lines.js';
import type { CompanionRules, CrateRule, Evidence, FeatureRule, ReleaseDataFile, ReleaseRow } from '../src/family/release-data.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const defaultSharedData = path.resolve(repoRoot, '..', 'shared', 'data');
export const defaultOut = path.join(repoRoot, 'data', 'release-data.json');

/** Crates whose feature definitions are kept: their implications (p1 -> p2, ...) matter to migrations. */
const DEFS_CRATES = ['wasmtime-wasi', 'wasmtime-wasi-http', 'wasmtime-wasi-nn'];
/** Hypotheses the data must confirm (see checkCompanions). */
const CRANELIFT_MAJOR_OFFSET = 87;
const WINCH_MINOR_OFFSET = -2;
const SAME_VERSION_CRATES = ['pulley-interpreter', 'pulley-macros', 'winch-codegen'];

// The parts of feature-history.json and migrations.json read here.
interface HistVersion {
  vers: string;
  source: string;
  yanked: boolean | null;
  rust_version: string | null;
  features: string[];
  implicit_features: string[];
  default: string[] | null;
  feature_defs: Record<string, string[]>;
  family_deps?: { name: string; req: string }[] | null;
}
interface History {
  meta: { index_head: string };
  wasmtime_to_cranelift: Record<string, { via: string; req: string }>;
  crates: Record<string, { version_scheme: string; versions: HistVersion[] }>;
}
interface RawEvidence {
  pr?: number;
  url?: string;
  title?: string;
  section?: string;
}
interface RawRule {
  crate: string;
  feature: string;
  removedIn?: string;
  changedIn?: string;
  lastPresentIn?: string;
  reappears?: { first: string }[];
  action: FeatureRule['action'];
  to: string[];
  replacement_api?: string;
  note: string;
  confidence: string;
  evidence: RawEvidence[];
}
interface RawCrateRule {
  from_crate: string;
  last: string | null;
  replaced_in: string;
  action: FeatureRule['action'];
  to: string | null;
  note?: string;
  confidence: string;
  evidence: RawEvidence[];
}

/** One version before encoding. */
interface Entry {
  version: string;
  explicit: readonly string[];
  implicit: readonly string[];
  defaults: readonly string[];
  rust: string | null;
  yanked: boolean;
  source: 'index' | 'git';
  defs?: Readonly<Record<string, readonly string[]>>;
}

export interface Generated {
  readonly text: string;
  readonly crates: number;
  readonly versions: number;
  /** Problems found while cross-checking the sources (reported, not fatal). */
  readonly warnings: readonly string[];
}

export function generate(sharedData: string): Generated {
  const warnings: string[] = [];
  const readJson = <T>(rel: string): T => JSON.parse(fs.readFileSync(path.join(sharedData, rel), 'utf8')) as T;
  const history = readJson<History>('wasmtime-family/feature-history.json');
  const migrations = readJson<{ rules: RawRule[]; crate_rules: RawCrateRule[] }>('wasmtime-family/migrations.json');

  // 1. The registry index snapshot.
  const entries = new Map<string, Map<string, Entry>>();
  const indexDir = path.join(sharedData, 'crates-index');
  for (const rel of listFiles(indexDir)) {
    const name = path.basename(rel);
    if (indexPath(name) !== rel) warnings.push(`crates-index/${rel}: not at the index path of ${name}`);
    const m = new Map<string, Entry>();
    for (const r of parseIndexLines(fs.readFileSync(path.join(indexDir, rel), 'utf8'), `crates-index/${rel}`)) {
      m.set(r.version, {
        version: r.version,
        explicit: r.features,
        implicit: r.implicitFeatures,
        defaults: r.defaultFeatures,
        rust: r.rustVersion ?? null,
        yanked: r.yanked,
        source: 'index',
        ...(DEFS_CRATES.includes(name) ? { defs: r.featureDefs } : {}),
      });
    }
    entries.set(name, m);
  }

  // 2. Versions after the snapshot, from git release tags.
  for (const [name, crate] of Object.entries(history.crates)) {
    let m = entries.get(name);
    if (m === undefined) entries.set(name, (m = new Map()));
    for (const v of crate.versions) {
      if (!v.source.startsWith('git-tag:')) {
        if (!m.has(v.vers)) warnings.push(`${name} ${v.vers}: source ${v.source} but not in crates-index`);
        continue;
      }
      if (m.has(v.vers)) continue; // the index wins
      m.set(v.vers, {
        version: v.vers,
        explicit: v.features.filter((f) => f !== 'default').sort(),
        implicit: [...v.implicit_features].sort(),
        defaults: v.default ?? [],
        rust: v.rust_version,
        yanked: v.yanked === true,
        source: 'git',
        ...(DEFS_CRATES.includes(name) ? { defs: v.feature_defs } : {}),
      });
    }
  }

  // 3. Encode: rows referencing a table of feature lists (id 0 is the empty list).
  const sets: string[][] = [[]];
  const setIds = new Map<string, number>([['[]', 0]]);
  const setId = (list: readonly string[]): number => {
    const key = JSON.stringify(list);
    let id = setIds.get(key);
    if (id === undefined) {
      setIds.set(key, (id = sets.length));
      sets.push([...list]);
    }
    return id;
  };
  const defs: Record<string, number>[] = [];
  const defIds = new Map<string, number>();
  const crates: Record<string, ReleaseRow[]> = {};
  let versions = 0;
  for (const name of [...entries.keys()].sort(byCodeUnit)) {
    const rows: ReleaseRow[] = [];
    for (const e of [...entries.get(name)!.values()].sort((a, b) => semver.compare(a.version, b.version))) {
      const row: ReleaseRow = [e.version, setId(e.explicit), setId(e.implicit), setId(e.defaults), e.rust, e.yanked, e.source];
      if (e.defs !== undefined) {
        const table: Record<string, number> = {};
        for (const f of Object.keys(e.defs).sort(byCodeUnit)) table[f] = setId(e.defs[f]!);
        const key = JSON.stringify(table);
        let id = defIds.get(key);
        if (id === undefined) {
          defIds.set(key, (id = defs.length));
          defs.push(table);
        }
        row.push(id);
      }
      rows.push(row);
      versions++;
    }
    crates[name] = rows;
  }

  const companions = checkCompanions(history, entries, warnings);
  checkMsrvLines(entries.get('wasmtime'), warnings);

  const head = history.meta.index_head;
  const snapshot = /\d{4}-\d{2}-\d{2}/.exec(head)?.[0];
  if (snapshot === undefined) throw new Error(`feature-history.json meta.index_head has no date: ${head}`);
  const file: ReleaseDataFile = {
    format: 1,
    snapshot,
    indexHead: head,
    sets,
    defs,
    featureDefsFor: DEFS_CRATES,
    crates,
    companions,
    migrations: { rules: migrations.rules.map(featureRule), crateRules: migrations.crate_rules.map(crateRule) },
  };
  return { text: stringify(file) + '\n', crates: Object.keys(crates).length, versions, warnings };
}

/** Derives the own-numbering rules and checks each against every version in the data. */
function checkCompanions(history: History, entries: ReadonlyMap<string, ReadonlyMap<string, Entry>>, warnings: string[]): CompanionRules {
  const has = (crate: string, v: string): boolean => entries.get(crate)?.has(v) === true;
  const wasmtime = [...(entries.get('wasmtime')?.keys() ?? [])];
  const fail = (msg: string): never => {
    throw new Error(`companion rule does not hold: ${msg}`);
  };
  // cranelift: every wasmtime >= 1.0 has cranelift-codegen 0.(major+87).patch, and the index's requirements agree.
  const craneliftBefore1: Record<string, string> = {};
  for (const [w, { req }] of Object.entries(history.wasmtime_to_cranelift)) {
    const floor = semver.minVersion(req)?.version;
    if (floor === undefined) fail(`wasmtime ${w}: cranelift requirement ${req}`);
    if (semver.lt(w, '1.0.0')) craneliftBefore1[w] = floor!;
    else if (floor !== cranelift(w)) fail(`wasmtime ${w} requires cranelift ${req}, not ${cranelift(w)}`);
  }
  for (const w of wasmtime) {
    if (semver.gte(w, '1.0.0') && !has('cranelift-codegen', cranelift(w))) warnings.push(`wasmtime ${w}: no cranelift-codegen ${cranelift(w)}`);
  }
  for (const c of entries.get('cranelift-codegen')?.keys() ?? []) {
    const p = semver.parse(c)!;
    if (p.major === 0 && p.minor >= 1 + CRANELIFT_MAJOR_OFFSET && !has('wasmtime', `${p.minor - CRANELIFT_MAJOR_OFFSET}.0.${p.patch}`)) {
      warnings.push(`cranelift-codegen ${c}: no wasmtime ${p.minor - CRANELIFT_MAJOR_OFFSET}.0.${p.patch}`);
    }
  }
  // Same version as wasmtime from the first shared version >= 1.0 on, for every later version on both sides.
  const sameVersionFrom: Record<string, string> = {};
  for (const crate of SAME_VERSION_CRATES) {
    const own = [...(entries.get(crate)?.keys() ?? [])];
    const from = own.filter((v) => semver.gte(v, '1.0.0') && has('wasmtime', v)).sort(semver.compare)[0];
    if (from === undefined) fail(`${crate} never shares a wasmtime version`);
    sameVersionFrom[crate] = from!;
    for (const v of own) if (semver.gte(v, from!) && !has('wasmtime', v)) fail(`${crate} ${v} has no wasmtime ${v}`);
    for (const v of wasmtime) if (semver.gte(v, from!) && !has(crate, v)) warnings.push(`wasmtime ${v}: no ${crate} ${v}`);
  }
  // winch-codegen before it shares: what wasmtime-winch X.Y.Z pins (index) and what exists (git versions).
  const majors: number[] = [];
  for (const v of history.crates['wasmtime-winch']?.versions ?? []) {
    if (semver.gte(v.vers, sameVersionFrom['winch-codegen']!)) continue;
    const expected = `0.${semver.major(v.vers) + WINCH_MINOR_OFFSET}.${semver.patch(v.vers)}`;
    const pin = v.family_deps?.find((d) => d.name === 'winch-codegen')?.req;
    if (pin !== undefined && pin !== `=${expected}`) fail(`wasmtime-winch ${v.vers} pins winch-codegen ${pin}, not =${expected}`);
    if (!has('winch-codegen', expected)) fail(`wasmtime-winch ${v.vers}: no winch-codegen ${expected}`);
    majors.push(semver.major(v.vers));
  }
  if (majors.length === 0) fail('no wasmtime-winch versions before winch-codegen shares wasmtime numbers');
  const craneliftNumbered = Object.entries(history.crates)
    .filter(([, c]) => c.version_scheme === 'cranelift')
    .map(([n]) => n)
    .sort(byCodeUnit);
  return {
    craneliftMajorOffset: CRANELIFT_MAJOR_OFFSET,
    craneliftBefore1,
    craneliftNumbered,
    sameVersionFrom,
    winchCodegen: { fromMajor: Math.min(...majors), toMajor: Math.max(...majors), minorOffset: WINCH_MINOR_OFFSET },
  };
}

function cranelift(wasmtime: string): string {
  return `0.${semver.major(wasmtime) + CRANELIFT_MAJOR_OFFSET}.${semver.patch(wasmtime)}`;
}

/** msrv() falls back to a line's newest release, which is only right if rust_version is constant within a line. */
function checkMsrvLines(wasmtime: ReadonlyMap<string, Entry> | undefined, warnings: string[]): void {
  const byLine = new Map<string, Set<string | null>>();
  for (const e of wasmtime?.values() ?? []) {
    const line = `${semver.major(e.version)}.${semver.minor(e.version)}`;
    byLine.set(line, (byLine.get(line) ?? new Set()).add(e.rust));
  }
  for (const [line, s] of byLine) if (s.size > 1) warnings.push(`wasmtime ${line}: rust_version varies: ${[...s].join(', ')}`);
}

function evidence(list: readonly RawEvidence[]): Evidence[] {
  return list
    .map((e) => ({
      ...(e.pr !== undefined ? { pr: e.pr } : {}),
      ...(e.url !== undefined ? { url: e.url } : {}),
      ...(e.title !== undefined ? { title: e.title } : {}),
      ...(e.section !== undefined ? { section: e.section } : {}),
    }))
    .filter((e) => Object.keys(e).length > 0); // `feature-data` entries only point back at the data itself
}

function featureRule(r: RawRule): FeatureRule {
  return {
    crate: r.crate,
    feature: r.feature,
    ...(r.removedIn !== undefined ? { removedIn: r.removedIn } : {}),
    ...(r.changedIn !== undefined ? { changedIn: r.changedIn } : {}),
    ...(r.lastPresentIn !== undefined ? { lastPresentIn: r.lastPresentIn } : {}),
    ...(r.reappears?.[0] !== undefined ? { reappearsIn: r.reappears[0].first } : {}),
    action: r.action,
    to: r.to,
    ...(r.replacement_api !== undefined ? { replacementApi: r.replacement_api } : {}),
    note: r.note,
    confidence: r.confidence,
    evidence: evidence(r.evidence),
  };
}

function crateRule(r: RawCrateRule): CrateRule {
  // `wasmtime-{a,b}`, `x, y` and `wasmtime-wasi (wasi:io part)` name the crates in prose.
  const crates = r.from_crate
    .replace(/\s*\(.*\)$/, '')
    .replace(/^(.*)\{(.*)\}(.*)$/, (_, pre: string, alts: string, post: string) => alts.split(',').map((a) => `${pre}${a.trim()}${post}`).join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  // `wasmtime 26.0.0 / cranelift 0.113.0` -> the wasmtime version
  const replacedIn = (/wasmtime (\d+\.\d+\.\d+)/.exec(r.replaced_in) ?? /(\d+\.\d+\.\d+)/.exec(r.replaced_in))?.[1];
  if (replacedIn === undefined) throw new Error(`crate rule ${r.from_crate}: no version in replaced_in ${r.replaced_in}`);
  return {
    crates,
    from: r.from_crate,
    last: r.last,
    replacedIn,
    action: r.action,
    to: r.to,
    ...(r.note !== undefined ? { note: r.note } : {}),
    confidence: r.confidence,
    evidence: evidence(r.evidence),
  };
}

function listFiles(dir: string, rel = ''): string[] {
  return fs
    .readdirSync(path.join(dir, rel), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, path.posix.join(rel, e.name)) : e.isFile() ? [path.posix.join(rel, e.name)] : []))
    .sort(byCodeUnit);
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON with sorted keys; arrays of plain values on one line (a version row, a feature list), the rest one item a line. */
function stringify(v: unknown, indent = ''): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const inner = indent + ' ';
  if (Array.isArray(v)) {
    if (v.every((x) => x === null || typeof x !== 'object')) return JSON.stringify(v);
    return v.length === 0 ? '[]' : `[\n${v.map((x) => inner + stringify(x, inner)).join(',\n')}\n${indent}]`;
  }
  const keys = Object.keys(v).sort(byCodeUnit);
  if (keys.length === 0) return '{}';
  const o = v as Record<string, unknown>;
  return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${stringify(o[k], inner)}`).join(',\n')}\n${indent}}`;
}

function main(argv: readonly string[]): void {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const shared = path.resolve(arg('--shared') ?? defaultSharedData);
  const out = path.resolve(arg('--out') ?? defaultOut);
  const t0 = performance.now();
  const g = generate(shared);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, g.text);
  for (const w of g.warnings) process.stderr.write(`warning: ${w}\n`);
  const ms = Math.round(performance.now() - t0);
  process.stdout.write(`${path.relative(process.cwd(), out) || out}: ${g.crates} crates, ${g.versions} versions, ${Buffer.byteLength(g.text)} bytes (${ms} ms)\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main(process.argv.slice(2));
