/**
 * A jscodeshift transform: `jscodeshift -t dist/transforms/wasmtime-align.js --no-babel --run-in-band
 * --extensions=toml --ignore-pattern=target/ --fail-on-error --to=26.0.1 .` gives what
 * `wasmtime-align --write --to 26.0.1 .` gives.
 *
 * jscodeshift hands over one file at a time, but a lift edits several manifests of one workspace together, so
 * each call plans the whole workspace of its file (once per workspace and options within a worker) and returns
 * that file's new text. Files that are not Cargo.toml are skipped, and so are those below a target/, .git/ or
 * node_modules/ directory (below the current directory), which the CLI does not scan either: jscodeshift walks
 * into them, and through symlinked directories, unless told `--ignore-pattern=...`.
 *
 * The plan is read from disk, so it must be made before any file of the workspace is rewritten. One process
 * (`--run-in-band`, or a single forked worker) plans each workspace once, before its first write. Several forked
 * workers would each plan the workspace again, some after another worker had rewritten a member (which then
 * already says `workspace = true`), and the root would lose `[workspace.dependencies]` entries; so this
 * transform refuses to run where jscodeshift may fork more than one worker.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { currentReleaseData } from '../src/family/current-data.js';
import type { ReleaseData } from '../src/family/release-data.js';
import { planPaths, type Plan, type PlanRequest } from '../src/pipeline.js';

export interface FileInfo {
  readonly path: string;
  readonly source: string;
}

/**
 * jscodeshift passes unknown command-line flags through as options under their own names, values parsed as JSON
 * where they parse: `--to=26.0.1` → `to: "26.0.1"`, `--to=37` → `to: 37`, `--all-keys` → `'all-keys': true`,
 * `--no-lift` → `lift: false`, `--exact=true` → `exact: true`. The camelCase names are read too.
 */
export interface TransformOptions {
  readonly to?: string | number;
  readonly exact?: boolean;
  readonly lift?: boolean;
  readonly 'no-lift'?: boolean;
  readonly allKeys?: boolean;
  readonly 'all-keys'?: boolean;
  readonly dropUnknownFeatures?: boolean;
  readonly 'drop-unknown-features'?: boolean;
  readonly applyCrateMigrations?: boolean;
  readonly 'apply-crate-migrations'?: boolean;
  readonly bumpRustVersion?: boolean;
  readonly 'bump-rust-version'?: boolean;
  readonly allowUnknownVersion?: boolean;
  readonly 'allow-unknown-version'?: boolean;
  readonly allowYanked?: boolean;
  readonly 'allow-yanked'?: boolean;
  /** `--exclude=wasi-common,cranelift-*`: crates left as they are. */
  readonly exclude?: string;
  /** Which index's entries of the user cache to read, as the CLI's `--index-url` (default: crates.io). */
  readonly indexUrl?: string;
  readonly 'index-url'?: string;
  /** jscodeshift's own options, read to know whether it forks several workers. */
  readonly runInBand?: boolean;
  readonly cpus?: number;
  readonly [flag: string]: unknown;
}

/** Directories the CLI never scans (SKIPPED_DIRS in src/discover/scan.ts): build output, VCS data, JS packages. */
const SKIPPED_DIRS = new Set(['target', '.git', 'node_modules']);

const plans = new Map<string, Plan>();
/** The release data the CLI plans with: the embedded snapshot, overlaid with the user cache where it is newer. */
const releaseData = new Map<string, ReleaseData>();

export default function transform(file: FileInfo, _api: unknown, options: TransformOptions = {}): string | undefined {
  if (path.basename(file.path) !== 'Cargo.toml') return undefined;
  const abs = path.resolve(file.path);
  if (inSkippedDir(abs)) return undefined;
  assertOneWorker(options);
  const opts: PlanRequest = {
    to: target(options.to),
    exact: flag(options, 'exact', 'exact'),
    lift: flag(options, 'lift', 'lift'),
    allKeys: flag(options, 'allKeys', 'all-keys'),
    dropUnknownFeatures: flag(options, 'dropUnknownFeatures', 'drop-unknown-features'),
    applyCrateMigrations: flag(options, 'applyCrateMigrations', 'apply-crate-migrations'),
    bumpRustVersion: flag(options, 'bumpRustVersion', 'bump-rust-version'),
    allowUnknownVersion: flag(options, 'allowUnknownVersion', 'allow-unknown-version'),
    allowYanked: flag(options, 'allowYanked', 'allow-yanked'),
    exclude: list(options.exclude),
  };
  const indexUrl = text(options, 'indexUrl', 'index-url');
  const planKey = JSON.stringify({ ...opts, indexUrl });
  let plan = plans.get(`${planKey}\0${abs}`);
  if (!plan) {
    let data = releaseData.get(indexUrl ?? '');
    if (!data) {
      data = currentReleaseData(indexUrl === undefined ? {} : { indexUrl }).data;
      releaseData.set(indexUrl ?? '', data);
    }
    plan = planPaths([abs], { ...opts, data });
    // Every manifest of the planned roots shares this plan.
    for (const root of plan.roots) for (const m of root.manifests) plans.set(`${planKey}\0${m.path}`, plan);
  }
  const planned = plan.files.find((f) => f.manifest.path === abs);
  return planned ? planned.after : file.source;
}

/**
 * Whether a manifest lies below a directory the CLI does not scan. Only the part of the path below the current
 * directory counts: what lies above the directory jscodeshift was pointed at is not known here.
 */
function inSkippedDir(abs: string): boolean {
  const rel = path.relative(process.cwd(), abs);
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return false;
  return rel.split(path.sep).slice(0, -1).some((segment) => SKIPPED_DIRS.has(segment));
}

/**
 * A flag as jscodeshift delivers it; undefined when not given (a root's own settings then decide). An unknown
 * flag followed by a plain argument takes that argument as its value (`--exact dir` gives `exact: "dir"` and no
 * path), so anything but a boolean is an error, not a guess.
 */
function flag(options: TransformOptions, camel: string, kebab: string): boolean | undefined {
  for (const name of [kebab, camel]) {
    const v = options[name];
    if (v === undefined) continue;
    if (v === true || v === 1 || v === 'true' || v === '1') return true;
    if (v === false || v === 0 || v === 'false' || v === '0') return false;
    throw new Error(
      `--${kebab} got the value ${JSON.stringify(v)}: jscodeshift gives an unknown flag the next argument as its value unless another option follows it; put --${kebab} before another option or write --${kebab}=true`,
    );
  }
  if (options[`no-${kebab}`] === true) return false;
  return undefined;
}

/** `--exclude=wasi-common,cranelift-*` (given once; jscodeshift keeps the last of repeated flags). */
function list(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new Error(`--exclude got the value ${JSON.stringify(value)}: write --exclude=crate[,crate...]`);
  return value.split(',').map((x) => x.trim()).filter((x) => x !== '');
}

function text(options: TransformOptions, camel: string, kebab: string): string | undefined {
  const v = options[kebab] ?? options[camel];
  if (v === undefined) return undefined;
  if (typeof v === 'string' && v !== '') return v;
  throw new Error(`--${kebab} needs one value (got ${JSON.stringify(v)})`);
}

/** `--to`: jscodeshift parses `--to=37` as the number 37, and `--to=0.40` as 0.4, which is another line. */
function target(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return String(v);
  if (typeof v === 'number') {
    throw new Error(
      `jscodeshift read --to as the number ${v}, which loses trailing zeros (0.40 would be 0.4): give a full version (X.Y.Z), a major line (X), or quote the line as --to='"X.Y"'`,
    );
  }
  throw new Error(`--to needs one version, a line or latest (got ${JSON.stringify(v)})`);
}

/**
 * jscodeshift forks max(cpus - 1, 1) workers (at most --cpus) unless --run-in-band; with more than one, files of
 * one workspace may be planned after others were rewritten (see the top of this file). Mirrors jscodeshift 17.
 */
function assertOneWorker(options: TransformOptions): void {
  if (options.runInBand === true) return;
  if (!/[\\/]jscodeshift[\\/]src[\\/]Worker\.js$/.test(process.argv[1] ?? '')) return;
  const available = Math.max(os.cpus().length - 1, 1);
  const cpus = Number(options.cpus) > 0 ? Math.min(available, Number(options.cpus)) : available;
  if (cpus > 1) {
    throw new Error(
      `jscodeshift may run up to ${cpus} workers here, and a worker could plan a workspace after another one had rewritten some of its manifests; run jscodeshift with --run-in-band (or --cpus=1)`,
    );
  }
}
