/**
 * The write journal: what a `--write` is about to replace, so that a run stopped by SIGKILL or a power loss can
 * be repaired by the next one.
 *
 * Before the first temporary file is created the writer puts `.wasmtime-align-journal` into the directory of every
 * workspace root it locked (each copy lists every file of the run, with paths relative to its own directory), and
 * fsyncs it and the directory. Each entry holds the target, its temporary file, the SHA-256 of the bytes before
 * and of the planned bytes, and the bytes before themselves. The copies are removed when the run ends, whichever
 * way it ends, after everything else (so a temporary file never outlives its journal).
 *
 * A later run that finds a journal (under the lock, so the run that wrote it is gone) repairs before it plans:
 * if every target holds its planned bytes, the run had finished its renames and only the cleanup is done
 * (forward); otherwise every target that holds its planned bytes gets its old bytes back (back). A target
 * holding neither was edited by someone since; it is left as it is and named.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { UserError } from '../errors.js';
import { ioMessage } from '../manifest/read.js';

export const JOURNAL_NAME = '.wasmtime-align-journal';

export interface JournalEntry {
  /** Absolute paths in memory; relative to the journal's directory on disk. */
  readonly target: string;
  readonly temp: string;
  readonly before: Buffer;
  readonly afterHash: string;
}

interface JournalFile {
  readonly tool: 'wasmtime-align';
  readonly version: 1;
  readonly pid: number;
  readonly copies: string[];
  readonly entries: { target: string; temp: string; beforeHash: string; afterHash: string; before: string }[];
}

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Writes a copy of the journal into each directory (via a temporary name and a rename), fsync'd with its directory. */
export function writeJournal(dirs: readonly string[], entries: readonly JournalEntry[]): string[] {
  const copies = dirs.map((d) => path.join(d, JOURNAL_NAME));
  const written: string[] = [];
  try {
    for (const file of copies) {
      const dir = path.dirname(file);
      const rel = (p: string): string => path.relative(dir, p);
      const body: JournalFile = {
        tool: 'wasmtime-align',
        version: 1,
        pid: process.pid,
        copies: copies.map(rel),
        entries: entries.map((e) => ({ target: rel(e.target), temp: rel(e.temp), beforeHash: sha256(e.before), afterHash: e.afterHash, before: e.before.toString('base64') })),
      };
      const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
      const fd = fs.openSync(temp, 'wx', 0o644);
      try {
        fs.writeSync(fd, `${JSON.stringify(body)}\n`);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(temp, file);
      written.push(file);
      syncDir(dir);
    }
  } catch (e) {
    removeJournal(written);
    throw new UserError(`cannot write the journal: ${ioMessage(e)}; nothing was written`, { file: copies[written.length] ?? copies[0]! });
  }
  return copies;
}

export function removeJournal(copies: readonly string[]): void {
  for (const c of copies) fs.rmSync(c, { force: true });
  for (const d of new Set(copies.map((c) => path.dirname(c)))) syncDir(d);
}

/** fsync of a directory, so that a rename or an unlink in it survives a power loss (best effort). */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* some file systems refuse fsync on a directory */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export interface Repair {
  readonly journal: string;
  readonly pid: number;
  readonly direction: 'forward' | 'back';
  /** Files given their old bytes back. */
  readonly restored: readonly string[];
  /** Files that hold neither the old nor the planned bytes: edited since; left as they are. */
  readonly editedSince: readonly string[];
  /** Temporary files removed. */
  readonly temps: readonly string[];
}

/** Repairs what the journal in `dir` describes, if there is one; the caller holds the lock of `dir`. */
export function repairFromJournal(dir: string): Repair | undefined {
  const file = path.join(dir, JOURNAL_NAME);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`cannot read the journal of an interrupted run: ${ioMessage(e)}`, { file });
  }
  let j: JournalFile;
  try {
    j = JSON.parse(text) as JournalFile;
    if (j.tool !== 'wasmtime-align' || j.version !== 1 || !Array.isArray(j.entries)) throw new Error('not a journal');
  } catch {
    // Journals are written under a temporary name and renamed, so this is not a torn write: refuse to guess.
    throw new UserError('the journal of an interrupted run is damaged; check the files it names and remove it', { file });
  }
  const abs = (p: string): string => path.resolve(dir, p);
  const entries = j.entries.map((e) => ({ target: abs(e.target), temp: abs(e.temp), before: Buffer.from(e.before, 'base64'), beforeHash: e.beforeHash, afterHash: e.afterHash }));
  const state = entries.map((e) => {
    let now: Buffer;
    try {
      now = fs.readFileSync(e.target);
    } catch {
      return 'other' as const;
    }
    const h = sha256(now);
    return h === e.afterHash ? ('new' as const) : h === e.beforeHash ? ('old' as const) : ('other' as const);
  });
  const direction = state.every((s) => s === 'new') ? 'forward' : 'back';
  const restored: string[] = [];
  const temps: string[] = [];
  for (const e of entries) {
    if (fs.existsSync(e.temp)) {
      fs.rmSync(e.temp, { force: true });
      temps.push(e.temp);
    }
  }
  if (direction === 'back') {
    for (const [i, e] of entries.entries()) {
      if (state[i] !== 'new') continue;
      replaceKeepingOwner(e.target, e.before);
      restored.push(e.target);
    }
    for (const d of new Set(entries.map((e) => path.dirname(e.target)))) syncDir(d);
  }
  removeJournal([...new Set([file, ...(j.copies ?? []).map(abs)])]);
  return { journal: file, pid: j.pid, direction, restored, editedSince: entries.filter((_, i) => state[i] === 'other').map((e) => e.target), temps };
}

/** Replaces a file's bytes atomically (temporary file + rename), keeping its mode and owner. */
export function replaceKeepingOwner(target: string, bytes: Buffer): void {
  const st = fs.statSync(target);
  const temp = tempNameFor(target);
  const fd = fs.openSync(temp, 'wx', st.mode & 0o7777);
  try {
    fs.writeSync(fd, bytes);
    fs.fchmodSync(fd, st.mode & 0o7777);
    try {
      fs.fchownSync(fd, st.uid, st.gid);
    } catch {
      /* not permitted: the file keeps this user's ownership */
    }
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(temp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(temp, target);
}

/** `.Cargo.toml.wasmtime-align-<pid>-<random>.tmp` beside the target. */
export function tempNameFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.wasmtime-align-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** A manifest's temporary file, or a journal's before its rename; group 1 is the writer's pid. */
const TEMP_NAME = /^\.(?:.+\.wasmtime-align|wasmtime-align-journal\.)-?(\d+)-[0-9a-f]+\.tmp$/;

/** Removes temporary files of runs whose process is gone from the directories; returns what it removed. */
export function removeStaleTemps(dirs: Iterable<string>): string[] {
  const removed: string[] = [];
  for (const d of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(d);
    } catch {
      continue;
    }
    for (const n of names) {
      const m = TEMP_NAME.exec(n);
      if (!m || processAlive(Number(m[1]))) continue;
      fs.rmSync(path.join(d, n), { force: true });
      removed.push(path.join(d, n));
    }
  }
  return removed;
}

/** Whether a process with this id exists (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
