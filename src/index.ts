/**
 * The programmatic API: the same planning the command line does, as typed data.
 *
 *   import { plan, apply, doctor } from 'wasmtime-align';
 *   const result = plan(['.'], { to: '26.0.1' });
 *   console.log(result.report.diff);
 *   apply(result); // writes every changed manifest, or none
 *   const health = doctor(['.']); // the offline lockfile diagnosis
 */
import { planPaths, type Plan, type PlanRequest } from './pipeline.js';
import { currentReleaseData } from './family/current-data.js';
import { buildReport, type Mode, type Report } from './output/report.js';
import { diffBase, unifiedDiff } from './output/diff.js';
import { guardedWriteSync } from './output/guarded-write.js';

/** What `plan()` takes: the command line's planning options (see PlanRequest), plus the directory paths are shown relative to. */
export interface Options extends PlanRequest {
  /** Paths in the report and diff are relative to this directory (default: process.cwd()). */
  readonly cwd?: string;
}

export interface PlanResult {
  /** The same content `--json` prints. */
  readonly report: Report;
  /** The parsed manifests and planned texts behind the report. */
  readonly plan: Plan;
}

/**
 * Plans every workspace under the paths. Never writes. Throws `UserError` on bad input: every error of the run at once
 * (a `UserErrors` listing them) when there are several.
 */
export function plan(paths: string | readonly string[], options: Options = {}): PlanResult {
  const cwd = options.cwd ?? process.cwd();
  const { cwd: _cwd, ...request } = options;
  const p = planPaths(typeof paths === 'string' ? [paths] : paths, { data: currentReleaseData().data, ...request });
  const base = diffBase(p.files, cwd);
  return { report: buildReport(p, 'dry-run' satisfies Mode, unifiedDiff(p.files, base), cwd, base), plan: p };
}

/**
 * Writes a plan: every changed manifest or none (a file changed on disk since planning aborts it). Takes the
 * roots' locks and writes the journal as `--write` does; signals are left to the caller.
 */
export function apply(result: PlanResult): void {
  guardedWriteSync(result.plan);
}

export { UserError, UserErrors, userErrors, formatUserError } from './errors.js';
export { doctor, doctorExitCode, formatDoctor, toJson as doctorJson } from './doctor/index.js';
export type { DoctorReport, DoctorOptions } from './doctor/index.js';
export type { Report, RootReport, FileReport, EditReport, FindingReport, Mode } from './output/report.js';
export type { Plan, FilePlan, PlanRequest } from './pipeline.js';
export type { Target, Finding, Change, ChangeReason } from './plan/types.js';
