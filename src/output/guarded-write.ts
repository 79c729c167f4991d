/**
 * A `--write` with its guards: the roots' locks, the repair of an interrupted earlier run, the journal, and
 * (for the command) signals. The order: lock every root (waiting briefly for another run) → repair from any
 * journal found and remove temporary files of runs that are gone → plan again if anything on disk moved while
 * this run waited or repaired → write (writeSteps) → release the locks.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import { displayPath, UserError } from '../errors.js';
import type { Plan } from '../pipeline.js';
import { JOURNAL_NAME, removeStaleTemps, repairFromJournal, type Repair } from './journal.js';
import { lockRoots, lockRootsSync, lockWaitMs, LockWaitStopped, releaseLocks, type HeldLocks } from './run-lock.js';
import { Interrupted, type HandledSignal } from './signals.js';
import { writeAll, writeAllInterruptible } from './write.js';

/** The directory of every planned root: where its lock and journal go. */
export function rootDirs(plan: Plan): string[] {
  return [...new Set(plan.roots.map((r) => path.dirname(r.manifest.path)))].sort();
}

/** Roots left with a journal by an interrupted `--write` (a dry run or --check warns about them). */
export function interruptedRoots(plan: Plan): string[] {
  return rootDirs(plan).filter((d) => fs.existsSync(path.join(d, JOURNAL_NAME)));
}

export interface GuardedWriteOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Plans again (after waiting for another run, or after a repair). */
  readonly replan: () => Plan;
  readonly interrupted: () => HandledSignal | undefined;
  /** Receives each note or warning line, without the final newline, `note: ...` / `warning: ...`. */
  readonly report: (level: 'note' | 'warning', message: string) => void;
}

/** The command's write: returns the plan that was written (planned again if the disk moved meanwhile). */
export async function guardedWrite(plan: Plan, o: GuardedWriteOptions): Promise<Plan> {
  const dirs = rootDirs(plan);
  if (plan.files.length === 0 && interruptedRoots(plan).length === 0) return plan;
  let locks: HeldLocks;
  try {
    locks = await lockRoots(dirs, lockWaitMs(o.env), () => o.interrupted() !== undefined);
  } catch (e) {
    if (e instanceof LockWaitStopped) throw new Interrupted(o.interrupted()!);
    throw e;
  }
  try {
    const moved = prepare(plan, dirs, locks, o);
    let current = plan;
    if (moved) {
      current = o.replan();
      const outside = rootDirs(current).filter((d) => !dirs.includes(d));
      if (outside.length > 0) throw new UserError('the workspaces changed while this run waited; nothing was written, run again', { file: outside[0]! });
    }
    const s = o.interrupted();
    if (s) throw new Interrupted(s);
    await writeAllInterruptible(current.files, { journalDirs: dirs }, o.interrupted);
    return current;
  } finally {
    releaseLocks(locks.files);
  }
}

/** The programmatic `apply()`: the same guards, blocking, without signals; a repair makes the plan stale. */
export function guardedWriteSync(plan: Plan, env: NodeJS.ProcessEnv = process.env): void {
  const dirs = rootDirs(plan);
  if (plan.files.length === 0 && interruptedRoots(plan).length === 0) return;
  const locks = lockRootsSync(dirs, lockWaitMs(env));
  try {
    // After a wait or a repair the files differ from the plan, and writeAll's first check says so.
    prepare(plan, dirs, locks, { cwd: process.cwd(), report: () => {} });
    writeAll(plan.files, { journalDirs: dirs });
  } finally {
    releaseLocks(locks.files);
  }
}

/** Under the locks: notes, repairs, stale temporary files. True when the disk may differ from the plan. */
function prepare(plan: Plan, dirs: readonly string[], locks: HeldLocks, o: Pick<GuardedWriteOptions, 'cwd' | 'report'>): boolean {
  for (const t of locks.takenOver) {
    o.report('note', `${displayPath(t.dir, o.cwd)}: took over the lock of an earlier wasmtime-align run (pid ${t.pid}), which is gone`);
  }
  const repairs = dirs.map(repairFromJournal).filter((r): r is Repair => r !== undefined);
  for (const r of repairs) reportRepair(r, o);
  const tempDirs = new Set([...dirs, ...plan.files.map((f) => path.dirname(f.writePath))]);
  const stale = removeStaleTemps(tempDirs);
  if (stale.length > 0) o.report('note', `removed ${stale.length} temporary ${stale.length === 1 ? 'file' : 'files'} of interrupted runs: ${stale.map((f) => displayPath(f, o.cwd)).join(', ')}`);
  return locks.waited || repairs.length > 0;
}

function reportRepair(r: Repair, o: Pick<GuardedWriteOptions, 'cwd' | 'report'>): void {
  const where = displayPath(r.journal, o.cwd);
  if (r.direction === 'forward') {
    o.report('note', `${where}: a --write interrupted earlier (pid ${r.pid}) had replaced every file; its cleanup was finished`);
  } else {
    const n = r.restored.length;
    const names = r.restored.slice(0, 10).map((f) => displayPath(f, o.cwd)).join(', ') + (n > 10 ? ` and ${n - 10} more` : '');
    o.report('note', `${where}: a --write interrupted earlier (pid ${r.pid}) was rolled back: ${n} ${n === 1 ? 'file' : 'files'} restored${n > 0 ? ` (${names})` : ''}`);
  }
  for (const f of r.editedSince) o.report('warning', `${displayPath(f, o.cwd)}: edited since the interrupted run; left as it is`);
}
