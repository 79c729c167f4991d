/**
 * The releases after the embedded snapshot (../shared/data/wasmtime-family/releases-after-snapshot.json), folded
 * into the generated data by gen-data.ts: what public sources show of each release (date, notes, Rust version),
 * each fact with its source and whether it is complete. No feature list of these releases was seen: their crate
 * rows are derived at load time from the newest release with data (src/family/release-data.ts), never stored.
 *
 * Also here: which releases' notes are security fixes (every release with notes, old and new), and the rules for
 * the default-feature changes the file reports with evidence.
 */
import semver from 'semver';
import type { AfterRelease, AfterSnapshot, DefaultChange, FeatureRule, SecurityFix } from '../src/family/release-data.js';

export const AFTER_FILE = 'wasmtime-family/releases-after-snapshot.json';

interface RawAfterRelease {
  date: string | null;
  date_inferred?: string;
  date_note?: string;
  notes: Record<string, string> | null;
  notes_status?: string;
  rust_version: string | null;
  rust_version_source?: string;
  prerelease?: boolean;
  existence?: string;
  feature_changes?: string[];
  known_fixes_from_advisories?: string[];
  sources: string[];
}

export interface RawAfter {
  collected: string;
  releases: Record<string, RawAfterRelease>;
  same_day_as_48_0_0?: Record<string, { date: string | null; rust_version: string | null; notes: Record<string, string> | null; sources: string[] }>;
  not_found?: string[];
}

/** What the embedded sources already say of a release, to compare with. */
export interface KnownRelease {
  readonly date?: string | null;
  readonly rustVersion?: string | null;
  readonly sections?: readonly (readonly [string, string])[];
}

/**
 * The default-feature changes the file reports, as rules: `p3` joined the defaults of wasmtime-wasi-http (release
 * notes, #14137) and, per git, of wasmtime-wasi and wasmtime-wasi-tls (same PR). `at` and `mentions` tie each
 * rule to the file's own words, so a rule cannot outlive its evidence.
 */
const DEFAULT_CHANGES: readonly { crate: string; feature: string; at: string; mentions: RegExp; confidence: string; seen: string }[] = [
  { crate: 'wasmtime-wasi-http', feature: 'p3', at: '49.0.0', mentions: /^wasmtime-wasi-http: `p3` added to the default feature set/, confidence: 'high', seen: 'release notes and git' },
  { crate: 'wasmtime-wasi', feature: 'p3', at: '49.0.0', mentions: /^wasmtime-wasi: the same PR #14137 .*\[p1, p2, p3\]/, confidence: 'medium', seen: 'git (commit f96772e); not in the release notes' },
  { crate: 'wasmtime-wasi-tls', feature: 'p3', at: '49.0.0', mentions: /^wasmtime-wasi-tls: same PR changed default .*\[p2, p3, rustls\]/, confidence: 'medium', seen: 'git (commit f96772e); not in the release notes' },
];
const P3_PR = { pr: 14137, url: 'https://github.com/bytecodealliance/wasmtime/pull/14137' };

const SECURITY_ID = /\b(GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}|CVE-\d{4}-\d{4,}|RUSTSEC-\d{4}-\d{4})\b/g;

/** Advisory ids in a release's notes; a `Security` section without ids still counts (the section says so). */
export function securityOf(sections: readonly (readonly [string, string])[]): SecurityFix | undefined {
  const ids = new Set<string>();
  let section = false;
  for (const [name, text] of sections) {
    if (/security/i.test(name)) section = true;
    for (const m of text.matchAll(SECURITY_ID)) ids.add(m[1]!);
  }
  if (ids.size === 0 && !section) return undefined;
  return { ids: [...ids].sort(), from: 'notes' };
}

function notesStatus(r: RawAfterRelease): AfterRelease['notes'] {
  const s = (r.notes_status ?? '').toLowerCase();
  if (r.notes === null || s.startsWith('not found')) return 'not found';
  if (r.prerelease === true || s.startsWith('pre-release')) return 'prerelease';
  if (s.startsWith('partial')) return 'partial';
  return 'complete';
}

/** `notes not found (no release page found)`, `notes partial: ...`: what `notes` prints for a release. */
function statusText(status: AfterRelease['notes'], raw: string): string {
  if (status === 'not found') {
    const rest = raw.replace(/^not found\s*/i, '').trim();
    return `notes not found${rest !== '' ? ` ${rest}` : ''}`;
  }
  if (status === 'partial') return `notes partial: ${raw.replace(/^PARTIAL:\s*/i, '')}`;
  return `pre-release notes: ${raw}`;
}

/** Non-empty sections, in the notes' order, trailing space trimmed (as gen-data does for the embedded notes). */
export function sectionsOf(notes: Record<string, string> | null): [string, string][] {
  return Object.entries(notes ?? {})
    .map(([name, text]) => [name, text.replace(/\s+$/, '')] as [string, string])
    .filter(([, text]) => text !== '');
}

/** Whitespace and line breaks differ between a release page and RELEASES.md; the words must not. */
const words = (s: string): string => s.replace(/\s+/g, ' ').trim();

export interface AfterOutput {
  readonly after: AfterSnapshot;
  /** Notes of the releases after the snapshot (and `status` for those without). */
  readonly notes: Record<string, { date: string | null; sections: [string, string][]; status?: string }>;
  readonly security: Record<string, SecurityFix>;
  readonly rules: FeatureRule[];
}

/**
 * Reads the file; throws when a release it lists is also in the embedded sources with different facts (date, Rust
 * version, notes), or when a fact has no source.
 */
export function readAfter(raw: RawAfter, known: (version: string) => KnownRelease | undefined, warnings: string[]): AfterOutput {
  const releases: Record<string, AfterRelease> = {};
  const notes: AfterOutput['notes'] = {};
  const security: Record<string, SecurityFix> = {};
  const problems: string[] = [];

  // Releases the file repeats from the snapshot's day: they must agree with what is embedded.
  for (const [version, r] of Object.entries(raw.same_day_as_48_0_0 ?? {})) {
    const k = known(version);
    if (k === undefined) problems.push(`${version}: listed as a release of the snapshot's day, but the embedded data does not have it`);
    else problems.push(...disagreements(version, { date: r.date, rustVersion: r.rust_version, sections: sectionsOf(r.notes) }, k));
  }

  for (const version of Object.keys(raw.releases).sort(semver.compare)) {
    const r = raw.releases[version]!;
    if (semver.valid(version) !== version) {
      problems.push(`${version}: not a version`);
      continue;
    }
    const k = known(version);
    if (k !== undefined) problems.push(...disagreements(version, { date: r.date, rustVersion: r.rust_version, sections: sectionsOf(r.notes) }, k));
    if (r.sources.length === 0 && r.existence === undefined) problems.push(`${version}: no source and no statement of why it is known to exist`);
    const inferred = r.date === null ? /\d{4}-\d{2}-\d{2}/.exec(r.date_inferred ?? '')?.[0] : undefined;
    const status = notesStatus(r);
    if (r.rust_version !== null && r.rust_version_source === undefined) problems.push(`${version}: rust_version ${r.rust_version} without rust_version_source`);
    releases[version] = {
      date: r.date ?? inferred ?? null,
      dateSource: r.date !== null ? 'stated' : inferred !== undefined ? 'inferred' : 'unknown',
      ...(r.date === null && r.date_inferred !== undefined ? { dateNote: r.date_inferred } : r.date_note !== undefined ? { dateNote: r.date_note } : {}),
      ...(semver.prerelease(version) !== null ? { prerelease: true as const } : {}),
      features: 'unknown',
      notes: status,
      ...(r.rust_version !== null ? { rustVersion: r.rust_version, rustVersionSource: r.rust_version_source! } : {}),
      ...(r.existence !== undefined ? { existence: r.existence } : {}),
      sources: [...r.sources],
    };
    const sections = sectionsOf(r.notes);
    notes[version] = {
      date: r.date ?? inferred ?? null,
      sections,
      ...(status !== 'complete' ? { status: statusText(status, r.notes_status ?? '') } : {}),
    };
    const fix = securityOf(sections);
    if (fix !== undefined) security[version] = fix;
    else if ((r.known_fixes_from_advisories ?? []).length > 0) {
      // No notes were found, but the advisories name this release as the fixed version.
      const ids = new Set<string>();
      for (const line of r.known_fixes_from_advisories!) for (const m of line.matchAll(SECURITY_ID)) ids.add(m[1]!);
      if (ids.size > 0) security[version] = { ids: [...ids].sort(), from: 'advisories' };
    }
  }

  const defaultChanges: DefaultChange[] = [];
  const rules: FeatureRule[] = [];
  for (const c of DEFAULT_CHANGES) {
    const r = raw.releases[c.at];
    const line = r?.feature_changes?.find((l) => c.mentions.test(l));
    if (line === undefined) {
      problems.push(`${c.at}: no feature_changes entry for ${c.crate} \`${c.feature}\` (the rule's evidence)`);
      continue;
    }
    defaultChanges.push({ crate: c.crate, from: c.at, add: [c.feature], evidence: line });
    rules.push({
      crate: c.crate,
      feature: c.feature,
      changedIn: c.at,
      action: 'semantic-change',
      to: [],
      note: `\`${c.feature}\` (WASIp3) joined the default features (seen in ${c.seen}); it is new functionality, nothing that was always built moved behind it, so builds without default features are unchanged`,
      confidence: c.confidence,
      evidence: [{ ...P3_PR, section: `${c.at} Changed` }],
    });
  }

  if (problems.length > 0) throw new Error(`${AFTER_FILE}:\n  ${problems.join('\n  ')}`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw.collected)) throw new Error(`${AFTER_FILE}: collected is not a date: ${raw.collected}`);
  for (const [v, r] of Object.entries(releases)) if (r.dateSource === 'unknown') warnings.push(`${AFTER_FILE}: ${v} has no date`);
  return {
    after: { collected: raw.collected, source: AFTER_FILE, releases, defaultChanges, notFound: [...(raw.not_found ?? [])] },
    notes,
    security,
    rules,
  };
}

/** Where the file and the embedded sources both speak of a release, what they say differently. */
export function disagreements(version: string, theirs: KnownRelease, ours: KnownRelease): string[] {
  const out: string[] = [];
  if (theirs.date && ours.date && theirs.date !== ours.date) out.push(`${version}: date ${theirs.date} in ${AFTER_FILE}, ${ours.date} in the embedded data`);
  if (theirs.rustVersion && ours.rustVersion && theirs.rustVersion !== ours.rustVersion) {
    out.push(`${version}: rust_version ${theirs.rustVersion} in ${AFTER_FILE}, ${ours.rustVersion} in the embedded data`);
  }
  if (theirs.sections && theirs.sections.length > 0 && ours.sections) {
    const mine = new Map(ours.sections.map(([n, t]) => [n.replace(/\.$/, ''), words(t)]));
    for (const [name, text] of theirs.sections) {
      const other = mine.get(name.replace(/\.$/, ''));
      if (other !== undefined && other !== words(text)) out.push(`${version}: the ${name} notes differ from the embedded notes`);
      if (other === undefined) out.push(`${version}: a ${name} section the embedded notes do not have`);
    }
  }
  return out;
}
