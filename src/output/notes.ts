/**
 * `wasmtime-align notes`: the release notes of every wasmtime release an upgrade crosses, per root. Loaded only by
 * that subcommand (it reads data/release-notes.json); a normal run knows only the count of breaking notes.
 */
import { packageName } from '../discover/config.js';
import { displayPath } from '../errors.js';
import { BREAKING_SECTIONS, embeddedReleaseNotes, type ReleaseNotes } from '../family/release-notes.js';
import type { ReleaseData } from '../family/release-data.js';
import { isTable, packageDependencyTables, workspaceDependencies } from '../manifest/dependencies.js';
import { floorVersion, parseRequirement } from '../manifest/requirement.js';
import type { Plan, PlannedRoot } from '../pipeline.js';
import { crossedReleases } from '../plan/crate-changes.js';
import * as semver from '../semver.js';
import { SCHEMA_VERSION } from './report.js';
import { securityFixesLine } from '../plan/release-findings.js';

/** What an item names that the root uses: a family crate, or a feature of one. */
export interface Use {
  readonly crate: string;
  readonly feature?: string;
}

export interface NoteItem {
  /** The item's markdown without its bullet, continuation lines unindented. */
  readonly text: string;
  /** Empty when it names nothing the root uses. */
  readonly uses: readonly Use[];
}

export interface NotesRelease {
  readonly version: string;
  readonly date: string | null;
  /** What is missing of the notes (`notes not found (...)`, a partial page); absent when complete. */
  readonly status?: string;
  /** The chosen sections the release has, in the notes' order; used items first within each. */
  readonly sections: readonly { readonly name: string; readonly preamble: readonly string[]; readonly items: readonly NoteItem[]; readonly references: readonly string[] }[];
}

export interface NotesRoot {
  readonly root: PlannedRoot;
  /** The release features are checked against at the target, null when the data does not know it. */
  readonly target: string | null;
  /** The lowest wasmtime release the root's changing requirements ask for. */
  readonly from: string | null;
  /** Every release crossed, oldest first, with the chosen sections (maybe none). */
  readonly releases: readonly NotesRelease[];
  /** When the release the root asks for is older than security fixes on its line: which (null otherwise). */
  readonly security: string | null;
}

/** The notes of each root with a target; `all` takes every section, else Changed, Removed and Security Fixes. */
export function notesOf(plan: Plan, all: boolean): NotesRoot[] {
  const notes = embeddedReleaseNotes();
  const byVersion = new Map<string, ReleaseNotes>(notes.map((r) => [r.version, r]));
  return plan.roots
    .filter((root) => root.target !== undefined)
    .map((root) => {
      const target = root.target!.release;
      const crossed = crossedReleases(root.crates, byVersion.keys(), target, plan.data);
      const uses = usesOf(root, plan.data);
      const releases = crossed.map((v): NotesRelease => {
        const r = byVersion.get(v)!;
        const sections = r.sections
          .filter((s) => all || BREAKING_SECTIONS.includes(s.name))
          .map((s) => {
            const items = s.text.items.map((text): NoteItem => ({ text: unbullet(text), uses: matches(text, uses) }));
            return { name: s.name, preamble: s.text.preamble, items: [...items.filter((i) => i.uses.length > 0), ...items.filter((i) => i.uses.length === 0)], references: s.text.references };
          });
        return { version: v, date: r.date, sections, ...(r.status !== undefined ? { status: r.status } : {}) };
      });
      const asked = root.target!.version;
      const security = securityFixesLine(semver.valid(asked) === asked ? asked : (target ?? asked), plan.data);
      return { root, target, from: fromRelease(root, plan.data), releases, security: security === undefined ? null : `${security.text}; --to ${security.newest} takes the newest` };
    });
}

/** The family crates the root's manifests depend on, with the features they name. */
function usesOf(root: PlannedRoot, data: ReleaseData): Use[] {
  const ws = workspaceDependencies(root.manifest);
  const out = new Map<string, Use>();
  const add = (crate: string, feature?: string): void => {
    if (data.family(crate) === undefined) return;
    const u = feature === undefined ? { crate } : { crate, feature };
    out.set(`${crate}/${feature ?? ''}`, u);
  };
  const tables = [...root.manifests.flatMap((m) => packageDependencyTables(m.value).map((t) => t.table)), ws];
  for (const table of tables) {
    for (const [key, spec] of Object.entries(table)) {
      const inherited = isTable(spec) && spec.workspace === true ? ws[key] : undefined;
      const pkgOf = (v: unknown): string | undefined => (isTable(v) && typeof v.package === 'string' ? v.package : undefined);
      const crate = pkgOf(spec) ?? pkgOf(inherited) ?? key;
      add(crate);
      for (const v of [spec, inherited]) {
        const features = isTable(v) && Array.isArray(v.features) ? v.features : [];
        for (const f of features) if (typeof f === 'string') add(crate, f);
      }
    }
  }
  return [...out.values()].sort((a, b) => (`${a.crate}/${a.feature ?? ''}` < `${b.crate}/${b.feature ?? ''}` ? -1 : 1));
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * What an item names: a crate by its name (`wasmtime` itself only in code, `wasmtime` or `wasmtime::...`, not the
 * `wasmtime` CLI, since nearly every note says Wasmtime), a feature in code in an item that speaks of features.
 */
function matches(text: string, uses: readonly Use[]): Use[] {
  const speaksOfFeatures = /\bfeatures?\b/i.test(text);
  return uses.filter((u) => {
    if (u.feature !== undefined) return speaksOfFeatures && text.includes(`\`${u.feature}\``);
    const name = escape(u.crate);
    const re = u.crate === 'wasmtime' ? /`wasmtime`(?! (?:CLI|command))|`wasmtime::/ : new RegExp(`(?<![\\w-])${name}(?![\\w-])`);
    return re.test(text);
  });
}

function unbullet(item: string): string {
  return item
    .replace(/^[*-] /, '')
    .split('\n')
    .map((l) => l.replace(/^ {2}/, ''))
    .join('\n');
}

function fromRelease(root: PlannedRoot, data: ReleaseData): string | null {
  const releases = root.crates.flatMap((row) =>
    row.from.flatMap((text) => {
      const req = parseRequirement(text);
      const floor = req && floorVersion(req)?.version;
      const r = floor ? data.releaseOf(row.name, floor) : undefined;
      return r === undefined ? [] : [r];
    }),
  );
  return releases.sort(semver.compare)[0] ?? null;
}

function usesLabel(uses: readonly Use[]): string {
  return uses.map((u) => (u.feature === undefined ? `\`${u.crate}\`` : `${u.crate} feature \`${u.feature}\``)).join(', ');
}

/** Markdown: per root a `#` line, per release `## X.Y.Z (date)`, per section `###`; used items marked. */
export function formatNotes(roots: readonly NotesRoot[], all: boolean, cwd: string): string {
  const out: string[] = [];
  const which = all ? 'every section' : `${BREAKING_SECTIONS.join(', ')} (--all: every section)`;
  for (const n of roots) {
    const root = n.root;
    const where = displayPath(root.manifest.path, cwd);
    const what = root.kind === 'workspace' ? `workspace of ${root.members.length} ${root.members.length === 1 ? 'member' : 'members'}` : `package ${packageName(root.manifest) ?? ''}`.trimEnd();
    const to = root.target!.release ?? root.target!.version;
    if (out.length > 0) out.push('');
    if (n.releases.length === 0) {
      out.push(`# ${where} (${what}): no release crossed on the way to wasmtime ${to}`);
      if (n.security !== null) out.push('', `**Security:** ${n.security}.`);
      continue;
    }
    const crossed = n.releases.map((r) => r.version);
    out.push(`# ${where} (${what}): wasmtime ${n.from ?? '?'} -> ${to}`);
    out.push('');
    const marked = n.releases.flatMap((r) => r.sections.flatMap((s) => s.items)).filter((i) => i.uses.length > 0).length;
    out.push(
      `${crossed.length} ${crossed.length === 1 ? 'release' : 'releases'} crossed (${crossed.length === 1 ? crossed[0] : `${crossed[0]} to ${crossed.at(-1)}`}); sections: ${which}.` +
        (marked > 0 ? ` ${marked} ${marked === 1 ? 'item names' : 'items name'} what this ${root.kind === 'workspace' ? 'workspace' : 'package'} uses: first in their section, marked **[uses ...]**.` : ''),
    );
    if (n.security !== null) out.push('', `**Security:** ${n.security}.`);
    for (const r of n.releases) {
      if (r.sections.length === 0 && r.status === undefined) continue;
      out.push('', `## ${r.version} (${r.date ?? 'date unknown'})`);
      if (r.status !== undefined) out.push('', `_${r.status}_`);
      for (const s of r.sections) {
        out.push('', `### ${s.name}`, '');
        if (s.preamble.length > 0) out.push(...s.preamble, '');
        const items = s.items.map((i) => {
          const text = i.text.split('\n').map((l, k) => (k === 0 || l === '' ? l : `  ${l}`)).join('\n');
          return `* ${i.uses.length > 0 ? `**[uses ${usesLabel(i.uses)}]** ` : ''}${text}`;
        });
        out.push(items.join('\n\n'));
        if (s.references.length > 0) out.push('', ...s.references);
      }
    }
  }
  if (out.length === 0) out.push('No workspace here has a registry dependency on the wasmtime family.');
  return `${out.join('\n')}\n`;
}

/** `notes --json`. */
export function notesJson(roots: readonly NotesRoot[], all: boolean, cwd: string): unknown {
  return {
    schemaVersion: SCHEMA_VERSION,
    sections: all ? 'all' : BREAKING_SECTIONS,
    roots: roots.map((n) => ({
      manifest: displayPath(n.root.manifest.path, cwd),
      from: n.from,
      target: n.target,
      security: n.security,
      releases: n.releases.map((r) => ({
        version: r.version,
        date: r.date,
        ...(r.status !== undefined ? { status: r.status } : {}),
        sections: r.sections.map((s) => ({ name: s.name, items: s.items })),
      })),
    })),
  };
}
