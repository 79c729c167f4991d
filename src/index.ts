/**
 * The programmatic API: the same planning the command line does, as typed data.
 *
 *   import { plan, apply } from 'wasmtime-align';
 *   const result = plan(['.'], { to: '26.0.1' });
 *   console.log(result.report.diff);
 *   apply(result); // writes every changed manifest, or none
 */
import { planPaths, type Plan } from './pipeline.js';
import { buildReport, type Mode, type Report } from './output/report.js';
import { diffBase, unifiedDiff } from './output/diff.js';
import { writeAll } from './output/write.js';

export interface Options {
  /** The release to align to, e.g. `26.0.1`; default: the newest one already requested per root. */
  readonly to?: string;
  /** Write `=X.Y.Z` requirements. */
  readonly exact?: boolean;
  /** Lift into `[workspace.dependencies]` (default true); false aligns versions where they stand. */
  readonly lift?: boolean;
  /** Also align renamed second copies of a crate. */
  readonly allKeys?: boolean;
  /** Paths in the report and diff are relative to this directory (default: process.cwd()). */
  readonly cwd?: string;
}

export interface PlanResult {
  /** The same content `--json` prints. */
  readonly report: Report;
  /** The parsed manifests and planned texts behind the report. */
  readonly plan: Plan;
}

/** Plans every workspace under the paths. Never writes. Throws `UserError` on bad input. */
export function plan(paths: string | readonly string[], options: Options = {}): PlanResult {
  const cwd = options.cwd ?? process.cwd();
  const p = planPaths(typeof paths === 'string' ? [paths] : paths, {
    to: options.to,
    exact: options.exact === true,
    lift: options.lift !== false,
    allKeys: options.allKeys === true,
  });
  const base = diffBase(p.files, cwd);
  return { report: buildReport(p, 'dry-run' satisfies Mode, unifiedDiff(p.files, base), cwd, base), plan: p };
}

/** Writes a plan: every changed manifest or none (a file changed on disk since planning aborts it). */
export function apply(result: PlanResult): void {
  writeAll(result.plan.files);
}

export { UserError, formatUserError } from './errors.js';
export type { Report, RootReport, FileReport, EditReport, FindingReport, Mode } from './output/report.js';
export type { Plan, FilePlan } from './pipeline.js';
export type { Target, Finding, Change, ChangeReason } from './plan/types.js';
