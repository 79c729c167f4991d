import * as fs from 'node:fs';
import * as path from 'node:path';
import { discover, type VendoredDir } from './discover/index.js';
import { displayPath, ErrorSink, UserError } from './errors.js';
import { renderManifest } from './edit/render.js';
import { validateRendered } from './edit/validate.js';
import { checkMeaning } from './edit/meaning.js';
import { assertHakariSectionsKept } from './edit/hakari-guard.js';
import { hakariSectionsOf, type HakariSection } from './manifest/hakari-section.js';
import type { Manifest } from './manifest/read.js';
import { planRoot, type PlanOptions } from './plan/root.js';
import { unmatchedPatterns } from './plan/exclude.js';
import { changedManifest, type Change, type Finding, type RootPlan } from './plan/types.js';
import { embeddedReleaseData, type ReleaseData } from './family/release-data.js';
import { resolveTo, type ResolvedTo } from './plan/resolve-to.js';
import { readSettings, settingError, type RepoSettings } from './manifest/settings.js';
import type { Root } from './discover/index.js';

/** One manifest that changes: its text before and after (BOM included) and the changes that made it. */
export interface FilePlan {
  readonly manifest: Manifest;
  /**
   * Where the text is written: the manifest's own path, or for a symlinked manifest the file it links to (the
   * link stays a link). Always inside the directory of its workspace root.
   */
  readonly writePath: string;
  readonly before: string;
  readonly after: string;
  readonly changes: readonly Change[];
}

/** A hakari section of one of a root's manifests: left as generated, named in the summary and the report. */
export interface GeneratedSection extends HakariSection {
  readonly file: string;
}

/** A planned root and the generated sections of its manifests. */
export interface PlannedRoot extends RootPlan {
  readonly generated: readonly GeneratedSection[];
}

export interface Plan {
  readonly roots: readonly PlannedRoot[];
  /** Only the files that change, sorted by path. */
  readonly files: readonly FilePlan[];
  /** Problems found while discovering workspaces (packages cargo itself would reject are skipped). */
  readonly findings: readonly Finding[];
  /** With `keepGoing`: the errors of the roots left out, every one; their files are not in `files`. */
  readonly errors: readonly UserError[];
  /** With `keepGoing`: how many roots the errors left out. */
  readonly failedRoots: number;
  /** The release data the plan was made with (the family, releases, migration rules). */
  readonly data: ReleaseData;
  /** Vendored directories discovery skipped as a whole. */
  readonly vendored: readonly VendoredDir[];
}

/**
 * What a run asks for. An option left undefined takes the root's own setting (`[workspace.metadata.wasmtime-align]`,
 * see manifest/settings.ts), else its default: off, `lift` on, `--to` absent, nothing excluded.
 */
export interface PlanRequest extends RepoSettings {
  /** Plan the roots that have no error even when others do (their errors are collected in `Plan.errors`). */
  readonly keepGoing?: boolean;
  /**
   * For `notes`: plan each root's target and crossed releases even where a crate cannot follow (kept as it is, with a
   * warning) or a feature is missing at the target (dropped); the plan is neither checked nor rendered, and must
   * not be written.
   */
  readonly notesOnly?: boolean;
  /** The release data to plan with (default: the embedded data; the CLI and the API pass it overlaid with the user cache). */
  readonly data?: ReleaseData;
  /** Today (YYYY-MM-DD), for how old the release data is; default: WASMTIME_ALIGN_TODAY, else the clock. */
  readonly today?: string;
}

/**
 * Read every manifest, plan every root, render and validate every file; nothing is written here.
 * Throws UserError on bad input, before anything could be written: every error of every root together (UserErrors).
 */
export function planPaths(paths: readonly string[], req: PlanRequest = {}): Plan {
  const data = req.data ?? embeddedReleaseData();
  // A `--to` of the command line is checked before anything is read; a root's own `to` when the root is planned.
  const today = req.today ?? todayOf(process.env);
  const to = req.to === undefined ? undefined : resolveTo(req.to, data, { allowUnknownVersion: req.allowUnknownVersion === true, allowYanked: req.allowYanked === true, ...(today ? { today } : {}) });
  // Every root is planned even when one fails, so that a run reports every error at once (`errors`).
  const discovery = discover(paths, { keepGoing: true, skipFailuresWithoutFamily: (name) => data.family(name) !== undefined });
  const errors = new ErrorSink();
  discovery.errors.forEach((e) => errors.add(e));
  let failedRoots = discovery.failedRoots;
  const roots: PlannedRoot[] = [];
  const files: FilePlan[] = [];
  for (const r of discovery.roots) {
    // A root that fails is left out whole; its files are neither rendered nor written.
    const planned = errors.attempt(() => {
      const options = rootOptions(r, { ...req, ...(today ? { today } : {}) }, to, data);
      // Crate migrations applied: crates they replace follow the target too, and fewer are left out.
      const opts = req.notesOnly ? { ...options, tolerant: true, dropUnknownFeatures: true, applyCrateMigrations: true } : options;
      const planned = planRoot(r, opts, data);
      // `notes` reads the plan only: nothing is checked or rendered.
      if (req.notesOnly) return { root: planned, rendered: [] };
      const toWarnings = [
        ...opts.toWarnings.map((message): Finding => ({ level: 'warning', file: r.manifest.path, message })),
        ...opts.toNotes.map((message): Finding => ({ level: 'note', file: r.manifest.path, message })),
      ];
      const root = toWarnings.length > 0 ? { ...planned, findings: [...toWarnings, ...planned.findings] } : planned;
      checkMeaning(root, (name) => data.family(name) !== undefined);
      return { root, rendered: renderRoot(root, data) };
    });
    if (planned === undefined) {
      failedRoots++;
      continue;
    }
    roots.push({ ...planned.root, generated: generatedSections(planned.root.manifests) });
    files.push(...planned.rendered);
  }
  files.sort((a, b) => (a.manifest.path < b.manifest.path ? -1 : 1));
  for (const [i, f] of files.entries()) {
    const prev = files[i - 1];
    if (prev && prev.manifest.path === f.manifest.path) {
      // Cargo can list one package in two nested workspaces; planning it twice would edit it twice.
      throw new UserError('this package is a member of two workspaces; run the tool on each of them separately', { file: f.manifest.path });
    }
  }
  // Without keepGoing nothing is planned when anything failed: every error is reported, together.
  errors.sort();
  if (!req.keepGoing) errors.throwIfAny(failedRoots);
  const findings: Finding[] = discovery.warnings.map((w) => ({ level: 'warning', ...w }));
  for (const v of discovery.vendored) findings.push({ level: 'note', file: v.dir, message: vendoredMessage(v) });
  for (const message of to?.warnings ?? []) findings.push({ level: 'warning', message });
  for (const message of to?.notes ?? []) findings.push({ level: 'note', message });
  for (const { pattern, closest } of unmatchedPatterns(req.exclude ?? [], roots.map((r) => r.excluded), data)) {
    findings.push({ level: 'warning', message: `--exclude ${pattern} matches no family crate in use${closest !== undefined && closest !== pattern ? `; did you mean \`${closest}\`?` : ''}` });
  }
  return { roots, files, findings, errors: errors.list, failedRoots, data, vendored: discovery.vendored };
}

/** The options for one root: the command line's, else the root's settings, else the defaults. */
function rootOptions(
  root: Root,
  req: PlanRequest,
  cliTo: ResolvedTo | undefined,
  data: ReleaseData,
): PlanOptions & { readonly toWarnings: readonly string[]; readonly toNotes: readonly string[] } {
  const repo = readSettings(root.manifest, root.kind);
  const allowUnknownVersion = req.allowUnknownVersion ?? repo.allowUnknownVersion ?? false;
  const allowYanked = req.allowYanked ?? repo.allowYanked ?? false;
  let to = cliTo;
  if (to === undefined && repo.to !== undefined) {
    try {
      to = resolveTo(repo.to, data, { allowUnknownVersion, allowYanked, ...(req.today ? { today: req.today } : {}) });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      throw settingError(root.manifest, root.kind, 'to', e.message.replace(/'--to <version>'/, '`to`'));
    }
  }
  return {
    ...(to ? { to: to.version, toFrom: cliTo === undefined ? ('setting' as const) : ('option' as const) } : {}),
    toWarnings: cliTo === undefined ? (to?.warnings ?? []) : [],
    toNotes: cliTo === undefined ? (to?.notes ?? []) : [],
    exact: req.exact ?? repo.exact ?? false,
    lift: req.lift ?? repo.lift ?? true,
    allKeys: req.allKeys ?? repo.allKeys ?? false,
    dropUnknownFeatures: req.dropUnknownFeatures ?? repo.dropUnknownFeatures ?? false,
    applyCrateMigrations: req.applyCrateMigrations ?? repo.applyCrateMigrations ?? false,
    bumpRustVersion: req.bumpRustVersion ?? repo.bumpRustVersion ?? false,
    exclude: req.exclude ?? repo.exclude ?? [],
  };
}

/** WASMTIME_ALIGN_TODAY=YYYY-MM-DD fixes the date the data's age is counted to (tests, reproducible output). */
function todayOf(env: NodeJS.ProcessEnv): string | undefined {
  const t = env.WASMTIME_ALIGN_TODAY;
  return t !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(t) ? t : undefined;
}

/** `143 vendored crates skipped (cargo vendor output)`. */
function vendoredMessage(v: VendoredDir): string {
  const crates = `${v.crates} vendored ${v.crates === 1 ? 'crate' : 'crates'} skipped`;
  return v.config ? `${crates} (directory source \`${v.config.source}\` in ${displayPath(v.config.file)})` : `${crates} (cargo vendor output)`;
}

function generatedSections(manifests: readonly Manifest[]): GeneratedSection[] {
  return manifests.flatMap((m) => hakariSectionsOf(m).map((s) => ({ file: m.path, ...s })));
}

/** The file a write lands in; a symlink out of its workspace root is refused, never followed. */
function writePath(file: string, rootDir: string): string {
  const real = fs.realpathSync(file);
  if (real === file) return file;
  const root = fs.realpathSync(rootDir);
  if (real !== root && !real.startsWith(root + path.sep)) {
    throw new UserError(`is a symbolic link to ${real}, outside the workspace at ${displayPath(rootDir)}; nothing was written`, { file });
  }
  return real;
}

/** Renders and validates every file a root changes (a file's changes all come from its own root). */
function renderRoot(root: RootPlan, data: ReleaseData): FilePlan[] {
  const byFile = new Map<Manifest, Change[]>();
  for (const c of root.changes) byFile.set(changedManifest(c), [...(byFile.get(changedManifest(c)) ?? []), c]);
  const out: FilePlan[] = [];
  for (const [manifest, changes] of byFile) {
    const text = renderManifest(manifest, changes, (name) => data.family(name) !== undefined);
    validateRendered(manifest, changes, text);
    assertHakariSectionsKept(manifest, text);
    if (text === manifest.text) continue;
    const bom = manifest.bom ? '\ufeff' : '';
    out.push({ manifest, writePath: writePath(manifest.path, path.dirname(root.manifest.path)), before: bom + manifest.text, after: bom + text, changes });
  }
  return out;
}
