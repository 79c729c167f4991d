/** The command line: options, exit codes, stdout and stderr. No planning logic lives here. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as semver from './semver.js';
import { displayPath, formatUserError, UserError } from './errors.js';
import { packageRoot } from './package-root.js';
import { planPaths, type Plan } from './pipeline.js';
import { colorDiff, diffBase, unifiedDiff } from './output/diff.js';
import { buildReport, findingReport, SCHEMA_VERSION, type Mode } from './output/report.js';
import { COLOR, PLAIN, useColor, type Style } from './output/style.js';
import { currentReleaseData } from './family/current-data.js';
import { embeddedReleaseData, type ReleaseData } from './family/release-data.js';
import { DEFAULT_INDEX_URL, defaultCacheDir, readCache, refreshIndex, type RefreshResult } from './family/registry.js';
import { lockstepDependencies } from './family/lockstep.js';
import { groupBy } from './plan/util.js';
import { summary } from './output/summary.js';
import { guardedWrite, interruptedRoots } from './output/guarded-write.js';
import { JOURNAL_NAME } from './output/journal.js';
import { Interrupted, signalStatus, watchSignals, type SignalWatch } from './output/signals.js';

const USAGE = `Usage: wasmtime-align [options] [paths...]
       wasmtime-align doctor [--json] [paths...]
       wasmtime-align notes [--to <version>] [--all] [--json] [paths...]
       wasmtime-align update-data [--index-url <url>]

Aligns the wasmtime crate family in every Cargo workspace under the paths (default: .):
lifts it into the root's [workspace.dependencies] at one version, makes members inherit it, and
carries feature names to that release. Prints a unified diff by default (dry run); nothing is
written without --write.

Options:
      --to <version>            The release to align to: 26.0.1, a line (26, 26.0) or latest
                                (default: the newest one already requested)
      --write                   Apply the changes
      --check                   Print the diff and exit with 1 if anything would change
      --json                    Print a JSON report on stdout instead of the diff
      --exact                   Write exact requirements (=X.Y.Z)
      --no-lift                 Align versions where they stand; add nothing to [workspace.dependencies]
      --exclude <crate>         Leave a crate (and the family crates it pins exactly) as it is; repeatable,
                                comma lists and globs (cranelift-*) accepted
      --all-keys                Also align renamed second copies of a crate (kept as they are by default)
      --drop-unknown-features   Drop features the chosen release lacks (with a warning) instead of stopping
      --apply-crate-migrations  Replace crates renamed or merged at the chosen release
      --bump-rust-version       Raise rust-version fields below the chosen release's minimum Rust version
      --allow-unknown-version   Accept a --to release the release data does not know
      --allow-yanked            Accept a yanked --to release (named exactly)
      --keep-going              With several roots, plan (and write) the ones without errors; exit 2 still
      --update-lock             After --write, run the cargo update that refreshes each Cargo.lock
      --refresh                 Fetch the family's releases from the registry index first
      --index-url <url>         The index to fetch from: a sparse index URL or a local directory
                                (default: https://index.crates.io/)
      --all                     notes: every section of the release notes, not only Changed, Removed and
                                Security Fixes
  -h, --help                    Print help
  -V, --version                 Print version

Exit status: 0 done or nothing to change, 1 --check found changes, 2 error (nothing written),
130 / 143 / 129 --write stopped by SIGINT / SIGTERM / SIGHUP (nothing written, or all of it).
`;

interface Io {
  readonly stdout: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  readonly stderr: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

const OPTIONS = {
  to: { type: 'string' },
  write: { type: 'boolean' },
  check: { type: 'boolean' },
  json: { type: 'boolean' },
  exact: { type: 'boolean' },
  'no-lift': { type: 'boolean' },
  exclude: { type: 'string', multiple: true },
  'all-keys': { type: 'boolean' },
  'drop-unknown-features': { type: 'boolean' },
  'apply-crate-migrations': { type: 'boolean' },
  'bump-rust-version': { type: 'boolean' },
  'allow-unknown-version': { type: 'boolean' },
  'allow-yanked': { type: 'boolean' },
  'keep-going': { type: 'boolean' },
  'update-lock': { type: 'boolean' },
  refresh: { type: 'boolean' },
  'index-url': { type: 'string' },
  all: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

/** Runs the command line and returns the exit status; all output goes through `io`. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (e) {
    io.stderr.write(`error: ${argumentMessage(e as Error, argv)}\n\n${USAGE.split('\n')[0]}\n\nFor more information, try '--help'.\n`);
    return 2;
  }
  const o = args.values;
  if (o.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (o.version) {
    io.stdout.write(`wasmtime-align ${packageVersion()}\n`);
    return 0;
  }
  const usageError = (msg: string): number => {
    io.stderr.write(`error: ${msg}\n\nFor more information, try '--help'.\n`);
    return 2;
  };
  const style = useColor(io.stderr, io.env) ? COLOR : PLAIN;
  const cacheDir = defaultCacheDir(io.env);
  if (args.positionals[0] === 'update-data') {
    if (args.positionals.length > 1) return usageError(`unexpected argument '${args.positionals[1]}' found`);
    const result = await refresh(o['index-url'], cacheDir, io, style);
    return result.updated.length + result.unchanged.length > 0 ? 0 : 2;
  }
  if (args.positionals[0] === 'doctor') return runDoctor(args.positionals.slice(1), o.json === true, io, style);
  if (args.positionals[0] === 'notes') return runNotes(args.positionals.slice(1), o, io, usageError);
  if (o.all) return usageError("unexpected argument '--all' found (it is an option of `notes`)");
  if (o.write && o.check) return usageError("the argument '--write' cannot be used with '--check'");
  if (o['update-lock'] && !o.write) return usageError("the argument '--update-lock' requires '--write'");
  if (o.to !== undefined && !isVersionSpec(o.to)) {
    return usageError(`invalid value '${o.to}' for '--to <version>': expected a version like 26.0.1, a line like 26, or latest`);
  }
  const mode: Mode = o.write ? 'write' : o.check ? 'check' : 'dry-run';
  const paths = args.positionals.length > 0 ? args.positionals : ['.'];

  if (o.refresh) await refresh(o['index-url'], cacheDir, io, style);
  // Installed for --write only once planning is done: a signal before that finds nothing touched and ends the run.
  let signals: SignalWatch | undefined;
  try {
    let plan: Plan;
    try {
      const current = currentReleaseData({ cacheDir, ...(o['index-url'] !== undefined ? { indexUrl: o['index-url'] } : {}) });
      for (const p of current.problems) io.stderr.write(`${style.yellow('warning')}: release data cache: ${p}\n`);
      const request = {
        ...(o.to !== undefined ? { to: o.to } : {}),
        // Flags not given leave the choice to each root's [workspace.metadata.wasmtime-align] settings.
        ...given({
          exact: o.exact,
          lift: o['no-lift'] === true ? false : undefined,
          allKeys: o['all-keys'],
          dropUnknownFeatures: o['drop-unknown-features'],
          applyCrateMigrations: o['apply-crate-migrations'],
          bumpRustVersion: o['bump-rust-version'],
          allowUnknownVersion: o['allow-unknown-version'],
          allowYanked: o['allow-yanked'],
        }),
        ...(o.exclude !== undefined ? { exclude: o.exclude.flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '') } : {}),
        keepGoing: o['keep-going'] === true,
        data: current.data,
      };
      plan = planPaths(paths, request);
      if (mode === 'write') {
        signals = watchSignals();
        plan = await guardedWrite(plan, {
          env: io.env,
          cwd: io.cwd,
          replan: () => planPaths(paths, request),
          interrupted: signals.received,
          report: (level, message) => io.stderr.write(`${level === 'note' ? style.cyan('note') : style.yellow('warning')}: ${message}\n`),
        });
      }
    } catch (e) {
      if (e instanceof Interrupted) {
        failure(new UserError(`interrupted by ${e.signal}; nothing was written`), io, mode, o.json === true);
        return signalStatus(e.signal);
      }
      return failure(e, io, mode, o.json === true);
    }
    const status = await output(plan, mode, { json: o.json === true, updateLock: o['update-lock'] === true }, io, style);
    const s = signals?.received();
    if (s === undefined) return status;
    io.stderr.write(`${style.cyan('note')}: ${s} arrived after every file was written; the run finished first\n`);
    return signalStatus(s);
  } finally {
    signals?.dispose();
  }
}

/** The diff, JSON, summary and follow-ups of a plan (written already when `mode` is write); the exit status. */
async function output(plan: Plan, mode: Mode, o: { readonly json: boolean; readonly updateLock: boolean }, io: Io, style: Style): Promise<number> {
  const base = diffBase(plan.files, io.cwd);
  const diff = unifiedDiff(plan.files, base);
  if (o.json) io.stdout.write(`${JSON.stringify(buildReport(plan, mode, diff, io.cwd, base), null, 2)}\n`);
  else if (mode !== 'write') io.stdout.write(useColor(io.stdout, io.env) ? colorDiff(diff, COLOR) : diff);
  io.stderr.write(summary(plan, mode, io.cwd, style));
  if (mode !== 'write') {
    for (const d of interruptedRoots(plan)) {
      io.stderr.write(`${style.yellow('warning')}: ${displayPath(path.join(d, JOURNAL_NAME), io.cwd)}: a --write here was interrupted and may have left some files written; the next --write repairs it first\n`);
    }
  }
  for (const e of plan.errors) io.stderr.write(`${formatUserError(e, io.cwd)}\n`);
  if (plan.errors.length > 0) {
    io.stderr.write(`${plan.errors.length} ${plan.errors.length === 1 ? 'root was' : 'roots were'} left out because of errors${mode === 'write' ? '; the others were written (--keep-going)' : ''}\n`);
    return 2;
  }
  if (base !== path.resolve(io.cwd) && mode !== 'write' && plan.files.length > 0) {
    io.stderr.write(`${style.cyan('note')}: the workspace lies above the current directory, so the diff names files relative to ${base}: apply it with \`git -C ${base} apply\`\n`);
  }
  if (mode === 'write') {
    // Loaded only here (as doctor is below): a dry run, the common case, starts faster without them.
    const { formatLockUpdates, lockUpdates, runLockUpdates } = await import('./output/lock-update.js');
    const { hakariFollowUps } = await import('./output/hakari-follow-up.js');
    const updates = lockUpdates(plan, io.cwd);
    // Hakari sections mirror the lock: they are regenerated after it is refreshed, never edited here.
    const hakari = hakariFollowUps(plan, io.cwd);
    const regenerate = hakari.length === 0 ? '' : `${style.cyan('note')}: ${updates.length > 0 ? 'then ' : ''}regenerate the hakari ${hakari.length === 1 ? 'section' : 'sections'} with:\n${hakari.map((c) => `  ${c}\n`).join('')}`;
    if (updates.length > 0 && o.updateLock) {
      const status = runLockUpdates(updates, io.cwd, (t) => io.stderr.write(t));
      io.stderr.write(regenerate);
      return status;
    }
    if (updates.length > 0) io.stderr.write(`${style.cyan('note')}: Cargo.lock no longer matches; refresh it with:\n${formatLockUpdates(updates)}`);
    io.stderr.write(regenerate);
  }
  return mode === 'check' && plan.files.length > 0 ? 1 : 0;
}

/** `doctor`: the offline diagnosis; 0 clean, 1 found something, 2 error. */
async function runDoctor(paths: readonly string[], json: boolean, io: Io, style: Style): Promise<number> {
  const { doctor, doctorExitCode, formatDoctor, toJson: doctorJson } = await import('./doctor/index.js');
  try {
    const report = doctor(paths.length > 0 ? paths : ['.'], { data: currentReleaseData({ cacheDir: defaultCacheDir(io.env) }).data });
    if (json) io.stdout.write(`${JSON.stringify(doctorJson(report, io.cwd), null, 2)}\n`);
    else io.stdout.write(formatDoctor(report, io.cwd, useColor(io.stdout, io.env) ? COLOR : style));
    return doctorExitCode(report);
  } catch (e) {
    return failure(e, io, 'dry-run', false);
  }
}

/** `notes`: the release notes an upgrade crosses, per root; 0 done, 2 error. */
async function runNotes(paths: readonly string[], o: ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>['values'], io: Io, usageError: (msg: string) => number): Promise<number> {
  for (const flag of ['write', 'check', 'update-lock', 'refresh'] as const) {
    if (o[flag]) return usageError(`the argument '--${flag}' cannot be used with 'notes'`);
  }
  if (o.to !== undefined && !isVersionSpec(o.to)) {
    return usageError(`invalid value '${o.to}' for '--to <version>': expected a version like 26.0.1, a line like 26, or latest`);
  }
  const { formatNotes, notesJson, notesOf } = await import('./output/notes.js');
  try {
    const current = currentReleaseData({ cacheDir: defaultCacheDir(io.env), ...(o['index-url'] !== undefined ? { indexUrl: o['index-url'] } : {}) });
    // The target a run with the same options would choose.
    const plan = planPaths(paths.length > 0 ? paths : ['.'], {
      ...(o.to !== undefined ? { to: o.to } : {}),
      ...given({ allowUnknownVersion: o['allow-unknown-version'], allowYanked: o['allow-yanked'], applyCrateMigrations: o['apply-crate-migrations'], dropUnknownFeatures: o['drop-unknown-features'], allKeys: o['all-keys'] }),
      ...(o.exclude !== undefined ? { exclude: o.exclude.flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '') } : {}),
      data: current.data,
      notesOnly: true,
    });
    const roots = notesOf(plan, o.all === true);
    io.stdout.write(o.json ? `${JSON.stringify(notesJson(roots, o.all === true, io.cwd), null, 2)}\n` : formatNotes(roots, o.all === true, io.cwd));
    return 0;
  } catch (e) {
    return failure(e, io, 'dry-run', false);
  }
}

/**
 * Fetches every family crate's index file into the user cache, then the files of crates the new releases pin in
 * lockstep that the data does not know yet (a crate new in the family), a few rounds deep. Failures are
 * warnings, never fatal.
 */
async function refresh(indexUrl: string | undefined, cacheDir: string, io: Io, style: Style): Promise<RefreshResult> {
  const data = embeddedReleaseData();
  const known = new Set(data.crates());
  let crates: readonly string[] = data.crates();
  const offsets = new Set(data.familyNames().flatMap((c) => companionOffset(data, c)));
  const result = { updated: [] as string[], unchanged: [] as string[], failed: [] as RefreshResult['failed'][number][] };
  for (let round = 0; round < 3 && crates.length > 0; round++) {
    let r: RefreshResult;
    try {
      r = await refreshIndex({ crates, cacheDir, ...(indexUrl !== undefined ? { indexUrl } : {}), timeoutMs: timeoutFrom(io.env) });
    } catch (e) {
      io.stderr.write(`${style.yellow('warning')}: cannot refresh the release data: ${(e as Error).message}\n`);
      return { updated: [], unchanged: [], failed: crates.map((crate) => ({ crate, reason: (e as Error).message })) };
    }
    result.updated.push(...r.updated);
    result.unchanged.push(...r.unchanged);
    result.failed.push(...r.failed);
    const fetched = readCache(cacheDir, [...r.updated, ...r.unchanged], indexUrl ?? DEFAULT_INDEX_URL).entries;
    const fresh = [...fetched].flatMap(([crate, e]) => e.releases.filter((x) => data.release(crate, x.version) === undefined));
    crates = lockstepDependencies(fresh, (c) => known.has(c), offsets);
    for (const c of crates) known.add(c);
  }
  const failed = result.failed;
  // One line per reason: a network outage fails every crate the same way.
  for (const [reason, list] of groupBy(failed, (f) => f.reason)) {
    io.stderr.write(`${style.yellow('warning')}: ${list.length === 1 ? list[0]!.crate : `${list.length} crates`}: ${reason}\n`);
  }
  io.stderr.write(`release data: ${result.updated.length} updated, ${result.unchanged.length} unchanged, ${failed.length} failed (cache: ${cacheDir})\n`);
  return result;
}

/** The offset of a companion crate's numbering (cranelift's 87), for recognising new companions. */
function companionOffset(data: ReleaseData, crate: string): number[] {
  const n = data.family(crate)?.numbering;
  return n?.kind === 'companion' ? [n.offset] : [];
}

/** WASMTIME_ALIGN_INDEX_TIMEOUT_MS shortens the 10 s request timeout (tests, slow CI mirrors). */
function timeoutFrom(env: NodeJS.ProcessEnv): number {
  const ms = Number(env.WASMTIME_ALIGN_INDEX_TIMEOUT_MS);
  return Number.isFinite(ms) && ms > 0 ? ms : 10_000;
}

/** Bad input is a one-line cargo-style error; anything else is a bug, still reported without a stack trace. */
function failure(e: unknown, io: Io, mode: Mode, json: boolean): number {
  const error =
    e instanceof UserError
      ? { level: 'error' as const, ...(e.location ?? {}), message: e.message }
      : { level: 'error' as const, message: `internal error: ${(e as Error)?.message ?? String(e)} (this is a bug in wasmtime-align; nothing was written)` };
  io.stderr.write(e instanceof UserError ? `${formatUserError(e, io.cwd)}\n` : `error: ${error.message}\n`);
  if (!(e instanceof UserError) && io.env.WASMTIME_ALIGN_DEBUG) io.stderr.write(`${(e as Error)?.stack}\n`);
  if (json) {
    const report = { schemaVersion: SCHEMA_VERSION, mode, changed: false, roots: [], files: [], warnings: [], errors: [findingReport(error, io.cwd)], vendored: [], diff: '', diffBase: '.' };
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
  return 2;
}

/** The options that were given (a flag is `true` or absent; `lift` can only be turned off). */
function given<T extends Record<string, boolean | undefined>>(o: T): Partial<Record<keyof T, boolean>> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<Record<keyof T, boolean>>;
}

/** `26.0.1`, `27.0.0-dev`, a line `26` / `26.0`, or `latest`; whether the release exists is the data's call. */
function isVersionSpec(v: string): boolean {
  return v === 'latest' || /^\d+(\.\d+)?$/.test(v) || semver.valid(v) === v;
}

/** Node's parseArgs errors, reworded the way cargo (clap) words them. */
function argumentMessage(e: Error, argv: readonly string[]): string {
  const code = (e as NodeJS.ErrnoException).code;
  const option = /'(?:-\w, )?(--[\w-]+)/.exec(e.message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unexpected argument '${option}' found`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    if (/does not take an argument/.test(e.message)) {
      const given = argv.find((a) => a.startsWith(`${option}=`))?.slice(option.length + 1) ?? '';
      return `unexpected value '${given}' for '${option}' found; no more were expected`;
    }
    return `a value is required for '${option === '--to' ? '--to <version>' : option}' but none was supplied`;
  }
  return e.message.split('\n')[0]!;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
