import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { ioMessage } from '../manifest/read.js';
import type { FilePlan } from '../pipeline.js';
import { removeJournal, sha256, syncDir, tempNameFor, writeJournal } from './journal.js';
import { Interrupted } from './signals.js';

/**
 * Writes every planned file or none.
 *
 * 1. Every target is checked: it still holds the bytes that were planned from, it has one link (a manifest with
 *    several hard links is refused: writing would split them), and its owner can be kept.
 * 2. With `journalDirs`, the journal goes there (see journal.ts), fsync'd, before anything else.
 * 3. Each new text goes to a temporary file beside its target, with the target's mode and owner, fsync'd.
 * 4. Each target is read again through an open descriptor and compared with the planned-from bytes immediately
 *    before its temporary file is renamed over it; after the rename the old file (still open) is read again, and
 *    once more when every rename is done. A difference at any of these points means someone else edited the file:
 *    the files already replaced get their old bytes back (the edited one its old inode's bytes, edit included),
 *    and the run stops naming the file. This narrows the window but cannot close it: a program that opened the
 *    file before the rename and writes to it after the last check writes to a file no longer in place. Renames
 *    are atomic per file; there is no atomic rename of several files, hence the rollback and the journal.
 * 5. The directories are fsync'd, then the journal is removed.
 *
 * The steps are a generator that yields at checkpoints (after each file staged and each file renamed): the
 * command drives it with a turn of the event loop at each yield, so that a signal is seen there and thrown in as
 * `Interrupted`, which rolls back like any other failure. Past the last rename there is no checkpoint: a signal
 * received then lets the run finish.
 */
export function writeAll(files: readonly FilePlan[], opts: WriteOptions = {}): void {
  for (const _ of writeSteps(files, opts)) {
    /* no checkpoint is needed when nothing can interrupt */
  }
}

export interface WriteOptions {
  /** The directories the journal goes into (the locked roots' directories); none: no journal. */
  readonly journalDirs?: readonly string[];
}

/** Drives the steps with a turn of the event loop at each checkpoint; `interrupted()` names a signal received. */
export async function writeAllInterruptible(files: readonly FilePlan[], opts: WriteOptions, interrupted: () => 'SIGINT' | 'SIGTERM' | 'SIGHUP' | undefined): Promise<void> {
  const steps = writeSteps(files, opts);
  let r = steps.next();
  while (!r.done) {
    await new Promise((resolve) => setImmediate(resolve));
    const s = interrupted();
    r = s ? steps.throw(new Interrupted(s)) : steps.next();
  }
}

interface Target {
  readonly plan: FilePlan;
  readonly file: string;
  readonly temp: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

interface Replaced {
  readonly t: Target;
  /** The replaced file, still open: an edit made to it around the rename shows there. */
  readonly oldFd: number;
}

export function* writeSteps(files: readonly FilePlan[], opts: WriteOptions = {}): Generator<void, void, void> {
  const targets = files.map(check);
  if (targets.length === 0) return;
  const journal = opts.journalDirs && opts.journalDirs.length > 0
    ? writeJournal(opts.journalDirs, targets.map((t) => ({ target: t.file, temp: t.temp, before: t.plan.manifest.bytes, afterHash: sha256(Buffer.from(t.plan.after, 'utf8')) })))
    : [];

  const staged: Target[] = [];
  const replaced: Replaced[] = [];
  let phase: 'stage' | 'rename' = 'stage';
  let current: Target | undefined;
  try {
    for (const t of targets) {
      current = t;
      staged.push(t);
      stage(t);
      yield;
    }
    phase = 'rename';
    for (const t of targets) {
      current = t;
      const fd = openAndCompare(t);
      try {
        fs.renameSync(t.temp, t.file);
      } catch (e) {
        fs.closeSync(fd);
        throw e;
      }
      replaced.push({ t, oldFd: fd });
      assertOldUntouched({ t, oldFd: fd });
      yield;
    }
    // The last look at every replaced file: an edit that reached one just before its rename shows by now.
    for (const r of replaced) assertOldUntouched(r);
  } catch (e) {
    const editedAfter = rollBack(staged, replaced);
    removeJournal(journal);
    throw failure(e, phase, current, editedAfter);
  }
  for (const d of new Set(targets.map((t) => path.dirname(t.file)))) syncDir(d);
  for (const r of replaced) fs.closeSync(r.oldFd);
  removeJournal(journal);
}

/** Step 1 for one file: planned-from bytes, one link, mode and owner. */
function check(f: FilePlan): Target {
  let now: Buffer;
  let st: fs.Stats;
  try {
    now = fs.readFileSync(f.writePath);
    st = fs.statSync(f.writePath);
  } catch (e) {
    throw new UserError(`cannot read the file again before writing: ${ioMessage(e)}`, { file: f.manifest.path });
  }
  if (!now.equals(f.manifest.bytes)) {
    throw new UserError('the file changed on disk since it was read; nothing was written, run again', { file: f.manifest.path });
  }
  if (st.nlink > 1) {
    throw new UserError(`has ${st.nlink} hard links; writing would split them (the other links would keep the old text); nothing was written`, { file: f.manifest.path });
  }
  const uid = process.getuid?.();
  if (uid !== undefined && uid !== 0 && st.uid !== uid) {
    throw new UserError(`is owned by another user (uid ${st.uid}); writing would make it this user's; nothing was written`, { file: f.manifest.path });
  }
  return { plan: f, file: f.writePath, temp: tempNameFor(f.writePath), mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
}

/** Step 3 for one file: the new text in a temporary file with the target's mode and owner, on disk. */
function stage(t: Target): void {
  const fd = fs.openSync(t.temp, 'wx', t.mode);
  try {
    fs.writeSync(fd, t.plan.after, null, 'utf8');
    fs.fchmodSync(fd, t.mode);
    const st = fs.fstatSync(fd);
    if (st.uid !== t.uid || st.gid !== t.gid) fs.fchownSync(fd, t.uid, t.gid);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Opens the target and compares its bytes with the planned-from ones; the descriptor stays open. */
function openAndCompare(t: Target): number {
  let fd: number;
  try {
    fd = fs.openSync(t.file, 'r');
  } catch (e) {
    throw new ChangedMeanwhile(t, `cannot read the file again before replacing it: ${ioMessage(e)}`);
  }
  if (!readAll(fd).equals(t.plan.manifest.bytes)) {
    fs.closeSync(fd);
    throw new ChangedMeanwhile(t, 'the file changed on disk while the run was writing');
  }
  return fd;
}

function assertOldUntouched(r: Replaced): void {
  if (!readAll(r.oldFd).equals(r.t.plan.manifest.bytes)) throw new ChangedMeanwhile(r.t, 'the file was edited while it was being replaced');
}

/** The whole file behind a descriptor, from its start. */
function readAll(fd: number): Buffer {
  const chunks: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const b = Buffer.allocUnsafe(64 * 1024);
    const n = fs.readSync(fd, b, 0, b.length, pos);
    if (n === 0) break;
    chunks.push(b.subarray(0, n));
    pos += n;
  }
  return Buffer.concat(chunks);
}

class ChangedMeanwhile extends Error {
  constructor(
    readonly target: Target,
    readonly what: string,
  ) {
    super(what);
  }
}

/**
 * Undoes steps 3 and 4: removes the temporary files, and gives every replaced file its old bytes back, read from
 * its old inode (which holds an edit made to it around the rename). A replaced file that no longer holds the
 * planned text was edited after the rename: it is left as it is and returned.
 */
function rollBack(staged: readonly Target[], replaced: readonly Replaced[]): string[] {
  const editedAfter: string[] = [];
  for (const t of staged) fs.rmSync(t.temp, { force: true });
  for (const r of [...replaced].reverse()) {
    const old = readAll(r.oldFd);
    fs.closeSync(r.oldFd);
    let now: Buffer | undefined;
    try {
      now = fs.readFileSync(r.t.file);
    } catch {
      now = undefined;
    }
    if (now === undefined || now.toString('utf8') !== r.t.plan.after) {
      editedAfter.push(r.t.plan.manifest.path);
      continue;
    }
    const temp = tempNameFor(r.t.file);
    fs.writeFileSync(temp, old, { flag: 'wx', mode: r.t.mode });
    fs.chmodSync(temp, r.t.mode);
    try {
      fs.chownSync(temp, r.t.uid, r.t.gid);
    } catch {
      /* checked in step 1; a failure here leaves this user's ownership on a restored file */
    }
    fs.renameSync(temp, r.t.file);
  }
  for (const d of new Set(replaced.map((r) => path.dirname(r.t.file)))) syncDir(d);
  return editedAfter;
}

function failure(e: unknown, phase: 'stage' | 'rename', current: Target | undefined, editedAfter: readonly string[]): Error {
  const also = editedAfter.length > 0 ? `; edited again after it was written, left as it is: ${editedAfter.join(', ')}` : '';
  if (e instanceof Interrupted) return e;
  if (e instanceof ChangedMeanwhile) {
    return new UserError(`${e.what}; the edit is kept and nothing was written (files already replaced were restored), run again${also}`, { file: e.target.plan.manifest.path });
  }
  if (e instanceof UserError) return e;
  const file = current ? { file: current.file } : undefined;
  if (phase === 'stage') {
    const owner = (e as NodeJS.ErrnoException).syscall === 'fchown' ? ` (keeping its owner uid ${current?.uid}, gid ${current?.gid})` : '';
    return new UserError(`cannot write${owner}: ${ioMessage(e)}; nothing was written${also}`, file);
  }
  return new UserError(`cannot replace the file: ${ioMessage(e)}; files already replaced were restored${also}`, file);
}
