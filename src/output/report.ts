import { displayPath, userErrors, type UserError } from '../errors.js';
import { tableLabel } from '../manifest/dependencies.js';
import type { FilePlan, Plan } from '../pipeline.js';
import type { LockStaleness, StaleCopy } from '../lock/staleness.js';
import { commandLine, lockStates } from './lock-update.js';
import type { Change, ChangeReason, CrateChange, ExcludedCrate, Finding, MigrationNote, Target } from '../plan/types.js';

/**
 * The version of the JSON documents the command prints (`--json`, `doctor --json`, `notes --json`), documented in
 * the README. It goes up when a field changes meaning or goes away; new fields do not change it.
 */
export const SCHEMA_VERSION = 1;

/** The JSON report (`--json`), documented in the README. Paths are relative to the current directory when below it, else absolute, as in every message. */
export interface Report {
  readonly schemaVersion: typeof SCHEMA_VERSION;
  readonly mode: Mode;
  /** True when some file changes (or, with --write, changed). */
  readonly changed: boolean;
  readonly roots: readonly RootReport[];
  readonly files: readonly FileReport[];
  readonly warnings: readonly FindingReport[];
  readonly errors: readonly FindingReport[];
  /** Vendored directories discovery skipped as a whole. */
  readonly vendored: readonly VendoredReport[];
  /** The unified diff; its paths are relative to `diffBase` (the current directory `.`, or an absolute path above it). */
  readonly diff: string;
  readonly diffBase: string;
}

export type Mode = 'dry-run' | 'check' | 'write';

export interface RootReport {
  readonly manifest: string;
  readonly kind: 'workspace' | 'standalone';
  readonly members: readonly string[];
  /** Null when the root has no registry dependency on the wasmtime family. */
  readonly target: Target | null;
  readonly lifted: readonly string[];
  /** Crates left as they are by `--exclude` (or the `exclude` setting), with the excluded crate that pins each. */
  readonly excluded: readonly ExcludedCrate[];
  readonly changedFiles: readonly string[];
  /** Feature migration rules applied in this root, in file order. */
  readonly migrations: readonly MigrationReport[];
  readonly findings: readonly FindingReport[];
  /** Generated text of the root's manifests that is never edited (cargo-hakari sections). */
  readonly generated: readonly GeneratedReport[];
  /** One row per family crate whose entries change, by name. */
  readonly crates: readonly CrateReport[];
  /** The root's Cargo.lock checked against the planned manifests; null without a lock (or one that cannot be read). */
  readonly lock: LockReport | null;
}

/** Whether Cargo.lock satisfies the planned requirements, and the commands that refresh it (none when it does). */
export interface LockReport {
  readonly file: string;
  readonly stale: readonly StaleCopy[];
  readonly commands: readonly string[];
}

/** What the plan does to one family crate of a root, with the members as paths. */
export type CrateReport = Omit<CrateChange, 'members'> & { readonly members: readonly string[] };

/** A hakari section: its BEGIN line to its END line (or the file's last line when `closed` is false). */
export interface GeneratedReport {
  readonly kind: 'hakari';
  readonly file: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly closed: boolean;
}

/** A directory of vendored crates: `cargo vendor` output, or a `directory` source of a cargo config. */
export interface VendoredReport {
  readonly path: string;
  /** How many vendored crates it holds. */
  readonly crates: number;
  /** The `[source.<name>] directory = ...` entry that names it, or null for `.cargo-checksum.json` crates. */
  readonly source: { readonly config: string; readonly name: string } | null;
}

export interface FileReport {
  readonly path: string;
  readonly edits: readonly EditReport[];
}

export interface EditReport {
  /** `dependencies`, `target.'cfg(unix)'.dev-dependencies`, `workspace.dependencies`, `features`, `package` */
  readonly table: string;
  readonly key: string;
  /** The entry's new key, when a crate migration renames it. */
  readonly newKey?: string;
  readonly reasons: readonly ChangeReason[];
  /** The value before (null for a new entry) and after (null for a removed entry), as JSON. */
  readonly before: unknown;
  readonly after: unknown;
}

/** A feature migration rule applied to an entry or a `[features]` reference, with its evidence (`file` relative). */
export type MigrationReport = MigrationNote;

export interface FindingReport {
  readonly level: 'warning' | 'note' | 'error';
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

export function buildReport(plan: Plan, mode: Mode, diff: string, cwd: string, base: string = cwd): Report {
  const rel = (p: string): string => displayPath(p, cwd);
  const changedPaths = new Set(plan.files.map((f) => f.manifest.path));
  const locks = new Map(lockStates(plan, cwd).map((s) => [s.root, s.staleness]));
  const roots = plan.roots.map(
    (r): RootReport => ({
      manifest: rel(r.manifest.path),
      kind: r.kind,
      members: r.members.map((m) => rel(m.path)),
      target: r.target ?? null,
      lifted: r.lifted,
      excluded: r.excluded,
      changedFiles: r.manifests.filter((m) => changedPaths.has(m.path)).map((m) => rel(m.path)),
      migrations: r.migrations.map((m) => ({ ...m, file: rel(m.file) })),
      findings: r.findings.map((f) => findingReport(f, cwd)),
      generated: r.generated.map((g) => ({ kind: 'hakari', file: rel(g.file), startLine: g.startLine, endLine: g.endLine, closed: g.closed })),
      crates: r.crates.map((c) => ({ ...c, members: c.members.map((m) => rel(m.path)) })),
      lock: lockReport(locks.get(r), rel),
    }),
  );
  return {
    schemaVersion: SCHEMA_VERSION,
    mode,
    changed: plan.files.length > 0,
    roots,
    files: plan.files.map((f) => fileReport(f, cwd)),
    warnings: planWarnings(plan).map((f) => findingReport(f, cwd)),
    errors: errorReports(plan.errors, cwd),
    vendored: plan.vendored.map((v) => ({ path: rel(v.dir), crates: v.crates, source: v.config ? { config: rel(v.config.file), name: v.config.source } : null })),
    diff,
    diffBase: displayPath(base, cwd),
  };
}

function lockReport(s: LockStaleness | undefined, rel: (p: string) => string): LockReport | null {
  return s === undefined ? null : { file: rel(s.file), stale: s.stale, commands: s.commands.map(commandLine) };
}

function fileReport(f: FilePlan, cwd: string): FileReport {
  return { path: displayPath(f.manifest.path, cwd), edits: f.changes.map(editReport) };
}

function editReport(c: Change): EditReport {
  switch (c.kind) {
    case 'add':
      return { table: 'workspace.dependencies', key: c.key, reasons: c.reasons, before: null, after: c.after };
    case 'rewrite':
      return {
        table: tableLabel(c.entry.table),
        key: c.entry.key,
        ...(c.newKey !== undefined ? { newKey: c.newKey } : {}),
        reasons: c.reasons,
        before: c.entry.value,
        after: c.after,
      };
    case 'remove':
      return { table: tableLabel(c.entry.table), key: c.entry.key, reasons: c.reasons, before: c.entry.value, after: null };
    case 'array':
    case 'string':
      return {
        table: c.path.slice(0, -1).join('.'),
        key: c.path.at(-1)!,
        reasons: c.reasons,
        before: c.kind === 'array' ? c.array.elements.map((e) => (e.type === 'TOMLValue' ? e.value : null)) : c.node.value,
        after: c.kind === 'array' ? [...c.after] : c.after,
      };
  }
}

export function findingReport(f: Finding | { readonly level: 'error'; readonly file?: string; readonly line?: number; readonly column?: number; readonly message: string }, cwd: string): FindingReport {
  const out: { -readonly [K in keyof FindingReport]: FindingReport[K] } = { level: f.level, message: f.message };
  if (f.file !== undefined) out.file = displayPath(f.file, cwd);
  if (f.line !== undefined) out.line = f.line;
  if (f.column !== undefined) out.column = f.column;
  return out;
}

/** Every error (an aggregate's, one by one) as the report's `errors` list them. */
export function errorReports(errors: readonly UserError[], cwd: string): FindingReport[] {
  return errors.flatMap(userErrors).map((e) => findingReport({ level: 'error', ...(e.location ?? {}), message: e.message }, cwd));
}

/** Every warning of a plan: discovery's and each root's (the report's `warnings`, the GitHub annotations). */
export function planWarnings(plan: Plan): Finding[] {
  return [...plan.findings, ...plan.roots.flatMap((r) => r.findings)].filter((f) => f.level === 'warning');
}
