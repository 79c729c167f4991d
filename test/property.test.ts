/**
 * Property tests: random Cargo workspaces and standalone packages (every dependency table kind and entry style,
 * family and non-family entries, comments, odd whitespace, CRLF, BOM, unicode, an existing
 * [workspace.dependencies] or none), planned with and without `--to 26.0.1`. For every case:
 *   - planning succeeds (the generator only produces valid input);
 *   - every output re-parses, and its value keeps every non-family value and the meaning of every family entry
 *     (crate, features, optional, effective default features; the requirement may only become the target);
 *   - every byte outside the edited entries is unchanged: every protected line (comments, headers, non-family
 *     entries, blank lines, ...) appears unchanged and in the same order, every comment survives in order, line
 *     endings, BOM and the final newline are kept;
 *   - a second run changes nothing;
 *   - the dry-run diff applied with `git apply` gives exactly the written tree;
 *   - on a subset, the built CLI gives the same bytes, and (when cargo is available) the cargo oracle says the
 *     meaning is kept.
 * Reproducible: PROPERTY_SEED (default 42) seeds fast-check; the seed is printed with any failure.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { parseTOML, getStaticTOMLValue } from 'toml-eslint-parser';
import { planPaths, type Plan } from '../src/pipeline.js';
import { unifiedDiff } from '../src/output/diff.js';
import { writeAll } from '../src/output/write.js';
import { embeddedReleaseData } from '../src/family/release-data.js';
import { copyTree, gitApply, metadataReq, readTree, runCli, tempDir, treeDifferences } from './helpers.js';
import { cargoStatus, compareSnapshots, snapshot } from './oracle.js';

const SEED = Number(process.env.PROPERTY_SEED ?? 42);
const RUNS = Number(process.env.PROPERTY_RUNS ?? 150);
const ORACLE_RUNS = Number(process.env.PROPERTY_ORACLE_RUNS ?? 20);
const data = embeddedReleaseData();

// ---------------------------------------------------------------------------------------------------------
// The model of a generated tree
// ---------------------------------------------------------------------------------------------------------

/** One line of a generated manifest; `keep` lines must reappear byte for byte, in order. */
interface Line {
  readonly text: string;
  readonly keep: boolean;
}

interface FileSpec {
  readonly rel: string;
  readonly lines: Line[];
  readonly crlf: boolean;
  readonly bom: boolean;
  readonly finalNewline: boolean;
  readonly hasPackage: boolean;
}

interface Case {
  readonly files: FileSpec[];
  /** Every key that names a family crate (as the generator knows it), with that crate. */
  readonly familyKeys: ReadonlyMap<string, string>;
}

/** The family crates used, with features every release from 24.0.0 to 26.0.1 has (so no migration applies). */
const FAMILY: Record<string, { keys: string[]; features: string[] }> = {
  wasmtime: { keys: ['wasmtime', 'wt'], features: ['async', 'cranelift', 'cache', 'component-model', 'pooling-allocator', 'parallel-compilation', 'wat', 'gc', 'threads', 'profiling', 'coredump'] },
  'wasmtime-wasi': { keys: ['wasmtime-wasi', 'wasi-host'], features: ['preview1'] },
  wiggle: { keys: ['wiggle', 'my_wiggle'], features: ['tracing_log', 'wasmtime', 'wasmtime_async', 'wiggle_metadata', 'witx'] },
  'wasi-common': { keys: ['wasi-common', 'wasi_ctx'], features: ['exit', 'sync', 'tokio', 'trace_log', 'wasmtime'] },
};
const KEY_TO_CRATE = new Map(Object.entries(FAMILY).flatMap(([crate, f]) => f.keys.map((k) => [k, crate] as const)));
const VERSIONS = data.versions('wasmtime').map((r) => r.version).filter((v) => /^(24|25|26)\.0\.\d+$/.test(v) && !data.release('wasmtime', v)?.yanked);
const DEP_TABLES = ['dependencies', 'dev-dependencies', 'build-dependencies', "target.'cfg(unix)'.dependencies", 'target."cfg(windows)".dev-dependencies', 'target.x86_64-unknown-linux-gnu.build-dependencies'];

type G = fc.GeneratorValue;

const pick = <T>(g: G, xs: readonly T[]): T => xs[g(fc.integer, { min: 0, max: xs.length - 1 })]!;
const chance = (g: G, p: number): boolean => g(fc.integer, { min: 0, max: 999 }) < p * 1000;
const subset = <T>(g: G, xs: readonly T[], max: number): T[] => {
  const out: T[] = [];
  const n = g(fc.integer, { min: 0, max });
  for (let i = 0; i < n; i++) {
    const x = pick(g, xs);
    if (!out.includes(x)) out.push(x);
  }
  return out;
};

/** A unique comment text, so the order of comments in the output can be checked. */
let commentId = 0;
const COMMENT_TEXTS = ['note', 'keep me', 'ünïcödé 🎉', 'TODO: bump', '=== aligned ===', '"quoted" and \'single\'', 'wasmtime = "1.0.0"', '[dependencies]', 'tab\there'];
const comment = (g: G): string => `# c${++commentId} ${pick(g, COMMENT_TEXTS)}`;
const eq = (g: G): string => pick(g, [' = ', '=', ' =\t', '  =  ', '\t= ']);
const str = (g: G, s: string): string => (chance(g, 0.3) ? `'${s}'` : `"${s}"`);
const trailing = (g: G): string => (chance(g, 0.2) ? `${pick(g, [' ', '  ', '\t'])}${comment(g)}` : '');
const indent = (g: G): string => (chance(g, 0.1) ? pick(g, ['  ', '\t']) : '');
const quoteKey = (g: G, k: string): string => (chance(g, 0.15) ? `"${k}"` : k);

/** Blank lines and comment lines between entries. */
function filler(g: G, lines: Line[]): void {
  const n = g(fc.integer, { min: 0, max: 2 });
  for (let i = 0; i < n; i++) lines.push({ text: chance(g, 0.5) ? comment(g) : pick(g, ['', '', '  ', '\t']), keep: true });
}

function requirement(g: G, v: string): string {
  const [maj, min] = v.split('.');
  return pick(g, [v, v, v, `=${v}`, `^${v}`, `~${maj}.${min}`, `${maj}`, `${maj}.${min}`]);
}

function nonFamilyEntry(g: G, canOptional: boolean): Line[] {
  const e = eq(g);
  switch (g(fc.integer, { min: 0, max: 6 })) {
    case 0:
      return [{ text: `${indent(g)}serde${e}${str(g, '1.0')}${trailing(g)}`, keep: true }];
    case 1:
      return [{ text: `anyhow${e}{ version = ${str(g, '1')}, default-features = false }${trailing(g)}`, keep: true }];
    case 2:
      return [{ text: `wasmtime-provider${e}{version="2.0.0"${canOptional ? ', optional = true' : ''}}${trailing(g)}`, keep: true }];
    case 3:
      return [
        { text: `serde_json.version${e}"1"`, keep: true },
        { text: `serde_json.features${e}["std"]${trailing(g)}`, keep: true },
      ];
    case 4:
      return [{ text: `"sérde-ünï"${e}{ package = "serde", version = "1", features = ["derive"] } # ключ 🎉`, keep: true }];
    case 5:
      return [{ text: `'log'${e}'0.4'`, keep: true }];
    default:
      return [{ text: `tokio${e}{ version = "1", features = [${chance(g, 0.5) ? '"rt", "macros"' : '\'rt\''}] }`, keep: true }];
  }
}

interface FamilyEntryPlan {
  readonly key: string;
  readonly crate: string;
  readonly version: string;
  readonly features: string[];
  readonly optional: boolean;
  readonly noDefaults: boolean;
  /** `workspace = true` (the root must have an entry for the key). */
  readonly inherit: boolean;
}

/** The lines of one family entry inside a table, or a sub-table to emit at the end (returned separately). */
function familyEntry(g: G, e: FamilyEntryPlan, table: string): { inTable: Line[]; subTable: Line[] } {
  const renamed = e.key !== e.crate;
  const fields: [string, string][] = [];
  if (e.inherit) fields.push(['workspace', 'true']);
  else fields.push(['version', str(g, requirement(g, e.version))]);
  if (renamed && !e.inherit) fields.push(['package', str(g, e.crate)]);
  if (e.features.length > 0) fields.push(['features', `[${e.features.map((f) => str(g, f)).join(pick(g, [', ', ',', ' , ']))}${chance(g, 0.2) ? ',' : ''}]`]);
  if (e.optional) fields.push(['optional', 'true']);
  if (e.noDefaults) fields.push(['default-features', 'false']);
  if (chance(g, 0.3)) fields.reverse();
  const simple = fields.length === 1 && fields[0]![0] === 'version';
  const style = simple && chance(g, 0.35) ? 'string' : pick(g, ['inline', 'inline', 'dotted', 'subtable']);
  const k = quoteKey(g, e.key);
  switch (style) {
    case 'string':
      return { inTable: [{ text: `${indent(g)}${k}${eq(g)}${fields[0]![1]}${trailing(g)}`, keep: false }], subTable: [] };
    case 'inline': {
      const sp = chance(g, 0.3) ? '' : ' ';
      const body = fields.map(([f, v]) => `${f}${pick(g, [' = ', '='])}${v}`).join(`,${sp}`);
      return { inTable: [{ text: `${k}${eq(g)}{${sp}${body}${sp}}${trailing(g)}`, keep: false }], subTable: [] };
    }
    case 'dotted':
      return { inTable: fields.flatMap(([f, v]) => multiline(g, `${k}.${f}`, f, v)), subTable: [] };
    default: {
      const sub: Line[] = [{ text: '', keep: true }, { text: `[${table}.${k}]${trailing(g)}`, keep: true }];
      for (const [f, v] of fields) {
        if (chance(g, 0.15)) sub.push({ text: comment(g), keep: true });
        sub.push(...multiline(g, f, f, v));
      }
      return { inTable: [], subTable: sub };
    }
  }
}

/** `key = value`, or a features array spread over lines with comments (keys outside inline tables only). */
function multiline(g: G, key: string, field: string, value: string): Line[] {
  if (field !== 'features' || !chance(g, 0.4)) return [{ text: `${key}${eq(g)}${value}`, keep: false }];
  const items = value.slice(1, -1).split(',').map((x) => x.trim()).filter((x) => x !== '');
  const lines: Line[] = [{ text: `${key}${eq(g)}[`, keep: false }];
  for (const it of items) {
    if (chance(g, 0.3)) lines.push({ text: `    ${comment(g)}`, keep: false });
    lines.push({ text: `    ${it},${trailing(g)}`, keep: false });
  }
  lines.push({ text: ']', keep: false });
  return lines;
}

interface ManifestPlan {
  readonly rel: string;
  readonly pkgName?: string;
  readonly workspace?: { members: string[]; wsDeps?: Line[] };
  /** Keys with an entry in the root's [workspace.dependencies] (members may inherit them). */
  readonly wsKeys: ReadonlySet<string>;
  readonly allowOptional: boolean;
}

/** A manifest: [package], its dependency tables, maybe [workspace] and metadata with unicode keys. */
function manifest(g: G, m: ManifestPlan, chosenKeys: Map<string, string>): FileSpec {
  const lines: Line[] = [];
  const subTables: Line[] = [];
  if (chance(g, 0.3)) lines.push({ text: comment(g), keep: true });
  const emitWorkspace = (): void => {
    if (!m.workspace) return;
    lines.push({ text: `[workspace]${trailing(g)}`, keep: true });
    const members = m.workspace.members;
    if (members.length > 0) {
      if (chance(g, 0.5)) lines.push({ text: `members${eq(g)}[${members.map((x) => `"${x}"`).join(', ')}]`, keep: true });
      else {
        lines.push({ text: 'members = [', keep: true });
        for (const x of members) lines.push({ text: `    ${str(g, x)},${trailing(g)}`, keep: true });
        lines.push({ text: ']', keep: true });
      }
    }
    lines.push({ text: `resolver${eq(g)}"2"`, keep: true });
    filler(g, lines);
    if (chance(g, 0.3)) {
      lines.push({ text: '[workspace.package]', keep: true }, { text: 'edition = "2021"', keep: true }, { text: '', keep: true });
    }
    if (m.workspace.wsDeps) lines.push(...m.workspace.wsDeps);
    if (chance(g, 0.3)) {
      lines.push({ text: '', keep: true }, { text: '[workspace.metadata."ключ"]', keep: true }, { text: `"ü"${eq(g)}"значение 🎉"`, keep: true });
    }
    lines.push({ text: '', keep: true });
  };
  if (m.workspace && !m.pkgName) emitWorkspace();
  if (m.pkgName) {
    lines.push({ text: '[package]', keep: true });
    lines.push({ text: `name${eq(g)}"${m.pkgName}"`, keep: true });
    lines.push({ text: `version = ${str(g, '0.1.0')}${trailing(g)}`, keep: true });
    lines.push({ text: 'edition = "2021"', keep: true });
    if (chance(g, 0.3)) lines.push({ text: `description = "Ünïcödé — ${pick(g, ['日本語', 'emoji 🦀', 'tab\\t'])}"`, keep: true });
    lines.push({ text: '', keep: true });
    const tables = subset(g, DEP_TABLES, 4);
    /** Family keys used, with a feature of the crate, and whether every use is optional (for `dep:` / `?/`). */
    const familyUse = new Map<string, { feature: string; optional: boolean }>();
    for (const table of tables) {
      lines.push({ text: `[${table}]${trailing(g)}`, keep: true });
      const usedCrates = new Set<string>();
      const usedKeys = new Set<string>();
      const n = g(fc.integer, { min: 0, max: 4 });
      for (let i = 0; i < n; i++) {
        filler(g, lines);
        if (chance(g, 0.4)) {
          const e = nonFamilyEntry(g, m.allowOptional && !table.includes('dev-dependencies'));
          // One key per table: skip repeats.
          const key = e[0]!.text.replace(/^\s+/, '').split(/[.=\s]/)[0]!;
          if (usedKeys.has(key)) continue;
          usedKeys.add(key);
          lines.push(...e);
          continue;
        }
        const crate = pick(g, Object.keys(FAMILY));
        if (usedCrates.has(crate)) continue;
        usedCrates.add(crate);
        // One key per crate in a manifest (cargo rejects a crate under two names in one table).
        const key = chosenKeys.get(crate) ?? pick(g, FAMILY[crate]!.keys);
        chosenKeys.set(crate, key);
        const canOptional = m.allowOptional && !table.includes('dev-dependencies');
        const e: FamilyEntryPlan = {
          key,
          crate,
          version: pick(g, VERSIONS),
          features: subset(g, FAMILY[crate]!.features, 3),
          optional: canOptional && chance(g, 0.2),
          noDefaults: chance(g, 0.3),
          inherit: m.wsKeys.has(key) && chance(g, 0.4),
        };
        const prior = familyUse.get(key);
        familyUse.set(key, { feature: FAMILY[crate]!.features[0]!, optional: (prior?.optional ?? true) && e.optional });
        const out = familyEntry(g, e, table);
        lines.push(...out.inTable);
        subTables.push(...out.subTable);
      }
      lines.push({ text: '', keep: true });
    }
    const featureRefs = [...familyUse].flatMap(([key, f]) => [`"${key}/${f.feature}"`, ...(f.optional ? [`"dep:${key}"`, `"${key}?/${f.feature}"`] : [])]);
    if (featureRefs.length > 0 && chance(g, 0.5)) {
      lines.push({ text: '[features]', keep: true }, { text: `default${eq(g)}[]`, keep: true });
      lines.push({ text: `extra${eq(g)}[${subset(g, featureRefs, 3).join(', ')}]${trailing(g)}`, keep: true }, { text: '', keep: true });
    }
    if (chance(g, 0.3)) lines.push({ text: '[package.metadata."ключ"]', keep: true }, { text: `'ü'${eq(g)}'literal ✓'`, keep: true });
  }
  if (m.workspace && m.pkgName) {
    lines.push({ text: '', keep: true });
    emitWorkspace();
  }
  lines.push(...subTables);
  return { rel: m.rel, lines, crlf: chance(g, 0.2), bom: chance(g, 0.1), finalNewline: !chance(g, 0.15), hasPackage: m.pkgName !== undefined };
}

/** An existing [workspace.dependencies] table: non-family entries, maybe family entries, sorted or not. */
function workspaceDeps(g: G): { lines: Line[]; keys: Set<string> } | undefined {
  if (chance(g, 0.4)) return undefined;
  const keys = new Set<string>();
  const entries: { key: string; lines: Line[] }[] = [];
  for (const [key, text] of [['anyhow', 'anyhow = "1"'], ['serde', 'serde = { version = "1", features = ["derive"] }'], ['zzz-tool', '"zzz-tool" = "0.3"'], ['log', "log = '0.4'"]] as const) {
    if (chance(g, 0.5)) entries.push({ key, lines: [{ text: text + trailing(g), keep: true }] });
  }
  for (const crate of Object.keys(FAMILY)) {
    if (!chance(g, 0.35)) continue;
    const key = FAMILY[crate]!.keys[0]!;
    keys.add(key);
    const v = pick(g, VERSIONS);
    const features = chance(g, 0.2) ? ` features = [${str(g, FAMILY[crate]!.features[0]!)}],` : '';
    const df = chance(g, 0.2) ? ' default-features = false,' : '';
    const text = features || df ? `${key} = {${features}${df} version = "${v}" }` : `${key}${eq(g)}"${requirement(g, v)}"`;
    entries.push({ key, lines: [{ text: text + trailing(g), keep: false }] });
  }
  if (chance(g, 0.5)) entries.sort((a, b) => (a.key < b.key ? -1 : 1));
  const lines: Line[] = [{ text: '', keep: true }, { text: `[workspace.dependencies]${trailing(g)}`, keep: true }];
  for (const e of entries) {
    if (chance(g, 0.2)) lines.push({ text: comment(g), keep: true });
    lines.push(...e.lines);
  }
  return { lines, keys };
}

function genCase(g: G): Case {
  const files: FileSpec[] = [];
  const rootPackage = chance(g, 0.4);
  const nMembers = g(fc.integer, { min: rootPackage ? 0 : 1, max: 4 });
  const members = Array.from({ length: nMembers }, (_, i) => `crates/m${i}`);
  const listed = nMembers > 0 && chance(g, 0.3) ? ['crates/*'] : members;
  const ws = workspaceDeps(g);
  const wsKeys = ws?.keys ?? new Set<string>();
  files.push(
    manifest(g, { rel: 'ws/Cargo.toml', ...(rootPackage ? { pkgName: 'root-pkg' } : {}), workspace: { members: listed, ...(ws ? { wsDeps: ws.lines } : {}) }, wsKeys, allowOptional: true }, new Map()),
  );
  for (const [i, m] of members.entries()) files.push(manifest(g, { rel: `ws/${m}/Cargo.toml`, pkgName: `m${i}`, wsKeys, allowOptional: true }, new Map()));
  const nSolo = g(fc.integer, { min: 0, max: 2 });
  for (let i = 0; i < nSolo; i++) files.push(manifest(g, { rel: `solo${i}/Cargo.toml`, pkgName: `solo${i}`, wsKeys: new Set(), allowOptional: true }, new Map()));
  return { files, familyKeys: KEY_TO_CRATE };
}

function render(f: FileSpec): string {
  const eol = f.crlf ? '\r\n' : '\n';
  const body = f.lines.map((l) => l.text).join(eol);
  return `${f.bom ? '\ufeff' : ''}${body}${f.finalNewline ? eol : ''}`;
}

function writeCase(dir: string, c: Case): void {
  for (const f of c.files) {
    const p = path.join(dir, f.rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, render(f));
    if (f.hasPackage) {
      fs.mkdirSync(path.join(path.dirname(p), 'src'), { recursive: true });
      fs.writeFileSync(path.join(path.dirname(p), 'src', 'lib.rs'), '');
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The invariants
// ---------------------------------------------------------------------------------------------------------

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v);
const parse = (text: string): Table => getStaticTOMLValue(parseTOML(text.replace(/^\ufeff/, ''), { tomlVersion: '1.1' })) as Table;

/** Every dependency table of a manifest value, with a label. */
function depTables(doc: Table): [string, Table][] {
  const out: [string, Table][] = [];
  for (const kind of ['dependencies', 'dev-dependencies', 'build-dependencies']) if (isTable(doc[kind])) out.push([kind, doc[kind]]);
  if (isTable(doc.target)) {
    for (const [cfg, t] of Object.entries(doc.target)) {
      if (!isTable(t)) continue;
      for (const kind of ['dependencies', 'dev-dependencies', 'build-dependencies']) if (isTable(t[kind])) out.push([`target.${cfg}.${kind}`, t[kind]]);
    }
  }
  return out;
}

/** The manifest's value with every family entry removed (what must not change at all). */
function withoutFamily(doc: Table, familyKeys: ReadonlyMap<string, string>): Table {
  const copy = structuredClone(doc);
  for (const [, t] of depTables(copy)) for (const k of Object.keys(t)) if (familyKeys.has(k)) delete t[k];
  const wsDeps = isTable(copy.workspace) && isTable(copy.workspace.dependencies) ? copy.workspace.dependencies : undefined;
  if (wsDeps) {
    for (const k of Object.keys(wsDeps)) if (familyKeys.has(k)) delete wsDeps[k];
    // A table created by the run holds only family entries.
    if (Object.keys(wsDeps).length === 0 && isTable(copy.workspace)) delete copy.workspace.dependencies;
  }
  return copy;
}

interface Meaning {
  crate: string;
  req: string;
  features: string[];
  optional: boolean;
  defaults: boolean;
}

/** What cargo makes of a member's family entry (inheritance resolved; cargo-rules: default-features). */
function meaning(entry: unknown, key: string, ws: Table | undefined): Meaning {
  const e: Table = typeof entry === 'string' ? { version: entry } : (entry as Table);
  const inherited = e.workspace === true;
  const base: Table = inherited ? ((w) => (typeof w === 'string' ? { version: w } : (w as Table)))(ws?.[key]) : e;
  const df = (t: Table): boolean | undefined => (t['default-features'] ?? t.default_features) as boolean | undefined;
  const features = [...new Set([...((inherited ? (base.features as string[] | undefined) : []) ?? []), ...((e.features as string[] | undefined) ?? [])])].sort();
  const defaults = inherited ? (df(base) === false ? (df(e) ?? false) : true) : (df(e) ?? true);
  return { crate: String(base.package ?? key), req: metadataReq(String(base.version)), features, optional: e.optional === true, defaults };
}

/** Each family entry of each manifest, by file, table and key. */
function meanings(docs: Map<string, Table>, rootRel: string, familyKeys: ReadonlyMap<string, string>): Map<string, Meaning> {
  const root = docs.get(rootRel);
  const ws = root && isTable(root.workspace) && isTable(root.workspace.dependencies) ? root.workspace.dependencies : undefined;
  const out = new Map<string, Meaning>();
  for (const [rel, doc] of docs) {
    const wsHere = rel === rootRel || rel.startsWith('ws/') ? ws : undefined;
    for (const [label, t] of depTables(doc)) for (const [k, v] of Object.entries(t)) if (familyKeys.has(k)) out.set(`${rel} [${label}] ${k}`, meaning(v, k, wsHere));
  }
  return out;
}

/** `keep` lines must appear unchanged and in order (a subsequence of the output's lines). */
function missingKeptLines(spec: FileSpec, after: string): string | undefined {
  const eol = spec.crlf ? '\r\n' : '\n';
  const out = after.replace(/^\ufeff/, '').split(eol);
  let i = 0;
  for (const l of spec.lines.filter((x) => x.keep)) {
    while (i < out.length && out[i] !== l.text) i++;
    if (i === out.length) return l.text;
    i++;
  }
  return undefined;
}

const commentIds = (text: string): string[] => [...text.matchAll(/# (c\d+) /g)].map((m) => m[1]!);

const stats = { runs: 0, changed: 0, files: 0, lifted: 0, edits: 0 };

/** One run on a copy of the case: every invariant; returns the problems found. */
function checkRun(c: Case, orig: string, work: string, patched: string, to: string | undefined): string[] {
  const problems: string[] = [];
  const req = to ? { to } : {};
  let plan: Plan;
  try {
    plan = planPaths([work], req);
  } catch (e) {
    return [`planning failed: ${(e as Error).message}`];
  }
  if (plan.errors.length > 0) problems.push(`errors: ${plan.errors.map((e) => e.message).join('; ')}`);
  const diff = unifiedDiff(plan.files, work);
  writeAll(plan.files);
  stats.runs++;
  if (plan.files.length > 0) stats.changed++;
  stats.files += plan.files.length;
  stats.lifted += plan.roots.reduce((n, r) => n + r.lifted.length, 0);
  stats.edits += plan.files.reduce((n, f) => n + f.changes.length, 0);

  const afterDocs = new Map<string, Table>();
  const beforeDocs = new Map<string, Table>();
  for (const f of c.files) {
    const before = fs.readFileSync(path.join(orig, f.rel), 'utf8');
    const after = fs.readFileSync(path.join(work, f.rel), 'utf8');
    let doc: Table;
    try {
      doc = parse(after);
    } catch (e) {
      problems.push(`${f.rel}: the output does not parse: ${(e as Error).message}`);
      continue;
    }
    afterDocs.set(f.rel, doc);
    beforeDocs.set(f.rel, parse(before));
    const lost = missingKeptLines(f, after);
    if (lost !== undefined) problems.push(`${f.rel}: a line outside the edited entries changed or moved: ${JSON.stringify(lost)}`);
    if (commentIds(before).join() !== commentIds(after).join()) problems.push(`${f.rel}: comments lost or reordered: ${commentIds(before).join()} -> ${commentIds(after).join()}`);
    if (f.bom !== after.startsWith('\ufeff')) problems.push(`${f.rel}: BOM not kept`);
    const eol = f.crlf ? '\r\n' : '\n';
    if (f.crlf ? /[^\r]\n/.test(after) : after.includes('\r')) problems.push(`${f.rel}: line endings mixed (input ${JSON.stringify(eol)})`);
    if (before.endsWith('\n') !== after.endsWith('\n')) problems.push(`${f.rel}: final newline ${before.endsWith('\n') ? 'dropped' : 'added'}`);
    if (!isDeepStrictEqual(withoutFamily(beforeDocs.get(f.rel)!, c.familyKeys), withoutFamily(doc, c.familyKeys))) {
      problems.push(`${f.rel}: a non-family value changed`);
    }
  }
  // Meaning of every family entry: crate, features, optional, default features; requirement unchanged or a target.
  const targets = new Set(plan.roots.flatMap((r) => (r.target ? [metadataReq(r.target.requirement)] : [])));
  const mb = meanings(beforeDocs, 'ws/Cargo.toml', c.familyKeys);
  const ma = meanings(afterDocs, 'ws/Cargo.toml', c.familyKeys);
  for (const [where, b] of mb) {
    const a = ma.get(where);
    if (!a) {
      problems.push(`${where}: the entry is gone`);
      continue;
    }
    const same = a.crate === b.crate && a.optional === b.optional && a.defaults === b.defaults && a.features.join() === b.features.join();
    if (!same || (a.req !== b.req && !targets.has(a.req))) problems.push(`${where}: meaning changed: ${JSON.stringify(b)} -> ${JSON.stringify(a)} (targets ${[...targets].join(', ')})`);
  }
  for (const where of ma.keys()) if (!mb.has(where)) problems.push(`${where}: a new entry appeared`);
  if (to) {
    for (const r of plan.roots) if (r.target && r.target.version !== to) problems.push(`${r.manifest.path}: target ${r.target.version}, not ${to}`);
  }

  // Idempotence.
  try {
    const again = planPaths([work], req);
    if (again.files.length > 0) problems.push(`a second run changes ${again.files.map((f) => path.relative(work, f.manifest.path)).join(', ')}:\n${unifiedDiff(again.files, work)}`);
  } catch (e) {
    problems.push(`the second run failed: ${(e as Error).message}`);
  }
  // The dry-run diff applied with git apply gives the written tree.
  try {
    gitApply(patched, diff);
    const differ = treeDifferences(readTree(patched), readTree(work));
    if (differ.length > 0) problems.push(`git apply of the diff differs from the write in ${differ.join(', ')}`);
  } catch (e) {
    problems.push(`git apply: ${(e as Error).message.trim()}`);
  }
  return problems;
}

function describe(c: Case): string {
  return c.files.map((f) => `--- ${f.rel}${f.crlf ? ' (CRLF)' : ''}${f.bom ? ' (BOM)' : ''}${f.finalNewline ? '' : ' (no final newline)'}\n${f.lines.map((l) => l.text).join('\n')}`).join('\n');
}


function runProperty(name: string, numRuns: number, body: (c: Case, dir: string) => string[]): void {
  let cases = 0;
  const out = fc.check(
    fc.property(fc.gen(), (g) => {
      const c = genCase(g);
      cases++;
      const dir = tempDir('prop');
      try {
        const problems = body(c, dir);
        if (problems.length > 0) throw new Error(`${problems.join('\n')}\n\nthe case:\n${describe(c)}`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }),
    { seed: SEED, numRuns, endOnFailure: true, ...(process.env.PROPERTY_PATH ? { path: process.env.PROPERTY_PATH } : {}) },
  );
  if (out.failed) {
    const why = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
    throw new Error(`${name} failed: PROPERTY_SEED=${out.seed} PROPERTY_PATH=${out.counterexamplePath} (case ${cases} of ${numRuns}):\n${why}`);
  }
}

const FAMILY_SET = new Set(embeddedReleaseData().familyNames());

test(`random workspaces, with and without --to 26.0.1: valid, byte-preserving, meaning-preserving, idempotent, git apply = write (seed ${SEED}, ${RUNS} cases x 2)`, (t) => {
  runProperty('the property', RUNS, (c, dir) => {
    const orig = path.join(dir, 'orig');
    writeCase(orig, c);
    const problems: string[] = [];
    for (const to of [undefined, '26.0.1']) {
      const tag = to ? `--to ${to}` : 'bare';
      const work = copyTree(orig, path.join(dir, `work-${tag}`));
      const patched = copyTree(orig, path.join(dir, `patched-${tag}`));
      problems.push(...checkRun(c, orig, work, patched, to).map((p) => `[${tag}] ${p}`));
    }
    return problems;
  });
  t.diagnostic(`${stats.runs} runs: ${stats.changed} changed something (${stats.files} files, ${stats.edits} edits, ${stats.lifted} keys lifted)`);
  assert.ok(stats.changed >= stats.runs / 2, 'the generator mostly produces workspaces that need changes');
});

test(`the CLI gives the same bytes as the in-process run, and the cargo oracle keeps the meaning (seed ${SEED}, ${ORACLE_RUNS} cases)`, (t) => {
  const cargo = cargoStatus();
  if (!cargo.available) t.diagnostic(`cargo oracle skipped: ${cargo.reason}`);
  runProperty('the CLI/oracle property', ORACLE_RUNS, (c, dir) => {
    const orig = path.join(dir, 'orig');
    writeCase(orig, c);
    const problems: string[] = [];
    for (const to of [undefined, '26.0.1']) {
      const tag = to ? `--to ${to}` : 'bare';
      const args = to ? ['--to', to] : [];
      const cli = copyTree(orig, path.join(dir, `cli-${tag}`));
      const inProcess = copyTree(orig, path.join(dir, `in-${tag}`));
      const w = runCli([...args, '--write'], cli);
      if (w.status !== 0) {
        problems.push(`[${tag}] --write exited ${w.status}: ${w.stderr}`);
        continue;
      }
      const check = runCli([...args, '--check'], cli);
      if (check.status !== 0) problems.push(`[${tag}] --check after --write exited ${check.status}:\n${check.stdout}`);
      const plan = planPaths([inProcess], to ? { to } : {});
      writeAll(plan.files);
      const differ = treeDifferences(readTree(cli), readTree(inProcess));
      if (differ.length > 0) problems.push(`[${tag}] the CLI and planPaths wrote different bytes in ${differ.join(', ')}`);
      if (!cargo.available) continue;
      const allowedReqs = new Set(plan.roots.flatMap((r) => (r.target ? [metadataReq(r.target.requirement)] : [])));
      for (const root of plan.roots) {
        const rel = path.relative(inProcess, root.manifest.path);
        let before;
        try {
          before = snapshot(path.join(orig, rel));
        } catch (e) {
          problems.push(`[${tag}] cargo rejects the generated input ${rel} (generator bug): ${(e as Error).message}`);
          continue;
        }
        try {
          const after = snapshot(path.join(cli, rel));
          problems.push(...compareSnapshots(before, after, { family: FAMILY_SET, allowedReqs }).map((d) => `[${tag}] cargo metadata: ${rel}: ${d}`));
        } catch (e) {
          problems.push(`[${tag}] cargo rejects the rewritten ${rel}: ${(e as Error).message}`);
        }
      }
    }
    return problems;
  });
});
