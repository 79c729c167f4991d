/** The command line: dispatch, exit codes, stdout and stderr. Options and help live in src/cli/; no planning logic here. */
import * as path from 'node:path';
import { displayPath, formatUserError, UserError } from './errors.js';
import { modeOf, parseArgs, UsageError, wantsJson, yankedWithoutTo, type Args, type Command, type Values } from './cli/args.js';
import { helpText, usageErrorText, versionText } from './cli/usage.js';
import { planPaths, type Plan, type PlanRequest } from './pipeline.js';
import { colorDiff, diffBase, unifiedDiff } from './output/diff.js';
import { buildReport, errorReports, SCHEMA_VERSION, type Mode } from './output/report.js';
import { COLOR, PLAIN, useColor, type Style } from './output/style.js';
import { currentReleaseData } from './family/current-data.js';
import { embeddedReleaseData, type ReleaseData } from './family/release-data.js';
import { DEFAULT_INDEX_URL, defaultCacheDir, readCache, refreshIndex, type RefreshResult } from './family/registry.js';
import { lockstepDependencies } from './family/lockstep.js';
import { groupBy } from './plan/util.js';
import { summary } from './output/summary.js';
import { guardedWrite, interruptedRoots } from './output/guarded-write.js';
import { JOURNAL_NAME } from './output/journal.js';
import { failureAnnotations, planAnnotations, type MessageFormat } from './output/github.js';
import { changedList } from './output/list.js';
import { Interrupted, signalStatus, watchSignals, type SignalWatch } from './output/signals.js';

interface Io {
  readonly stdout: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  readonly stderr: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean };
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/** Runs the command line and returns the exit status; all output goes through `io`. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(e, argv, io);
    throw e;
  }
  const o = args.values;
  if (o.help || args.command === 'help') {
    io.stdout.write(helpText(o.help ? args.command : ((args.positionals[0] as Command | undefined) ?? 'run')));
    return 0;
  }
  if (o.version) {
    io.stdout.write(versionText());
    return 0;
  }
  const style = useColor(io.stderr, io.env) ? COLOR : PLAIN;
  const cacheDir = defaultCacheDir(io.env);
  if (args.command === 'update-data') {
    const result = await refresh(o['index-url'], cacheDir, io, style);
    return result.updated.length + result.unchanged.length > 0 ? 0 : 2;
  }
  if (args.command === 'doctor') return runDoctor(args.positionals, o, io, style);
  if (args.command === 'notes') return runNotes(args.positionals, o, argv, io);
  const format: MessageFormat = (o['message-format'] as MessageFormat | undefined) ?? 'human';
  const mode: Mode = o.write ? 'write' : o.check ? 'check' : 'dry-run';
  const paths = args.positionals.length > 0 ? args.positionals : ['.'];

  if (o.refresh) await refresh(o['index-url'], cacheDir, io, style);
  // Installed for --write only once planning is done: a signal before that finds nothing touched and ends the run.
  let signals: SignalWatch | undefined;
  try {
    let plan: Plan;
    try {
      const current = currentReleaseData(dataSource(o, io));
      for (const p of current.problems) io.stderr.write(`${style.yellow('warning')}: release data cache: ${p}\n`);
      const request = planRequest(o, current.data);
      plan = planPaths(paths, request);
      const yanked = yankedWithoutTo(o, 'run', toSetting(plan));
      if (yanked) return usageFailure(yanked, argv, io);
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
        failure(new UserError(`interrupted by ${e.signal}; nothing was written`), io, mode, o.json === true, format);
        return signalStatus(e.signal);
      }
      return failure(e, io, mode, o.json === true, format);
    }
    const status = await output(plan, mode, { json: o.json === true, list: o.list === true, updateLock: o['update-lock'] === true }, io, style);
    if (format === 'github') io.stderr.write(planAnnotations(plan, mode, io.cwd, io.env));
    const s = signals?.received();
    if (s === undefined) return status;
    io.stderr.write(`${style.cyan('note')}: ${s} arrived after every file was written; the run finished first\n`);
    return signalStatus(s);
  } finally {
    signals?.dispose();
  }
}

/** The diff, JSON, summary and follow-ups of a plan (written already when `mode` is write); the exit status. */
async function output(plan: Plan, mode: Mode, o: { readonly json: boolean; readonly list: boolean; readonly updateLock: boolean }, io: Io, style: Style): Promise<number> {
  const base = diffBase(plan.files, io.cwd);
  const diff = unifiedDiff(plan.files, base);
  if (o.json) io.stdout.write(`${JSON.stringify(buildReport(plan, mode, diff, io.cwd, base), null, 2)}\n`);
  else if (o.list) io.stdout.write(changedList(plan, io.cwd));
  else if (mode !== 'write') io.stdout.write(useColor(io.stdout, io.env) ? colorDiff(diff, COLOR) : diff);
  io.stderr.write(summary(plan, mode, io.cwd, style));
  if (mode !== 'write') {
    for (const d of interruptedRoots(plan)) {
      io.stderr.write(`${style.yellow('warning')}: ${displayPath(path.join(d, JOURNAL_NAME), io.cwd)}: a --write here was interrupted and may have left some files written; the next --write repairs it first\n`);
    }
  }
  for (const e of plan.errors) io.stderr.write(`${formatUserError(e, io.cwd)}\n`);
  if (plan.errors.length > 0) {
    const n = plan.failedRoots;
    io.stderr.write(`${n} ${n === 1 ? 'root was' : 'roots were'} left out because of errors${mode === 'write' ? '; the others were written (--keep-going)' : ''}\n`);
    return 2;
  }
  if (base !== path.resolve(io.cwd) && mode !== 'write' && plan.files.length > 0 && !o.list) {
    io.stderr.write(`${style.cyan('note')}: the workspace lies above the current directory, so the diff names files relative to ${base}: apply it with \`git -C ${base} apply\`\n`);
  }
  // cargo's way of saying what to do next; the last line of a --check that found something.
  if (mode === 'check' && plan.files.length > 0) io.stderr.write(`${style.cyan('help')}: run with --write to apply\n`);
  if (mode === 'write') {
    // Loaded only here (as doctor is below): a dry run, the common case, starts faster without them.
    const { formatLockNotes, lockStates, runLockUpdates, staleLocks } = await import('./output/lock-update.js');
    const { hakariFollowUps } = await import('./output/hakari-follow-up.js');
    // Nothing is said of a lock that still satisfies the new requirements.
    const locks = lockStates(plan, io.cwd);
    const stale = staleLocks(locks).length > 0;
    // Hakari sections mirror the lock: they are regenerated after it is refreshed, never edited here.
    const hakari = hakariFollowUps(plan, io.cwd);
    const regenerate = hakari.length === 0 ? '' : `${style.cyan('note')}: ${stale ? 'then ' : ''}regenerate the hakari ${hakari.length === 1 ? 'section' : 'sections'} with:\n${hakari.map((c) => `  ${c}\n`).join('')}`;
    io.stderr.write(formatLockNotes(locks, io.cwd, style, o.updateLock));
    if (stale && o.updateLock) {
      const status = runLockUpdates(locks, io.cwd, (t) => io.stderr.write(t));
      io.stderr.write(regenerate);
      return status;
    }
    io.stderr.write(regenerate);
  }
  return mode === 'check' && plan.files.length > 0 ? 1 : 0;
}

/** `doctor`: the offline diagnosis; 0 clean, 1 found something, 2 error. */
async function runDoctor(paths: readonly string[], o: Values, io: Io, style: Style): Promise<number> {
  const { doctor, doctorExitCode, formatDoctor, toJson: doctorJson } = await import('./doctor/index.js');
  try {
    const report = doctor(paths.length > 0 ? paths : ['.'], { data: currentReleaseData(dataSource(o, io)).data });
    if (o.json) io.stdout.write(`${JSON.stringify(doctorJson(report, io.cwd), null, 2)}\n`);
    else io.stdout.write(formatDoctor(report, io.cwd, useColor(io.stdout, io.env) ? COLOR : style));
    return doctorExitCode(report);
  } catch (e) {
    return failure(e, io, 'dry-run', false);
  }
}

/** `notes`: the release notes an upgrade crosses, per root; 0 done, 2 error. */
async function runNotes(paths: readonly string[], o: Values, argv: readonly string[], io: Io): Promise<number> {
  const { formatNotes, notesJson, notesOf } = await import('./output/notes.js');
  try {
    const current = currentReleaseData(dataSource(o, io));
    // The target a run with the same options would choose.
    const plan = planPaths(paths.length > 0 ? paths : ['.'], { ...planRequest(o, current.data), notesOnly: true });
    const yanked = yankedWithoutTo(o, 'notes', toSetting(plan));
    if (yanked) return usageFailure(yanked, argv, io);
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
  let unreachable: string | undefined;
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
    if (r.unreachable !== undefined) {
      unreachable = r.unreachable;
      break;
    }
    const fetched = readCache(cacheDir, [...r.updated, ...r.unchanged], indexUrl ?? DEFAULT_INDEX_URL).entries;
    const fresh = [...fetched].flatMap(([crate, e]) => e.releases.filter((x) => data.release(crate, x.version) === undefined));
    crates = lockstepDependencies(fresh, (c) => known.has(c), offsets);
    for (const c of crates) known.add(c);
  }
  const failed = result.failed;
  // An index that cannot be reached is one warning; otherwise one line per reason.
  if (unreachable !== undefined) {
    io.stderr.write(`${style.yellow('warning')}: cannot reach the index at ${indexUrl ?? DEFAULT_INDEX_URL}, the refresh stopped at the first failure: ${unreachable}\n`);
  }
  for (const [reason, list] of groupBy(failed, (f) => f.reason)) {
    if (reason === unreachable) continue;
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

/** Bad input is a cargo-style error line per error; anything else is a bug, still reported without a stack trace. */
function failure(e: unknown, io: Io, mode: Mode, json: boolean, format: MessageFormat = 'human'): number {
  const error = e instanceof UserError ? e : new UserError(`internal error: ${(e as Error)?.message ?? String(e)} (this is a bug in wasmtime-align; nothing was written)`);
  io.stderr.write(`${formatUserError(error, io.cwd)}\n`);
  if (!(e instanceof UserError) && io.env.WASMTIME_ALIGN_DEBUG) io.stderr.write(`${(e as Error)?.stack}\n`);
  if (format === 'github') io.stderr.write(failureAnnotations(error, io.cwd, io.env));
  if (json) writeErrorReport(error, io, mode);
  return 2;
}

/** The JSON report of a run that stopped before planning anything: no roots, no files, the error. */
function writeErrorReport(error: UserError, io: Io, mode: Mode): void {
  const report = { schemaVersion: SCHEMA_VERSION, mode, changed: false, roots: [], files: [], warnings: [], errors: errorReports([error], io.cwd), vendored: [], diff: '', diffBase: '.' };
  io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

/** A command line that cannot run: clap's text on stderr, and with --json the error report on stdout too; exit 2. */
function usageFailure(e: UsageError, argv: readonly string[], io: Io): number {
  io.stderr.write(usageErrorText(e));
  if (wantsJson(argv, e.command)) writeErrorReport(new UserError(e.opts.tip !== undefined ? `${e.message}; tip: ${e.opts.tip}` : e.message), io, modeOf(argv));
  return 2;
}

/** Whether a planned root took its target from its `to` setting. */
function toSetting(plan: Plan): boolean {
  return plan.roots.some((r) => r.target?.origin === 'setting');
}

/** The release data a command reads: the embedded data and what the cache holds from `--index-url`'s index. */
function dataSource(o: Values, io: Io): { cacheDir: string; indexUrl?: string } {
  return { cacheDir: defaultCacheDir(io.env), ...(o['index-url'] !== undefined ? { indexUrl: o['index-url'] } : {}) };
}

/**
 * What the command line asks of planning; a run and `notes` share it (each command's option table decides which of
 * these options it can be given at all).
 */
function planRequest(o: Values, data: ReleaseData): PlanRequest {
  return {
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
    data,
  };
}

/** The options that were given (a flag is `true` or absent; `lift` can only be turned off). */
function given<T extends Record<string, boolean | undefined>>(o: T): Partial<Record<keyof T, boolean>> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<Record<keyof T, boolean>>;
}
