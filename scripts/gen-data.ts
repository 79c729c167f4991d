/**
 * Generates data/release-data.json from ../shared/data (npm run gen:data).
 *
 *   node dist/scripts/gen-data.js [--shared <dir>] [--out <file>] [--notes-out <file>]
 *
 * Writes data/release-data.json and data/release-notes.json (by default next to --out): the notes are only read by
 * `wasmtime-align notes`, so normal runs do not parse them; release-data.json keeps the count of each release's
 * breaking notes for the dry-run summary.
 *
 * Sources: every crate file of crates-index/ through parseIndexLines (the primary source); the versions
 * feature-history.json has from git release tags after the index snapshot; migrations.json. Which crates are the
 * family, and which wasmtime release each of their versions belongs to, is derived from the index's dependency
 * requirements and the release tags (src/family/lockstep.ts). The output is deterministic: same input, same bytes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import semver from 'semver';
import { indexPath, parseIndexLines } from '../src/family/index-lines.js';
import { deriveFamily, releaseFor, type Derivation, type LockstepRelease } from '../src/family/lockstep.js';
import type { CrateRule, Evidence, FamilyRecord, FeatureRule, ReleaseDataFile, ReleaseRow } from '../src/family/release-data.js';
import { breakingCount, type ReleaseNotesFile } from '../src/family/release-notes.js';
import { AFTER_FILE, readAfter, securityOf, type RawAfter } from './gen-after.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const defaultSharedData = path.resolve(repoRoot, '..', 'shared', 'data');
export const defaultOut = path.join(repoRoot, 'data', 'release-data.json');
/** The release notes go to a file of their own: only `wasmtime-align notes` reads them. */
export const notesFileName = 'release-notes.json';

/** Crates whose feature definitions are kept: their implications (p1 -> p2, ...) matter to migrations. */
const DEFS_CRATES = ['wasmtime-wasi', 'wasmtime-wasi-http', 'wasmtime-wasi-nn'];

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
}
interface History {
  meta: { index_head: string };
  crates: Record<string, { versions: HistVersion[] }>;
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

interface RawNotes {
  date: string;
  branch: string;
  sections: Record<string, string>;
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
  /** What family membership is derived from: the index's dependencies, or the release tag it was read at. */
  lockstep: LockstepRelease;
}

export interface Generated {
  readonly text: string;
  /** data/release-notes.json */
  readonly notesText: string;
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
  const rawNotes = readJson<Record<string, RawNotes>>('wasmtime-family/release-notes.json');
  const notes = releaseNotes(rawNotes, warnings);
  const releaseDates = new Map(readJson<{ version: string; released_per_notes: string | null }[]>('wasmtime-family/releases.json').map((r) => [r.version, r.released_per_notes]));

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
        lockstep: { version: r.version, deps: r.deps },
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
      const tag = /^git-tag:v(.+)$/.exec(v.source)![1]!;
      const indexed = m.get(v.vers);
      if (indexed !== undefined) {
        indexed.lockstep = { ...indexed.lockstep, tag }; // the index wins, and the tag confirms the release
        continue;
      }
      m.set(v.vers, {
        version: v.vers,
        explicit: v.features.filter((f) => f !== 'default').sort(),
        implicit: [...v.implicit_features].sort(),
        defaults: v.default ?? [],
        rust: v.rust_version,
        yanked: v.yanked === true,
        source: 'git',
        ...(DEFS_CRATES.includes(name) ? { defs: v.feature_defs } : {}),
        lockstep: { version: v.vers, deps: [], tag },
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

  // 2b. Releases after the snapshot: facts without feature lists, checked against what the sources above say.
  const wasmtimeRust = new Map([...(entries.get('wasmtime')?.values() ?? [])].map((e) => [e.version, e.rust]));
  const after = readAfter(
    readJson<RawAfter>(AFTER_FILE),
    (v) => {
      const n = notes.releases[v];
      if (n === undefined && !wasmtimeRust.has(v) && !releaseDates.has(v)) return undefined;
      return { date: n?.date ?? releaseDates.get(v) ?? null, rustVersion: wasmtimeRust.get(v) ?? null, ...(n ? { sections: n.sections } : {}) };
    },
    warnings,
  );
  const security = Object.fromEntries(Object.entries(notes.releases).flatMap(([v, r]) => {
    const fix = securityOf(r.sections);
    return fix ? [[v, fix] as const] : [];
  }));
  Object.assign(security, after.security);
  const allNotes: ReleaseNotesFile = { format: 1, releases: { ...notes.releases, ...after.notes } };

  const derivation = deriveFamily(new Map([...entries].map(([name, m]) => [name, [...m.values()].map((e) => e.lockstep)])));
  checkMsrvLines(entries.get('wasmtime'), warnings);

  const head = history.meta.index_head;
  const snapshot = /\d{4}-\d{2}-\d{2}/.exec(head)?.[0];
  if (snapshot === undefined) throw new Error(`feature-history.json meta.index_head has no date: ${head}`);
  const file: ReleaseDataFile = {
    format: 2,
    snapshot,
    indexHead: head,
    sets,
    defs,
    featureDefsFor: DEFS_CRATES,
    crates,
    family: familyRecords(derivation, entries),
    excluded: Object.fromEntries([...derivation.excluded.values()].map((x) => [x.crate, x.reason])),
    migrations: { rules: [...migrations.rules.map(featureRule), ...after.rules], crateRules: migrations.crate_rules.map(crateRule) },
    breakingNotes: Object.fromEntries(Object.entries(allNotes.releases).map(([v, r]) => [v, breakingCount(r.sections)] as const).filter(([, n]) => n > 0)),
    after: after.after,
    security: Object.fromEntries(Object.keys(security).sort(semver.compare).map((v) => [v, security[v]!])),
  };
  return { text: stringify(file) + '\n', notesText: stringify(allNotes) + '\n', crates: Object.keys(crates).length, versions, warnings };
}

/** The source's `sections` object, in its own order (JSON.parse keeps it), as pairs: the order is the notes' own. */
function releaseNotes(raw: Readonly<Record<string, RawNotes>>, warnings: string[]): ReleaseNotesFile {
  const releases: Record<string, ReleaseNotesFile['releases'][string]> = {};
  for (const [version, r] of Object.entries(raw)) {
    if (semver.valid(version) === null) {
      warnings.push(`release-notes.json: ${version} is not a version`);
      continue;
    }
    releases[version] = { date: r.date, sections: Object.entries(r.sections).map(([name, text]) => [name, text.replace(/\s+$/, '')] as const) };
  }
  return { format: 1, releases };
}

/**
 * Per family crate: its numbering, the versions whose release the numbering does not give (cranelift before
 * wasmtime 1.0, winch-codegen before 26), and the versions that belong to none (its own numbering before it
 * joined). Every other version belongs to the release its numbering gives.
 */
function familyRecords(d: Derivation, entries: ReadonlyMap<string, ReadonlyMap<string, Entry>>): Record<string, FamilyRecord> {
  const out: Record<string, FamilyRecord> = {};
  for (const [crate, member] of [...d.members].sort(([a], [b]) => byCodeUnit(a, b))) {
    const versions = [...(entries.get(crate)?.keys() ?? [])].sort(semver.compare);
    const mapped: Record<string, string> = {};
    const own: string[] = [];
    for (const v of versions) {
      const release = member.releases.get(v);
      if (release === undefined) own.push(v);
      else if (release !== releaseFor(member.numbering, v)) mapped[v] = release; // what the numbering does not say
    }
    const pins = Object.fromEntries(member.pins);
    out[crate] = {
      numbering: member.numbering,
      ...(Object.keys(mapped).length > 0 ? { mapped } : {}),
      ...(own.length > 0 ? { own } : {}),
      ...(member.pins.size > 0 ? { pins } : {}),
      ...(member.ties.size > 0 ? { ties: Object.fromEntries(member.ties) } : {}),
    };
  }
  return out;
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
  const notesOut = path.resolve(arg('--notes-out') ?? path.join(path.dirname(out), notesFileName));
  const t0 = performance.now();
  const g = generate(shared);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, g.text);
  fs.writeFileSync(notesOut, g.notesText);
  for (const w of g.warnings) process.stderr.write(`warning: ${w}\n`);
  const ms = Math.round(performance.now() - t0);
  process.stdout.write(`${path.relative(process.cwd(), out) || out}: ${g.crates} crates, ${g.versions} versions, ${Buffer.byteLength(g.text)} bytes (${ms} ms)\n`);
  process.stdout.write(`${path.relative(process.cwd(), notesOut) || notesOut}: ${Buffer.byteLength(g.notesText)} bytes\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main(process.argv.slice(2));
