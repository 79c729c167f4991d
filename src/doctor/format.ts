/**
 * The doctor's human text and its JSON form. Paths become relative to the current directory here, never in
 * the report itself.
 */
import { displayPath, formatLocation, relativePath } from '../errors.js';
import { SCHEMA_VERSION } from '../output/report.js';
import type { Style } from '../output/style.js';
import { lineOf } from './releases.js';
import type { Ask, Chain, DoctorReport, FamilyLine, ReleasesDrift, RootReport } from './types.js';

type AnyFinding = RootReport['drift'][number] | RootReport['features'][number] | RootReport['toolchain'][number];

/** A line without wasmtime names up to this many of its crates. */
const NAMED_UP_TO = 2;

export function formatDoctor(report: DoctorReport, cwd: string, style: Style): string {
  const out: string[] = [];
  for (const w of report.warnings) out.push(`${style.yellow('warning')}: ${formatLocation({ file: w.file }, cwd)}${w.message}`);
  let quiet = 0;
  let problems = 0;
  let troubled = 0;
  for (const root of report.roots) {
    if (!root.usesFamily) {
      quiet++;
      continue;
    }
    out.push(...formatRoot(root, cwd, style));
    const n = [...root.drift, ...root.features, ...root.toolchain].filter((f) => f.level === 'warning').length;
    problems += n;
    if (n > 0) troubled++;
  }
  if (report.roots.length === 0) out.push('no Cargo workspace or package found');
  if (quiet > 0) out.push(`${quiet} ${quiet === 1 ? 'root does' : 'roots do'} not use the wasmtime family`);
  const rootsWord = `${troubled} ${troubled === 1 ? 'root' : 'roots'}`;
  out.push(style.bold(problems === 0 ? 'no problems' : `${problems} ${problems === 1 ? 'problem' : 'problems'} in ${rootsWord}`));
  return out.join('\n') + '\n';
}

function formatRoot(root: RootReport, cwd: string, style: Style): string[] {
  const where = displayPath(root.manifest, cwd);
  const what = root.kind === 'workspace' ? `workspace of ${root.members.length} ${root.members.length === 1 ? 'member' : 'members'}` : 'package';
  const lock = root.lock === null ? 'no Cargo.lock' : `${displayPath(root.lock, cwd)} v${root.lockVersion}`;
  const out = [`${style.bold(where)} (${what}): ${lock}`];
  out.push(...familyLines(root, style));
  const finding = (f: AnyFinding): string[] => {
    const label = f.level === 'warning' ? style.yellow('warning') : style.cyan('note');
    const at = f.file === undefined ? '' : formatLocation({ file: f.file, ...(f.line !== undefined ? { line: f.line, column: f.column } : {}) }, cwd);
    const head = `  ${label}: ${at}${f.message}`;
    return f.kind === 'releases' ? [head, ...releaseDetails(f, cwd, style)] : [head];
  };
  const all: AnyFinding[] = [...root.drift, ...root.features, ...root.toolchain, ...root.notes];
  for (const f of all.filter((f) => f.level === 'warning')) out.push(...finding(f));
  for (const f of all.filter((f) => f.level === 'note')) out.push(...finding(f));
  return out;
}

/** `family: wasmtime 36.0.2 (14 crates), ...` and, with several lines, who brings each one in. */
function familyLines(root: RootReport, style: Style): string[] {
  if (root.lock === null) return [];
  if (root.family.length === 0) return ['  family: none in the lock'];
  const unmatched = root.family.flatMap((c) => c.versions.filter((v) => v.release === null).map((v) => `${c.name} ${v.version} (release unknown)`));
  const out = [`  family: ${[...root.lines.map((l) => lineLabel(l, style, true)), ...unmatched].join(', ')}`];
  if (root.lines.length < 2) return out;
  for (const l of root.lines) {
    const chains = lineChains(root, l);
    if (chains.length === 0) continue;
    out.push(`    ${lineLabel(l, style, false)}:`);
    for (const c of chains) out.push(`      ${c}`);
  }
  return out;
}

/** `wasmtime 36.0.2 (14 crates)`; a line without wasmtime itself is named by its crates. */
function lineLabel(l: FamilyLine, style: Style, counted: boolean): string {
  const from = l.source === 'registry' ? '' : ` from ${l.source}`;
  const names = [...new Set(l.crates.map((c) => c.name))];
  if (l.hasWasmtime) {
    const n = names.length;
    return `wasmtime ${style.green(l.release)}${from}${counted ? ` (${n} ${n === 1 ? 'crate' : 'crates'})` : ''}`;
  }
  const first = l.crates.slice(0, NAMED_UP_TO).map((c) => `${c.name} ${c.version}`);
  const more = l.crates.length > NAMED_UP_TO ? ` and ${l.crates.length - NAMED_UP_TO} more` : '';
  return `${first.join(', ')}${more}${from} (of wasmtime ${style.green(l.line)})`;
}

/**
 * The distinct ways a line enters the build: each chain cut at its first family crate (what lies below is the
 * family's own wiring), chains with the same way in merged, annotated with the third-party crate that holds it.
 */
function lineChains(root: RootReport, line: FamilyLine): string[] {
  const ways = new Map<string, { head: string; ends: string[]; note: string }>();
  for (const c of root.family) {
    for (const v of c.versions) {
      if (v.release === null || lineOf(v.release) !== line.line || v.source !== line.source) continue;
      for (const chain of v.chains ?? []) {
        const cut = chain.path.findIndex((p, i) => i > 0 && p.family);
        const end = cut < 0 ? chain.path.length - 1 : cut;
        const head = chain.path.slice(0, end).map((p, i) => (i === 0 ? p.name : `${p.name} ${p.version}`)).join(' → ');
        const note = holderNote(chain);
        const key = `${head}\u0000${note}`;
        const way = ways.get(key) ?? { head, ends: [], note };
        ways.set(key, way);
        const last = chain.path[end]!;
        const endText = `${last.name} ${last.version}`;
        if (!way.ends.includes(endText)) way.ends.push(endText);
      }
    }
  }
  return [...ways.values()].map((w) => `${w.head} → ${w.ends.join(', ')}${w.note}`);
}

function holderNote(chain: Chain): string {
  const h = chain.holder;
  if (!h || h.kind === 'member') return '';
  return ` (held by ${h.name} ${h.version}${h.requirement !== null ? `, which requires ${h.dependsOn} "${h.requirement}"` : ''})`;
}

/** Per release, who asks for it: one line per place the requirement is written. */
function releaseDetails(f: ReleasesDrift, cwd: string, style: Style): string[] {
  const out: string[] = [];
  for (const r of f.releases) {
    const byPlace = new Map<string, Ask[]>();
    for (const a of r.asks) {
      const at = `${a.file}:${a.line}:${a.column}`;
      byPlace.set(at, [...(byPlace.get(at) ?? []), a]);
    }
    for (const asks of byPlace.values()) {
      const a = asks[0]!;
      const who = a.inherited ? `workspace entry, inherited by ${asks.map((x) => x.member).join(', ')}` : a.member;
      out.push(`    ${style.green(r.release)}: ${formatLocation(a, cwd)}${a.key} = "${a.requirement}" (${who})`);
    }
  }
  return out;
}

const PATH_KEYS: ReadonlySet<string> = new Set(['manifest', 'memberManifest', 'lock', 'file', 'requirementFile']);

/** The report as JSON-ready data with every path relative to `cwd` (forward slashes). */
export function toJson(report: DoctorReport, cwd: string): unknown {
  const walk = (v: unknown, key: string | undefined): unknown => {
    if (typeof v === 'string') return key !== undefined && PATH_KEYS.has(key) ? relativePath(v, cwd) : v;
    if (Array.isArray(v)) return v.map((x) => walk(x, key === 'members' ? 'file' : undefined));
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return { schemaVersion: SCHEMA_VERSION, ...(walk(report, undefined) as object) };
}
