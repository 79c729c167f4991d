/**
 * One `--write` at a time per workspace root: `<root>/.wasmtime-align.lock`, created exclusively (`wx`) and
 * holding the writer's pid. A second run waits for it (2 s by default, `WASMTIME_ALIGN_LOCK_WAIT_MS`), then stops
 * with `error: <root>/.wasmtime-align.lock: another wasmtime-align run (pid N) is writing this workspace`. A lock whose process is
 * gone (SIGKILL, a power loss) is taken over, with a note; the journal beside it is then repaired.
 *
 * Several roots are locked in sorted order, so two runs over overlapping roots cannot wait for each other.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../errors.js';
import { ioMessage } from '../manifest/read.js';
import { processAlive } from './journal.js';

export const LOCK_NAME = '.wasmtime-align.lock';

export interface HeldLocks {
  readonly files: readonly string[];
  /** Locks of processes that were gone, taken over: root directory and that pid. */
  readonly takenOver: readonly { readonly dir: string; readonly pid: number }[];
  /** Whether another run held one of the locks and this one waited for it. */
  readonly waited: boolean;
}

type Attempt = { kind: 'held' } | { kind: 'busy'; pid: number } | { kind: 'stale'; pid: number };

/** One try at a root's lock. */
function tryLock(dir: string): Attempt {
  const file = path.join(dir, LOCK_NAME);
  try {
    const fd = fs.openSync(file, 'wx', 0o644);
    fs.writeSync(fd, `${process.pid}\n`);
    fs.closeSync(fd);
    return { kind: 'held' };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new UserError(`cannot create the lock file: ${ioMessage(e)}; nothing was written`, { file: dir });
    }
  }
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { kind: 'busy', pid: 0 }; // released meanwhile: try again
  }
  const pid = Number(text.trim());
  // A lock being created holds no pid yet for a moment: count it as busy, not stale.
  if (text === '' || processAlive(pid)) return { kind: 'busy', pid };
  // Take the stale lock over without ever removing a live one: move it aside under a private name, and check that
  // what was moved is the stale lock that was read.
  const aside = `${file}.${process.pid}.stale`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return { kind: 'busy', pid };
  }
  const moved = fs.readFileSync(aside, 'utf8');
  if (moved !== text) {
    try {
      fs.linkSync(aside, file); // another run's fresh lock: put it back unless a third one got in
    } catch {
      /* the third run holds the lock now */
    }
    fs.rmSync(aside, { force: true });
    return { kind: 'busy', pid: Number(moved.trim()) };
  }
  fs.rmSync(aside, { force: true });
  const again = tryLock(dir);
  return again.kind === 'held' ? { kind: 'stale', pid } : again;
}

export function lockWaitMs(env: NodeJS.ProcessEnv): number {
  const ms = Number(env.WASMTIME_ALIGN_LOCK_WAIT_MS);
  return Number.isFinite(ms) && ms >= 0 && env.WASMTIME_ALIGN_LOCK_WAIT_MS !== '' ? ms : 2000;
}

/**
 * Locks every root directory, waiting up to `waitMs` for each; `stop()` is asked between tries (a signal) and
 * ends the wait with what has been taken released.
 */
export async function lockRoots(dirs: readonly string[], waitMs: number, stop: () => boolean = () => false): Promise<HeldLocks> {
  return lockLoop(dirs, waitMs, stop, (ms) => sleep(ms));
}

/** The same, blocking (the programmatic `apply()`). */
export function lockRootsSync(dirs: readonly string[], waitMs: number): HeldLocks {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  let r: HeldLocks | undefined;
  let err: unknown;
  // lockLoop only awaits its sleeps; run it with a blocking sleep.
  const gen = lockSteps(dirs, waitMs, () => false);
  for (;;) {
    let step: IteratorResult<number, HeldLocks>;
    try {
      step = gen.next();
    } catch (e) {
      err = e;
      break;
    }
    if (step.done) {
      r = step.value;
      break;
    }
    Atomics.wait(cell, 0, 0, step.value);
  }
  if (err !== undefined) throw err;
  return r!;
}

async function lockLoop(dirs: readonly string[], waitMs: number, stop: () => boolean, wait: (ms: number) => Promise<unknown>): Promise<HeldLocks> {
  const gen = lockSteps(dirs, waitMs, stop);
  for (;;) {
    const step = gen.next();
    if (step.done) return step.value;
    await wait(step.value);
  }
}

/** Yields the milliseconds to sleep before the next try. */
function* lockSteps(dirs: readonly string[], waitMs: number, stop: () => boolean): Generator<number, HeldLocks, void> {
  const sorted = [...new Set(dirs)].sort();
  const held: string[] = [];
  const takenOver: { dir: string; pid: number }[] = [];
  let waited = false;
  try {
    for (const dir of sorted) {
      const deadline = Date.now() + waitMs;
      for (;;) {
        const a = tryLock(dir);
        if (a.kind !== 'busy') {
          held.push(path.join(dir, LOCK_NAME));
          if (a.kind === 'stale') takenOver.push({ dir, pid: a.pid });
          break;
        }
        if (stop()) throw new LockWaitStopped();
        if (Date.now() >= deadline) {
          throw new UserError(`another wasmtime-align run${a.pid > 0 ? ` (pid ${a.pid})` : ''} is writing this workspace; nothing was written, try again when it has finished`, { file: path.join(dir, LOCK_NAME) });
        }
        waited = true;
        yield Math.min(50, Math.max(1, deadline - Date.now()));
      }
    }
  } catch (e) {
    releaseLocks(held);
    throw e;
  }
  return { files: held, takenOver, waited };
}

/** The wait for a lock was ended by a signal. */
export class LockWaitStopped extends Error {}

/** Removes the lock files, only those that still name this process. */
export function releaseLocks(files: readonly string[]): void {
  for (const f of files) {
    try {
      if (Number(fs.readFileSync(f, 'utf8').trim()) === process.pid) fs.rmSync(f, { force: true });
    } catch {
      /* gone already */
    }
  }
}
