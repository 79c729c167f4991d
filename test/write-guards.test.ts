/**
 * The guards of a write, each made to happen at an exact step: a signal at every checkpoint, an edit between the
 * read and the rename, an edit reaching the old file through a descriptor opened before the rename, a run that
 * dies (the journal, repaired by the next run both ways), locks (held, stale), stale temporary files, hard links,
 * owner and mode. The timing-driven fault test is test/faults.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTree, runCli, tempDir, treeDifferences, writeTree } from './helpers.js';
import { UserError } from '../src/index.js';
import { planPaths } from '../src/pipeline.js';
import { writeAllInterruptible, writeSteps } from '../src/output/write.js';
import { Interrupted } from '../src/output/signals.js';
import { JOURNAL_NAME } from '../src/output/journal.js';
import { LOCK_NAME } from '../src/output/run-lock.js';

const ROOT = '[workspace]\nmembers = ["a", "b", "c"]\nresolver = "2"\n';
const member = (n: string, v: string): string => `[package]\nname = "${n}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = "${v}"\n`;
const FILES = { 'Cargo.toml': ROOT, 'a/Cargo.toml': member('a', '26.0.1'), 'b/Cargo.toml': member('b', '25.0.0'), 'c/Cargo.toml': member('c', '24.0.0') };
const opts = { exact: false, lift: true, allKeys: false } as const;

function workspace(prefix: string): string {
  return writeTree(tempDir(prefix), FILES);
}

/** The tree after an undisturbed --write (made once, on its own copy). */
const written = ((): Map<string, Buffer> => {
  const dir = workspace('guards-expected');
  const r = runCli(['--write'], dir);
  assert.equal(r.status, 0, r.stderr);
  return readTree(dir);
})();

const strays = (dir: string): string[] => [...readTree(dir).keys()].filter((f) => /wasmtime-align/.test(f) || f.endsWith('.tmp'));
const assertOld = (dir: string, before: Map<string, Buffer>, what: string): void => assert.deepEqual(treeDifferences(readTree(dir), before), [], what);
const assertNew = (dir: string, what: string): void => assert.deepEqual(treeDifferences(readTree(dir), written), [], what);

test('a signal at every checkpoint: all old (Interrupted) or, past the last one, all new; never a temporary file', async () => {
  const probe = workspace('checkpoints-count');
  let checkpoints = 0;
  for (const _ of writeSteps(planPaths([probe], opts).files)) checkpoints++;
  assert.equal(checkpoints, 8, 'four files: four staged, four renamed');
  for (let k = 0; k <= checkpoints; k++) {
    const dir = workspace(`checkpoint-${k}`);
    const before = readTree(dir);
    const p = planPaths([dir], opts);
    let seen = 0;
    const interrupted = (): 'SIGINT' | undefined => (++seen > k ? 'SIGINT' : undefined);
    let error: unknown;
    await writeAllInterruptible(p.files, { journalDirs: [dir] }, interrupted).catch((e: unknown) => (error = e));
    if (k < checkpoints) {
      assert.ok(error instanceof Interrupted && error.signal === 'SIGINT', `checkpoint ${k}: interrupted`);
      assertOld(dir, before, `checkpoint ${k}: every file old`);
    } else {
      assert.equal(error, undefined);
      assertNew(dir, 'past the last checkpoint: every file new');
    }
    assert.deepEqual(strays(dir), [], `checkpoint ${k}: no temporary file, journal or lock`);
  }
});

test('an edit between the read and the rename: nothing written, the edit kept, the file named', () => {
  // After 0 steps the first check has not run yet (a generator starts at its first step): it sees the edit itself.
  for (const when of [0, 1, 4, 5, 6]) {
    const dir = workspace(`edit-before-rename-${when}`);
    const p = planPaths([dir], opts);
    const before = readTree(dir);
    before.set('b/Cargo.toml', Buffer.from(`${FILES['b/Cargo.toml']}# edited meanwhile\n`));
    const steps = writeSteps(p.files, { journalDirs: [dir] });
    for (let i = 0; i < when; i++) steps.next();
    const b = path.join(dir, 'b/Cargo.toml');
    fs.appendFileSync(b, '# edited meanwhile\n');
    assert.throws(
      () => {
        for (let r = steps.next(); !r.done; r = steps.next());
      },
      (e: unknown) =>
        e instanceof UserError &&
        e.location?.file === b &&
        (when === 0 ? /^the file changed on disk since it was read; nothing was written/ : /^the file changed on disk while the run was writing; the edit is kept and nothing was written/).test(e.message),
    );
    assertOld(dir, before, `edit after ${when} steps: every file as before, the edit included`);
    assert.deepEqual(strays(dir), []);
  }
});

test('an edit after its file was replaced lands on the new text and is kept; the run succeeds', () => {
  const dir = workspace('edit-after-rename');
  const steps = writeSteps(planPaths([dir], opts).files, { journalDirs: [dir] });
  for (let i = 0; i < 7; i++) steps.next(); // b renamed at the seventh step
  fs.appendFileSync(path.join(dir, 'b/Cargo.toml'), '# edited after\n');
  for (let r = steps.next(); !r.done; r = steps.next());
  const expected = new Map(written);
  expected.set('b/Cargo.toml', Buffer.concat([written.get('b/Cargo.toml')!, Buffer.from('# edited after\n')]));
  assert.deepEqual(treeDifferences(readTree(dir), expected), []);
});

test('an edit reaching the old file through a descriptor opened before its rename: detected, rolled back with the edit', () => {
  const dir = workspace('edit-old-inode');
  const p = planPaths([dir], opts);
  const b = path.join(dir, 'b/Cargo.toml');
  const fd = fs.openSync(b, 'a'); // an editor that opened the file before the run replaced it
  const steps = writeSteps(p.files, { journalDirs: [dir] });
  for (let i = 0; i < 7; i++) steps.next(); // staged all four, renamed Cargo.toml, a and b
  fs.writeSync(fd, '# written through an old descriptor\n');
  fs.closeSync(fd);
  assert.throws(
    () => {
      for (let r = steps.next(); !r.done; r = steps.next()); // c renamed, then the last look at every old file
    },
    (e: unknown) => e instanceof UserError && e.location?.file === b && /^the file was edited while it was being replaced; the edit is kept/.test(e.message),
  );
  assert.equal(fs.readFileSync(b, 'utf8'), `${FILES['b/Cargo.toml']}# written through an old descriptor\n`, 'the edit is in place');
  assert.equal(fs.readFileSync(path.join(dir, 'Cargo.toml'), 'utf8'), ROOT);
  assert.equal(fs.readFileSync(path.join(dir, 'a/Cargo.toml'), 'utf8'), FILES['a/Cargo.toml']);
  assert.deepEqual(strays(dir), []);
});

/** Runs the steps of a write and abandons them after `n`, as SIGKILL would (no rollback, nothing removed). */
function dieAfter(dir: string, n: number): void {
  const steps = writeSteps(planPaths([dir], opts).files, { journalDirs: [dir] });
  for (let i = 0; i < n; i++) steps.next();
}

test('a run killed mid-rename: the dry run warns, the next --write rolls back, then writes', () => {
  const dir = workspace('killed-mid-rename');
  dieAfter(dir, 6); // four staged, two renamed
  assert.ok(fs.existsSync(path.join(dir, JOURNAL_NAME)));
  assert.ok(strays(dir).some((f) => f.endsWith('.tmp')), 'temporary files left, as SIGKILL leaves them');
  const dry = runCli([], dir);
  assert.equal(dry.status, 0);
  assert.match(dry.stderr, /^warning: \.wasmtime-align-journal: a --write here was interrupted and may have left some files written; the next --write repairs it first$/m);
  const r = runCli(['--write'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^note: \.wasmtime-align-journal: a --write interrupted earlier \(pid \d+\) was rolled back: 2 files restored \(Cargo\.toml, a\/Cargo\.toml\)$/m);
  assertNew(dir, 'then written whole');
  assert.deepEqual(strays(dir), []);
});

test('a run killed after its last rename: the next --write finishes its cleanup and finds nothing to change', () => {
  const dir = workspace('killed-after-renames');
  dieAfter(dir, 8);
  assert.ok(fs.existsSync(path.join(dir, JOURNAL_NAME)));
  const r = runCli(['--write'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^note: \.wasmtime-align-journal: a --write interrupted earlier \(pid \d+\) had replaced every file; its cleanup was finished$/m);
  assert.match(r.stderr, /nothing to change\n/);
  assertNew(dir, 'all new');
  assert.deepEqual(strays(dir), []);
});

test('a file edited after a run was killed is left as it is by the repair, and named', () => {
  const dir = workspace('killed-then-edited');
  dieAfter(dir, 6);
  fs.appendFileSync(path.join(dir, 'a/Cargo.toml'), '# edited after the crash\n');
  const r = runCli(['--write'], dir);
  assert.match(r.stderr, /^warning: a\/Cargo\.toml: edited since the interrupted run; left as it is$/m);
  assert.match(fs.readFileSync(path.join(dir, 'a/Cargo.toml'), 'utf8'), /# edited after the crash\n$/);
  assert.deepEqual(strays(dir), []);
});

/** A pid no process has: one that just exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

test('a lock held by a live run: --write waits, then stops naming it; a stale lock is taken over with a note', () => {
  const dir = workspace('locked');
  const before = readTree(dir);
  const lock = path.join(dir, LOCK_NAME);
  fs.writeFileSync(lock, `${process.pid}\n`);
  const t0 = Date.now();
  const r = runCli(['--write'], dir, { WASMTIME_ALIGN_LOCK_WAIT_MS: '300' });
  assert.ok(Date.now() - t0 >= 300, 'it waited');
  assert.equal(r.status, 2);
  assert.equal(r.stderr, `error: .wasmtime-align.lock: another wasmtime-align run (pid ${process.pid}) is writing this workspace; nothing was written, try again when it has finished\n`);
  assert.equal(fs.readFileSync(lock, 'utf8'), `${process.pid}\n`, 'the live lock is left alone');
  fs.rmSync(lock);
  assertOld(dir, before, 'nothing written');

  const dead = deadPid();
  fs.writeFileSync(lock, `${dead}\n`);
  const r2 = runCli(['--write'], dir);
  assert.equal(r2.status, 0, r2.stderr);
  assert.match(r2.stderr, new RegExp(`^note: \\.: took over the lock of an earlier wasmtime-align run \\(pid ${dead}\\), which is gone$`, 'm'));
  assertNew(dir, 'written');
  assert.deepEqual(strays(dir), []);
});

test('temporary files of runs that are gone are removed with a note; those of a live process are not', () => {
  const dir = workspace('stale-temps');
  const dead = path.join(dir, 'b', `.Cargo.toml.wasmtime-align-${deadPid()}-0123abcd.tmp`);
  const live = path.join(dir, 'c', `.Cargo.toml.wasmtime-align-${process.pid}-0123abcd.tmp`);
  fs.writeFileSync(dead, 'half');
  fs.writeFileSync(live, 'busy');
  const r = runCli(['--write'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^note: removed 1 temporary file of interrupted runs: b\/\.Cargo\.toml\.wasmtime-align-\d+-0123abcd\.tmp$/m);
  assert.ok(!fs.existsSync(dead));
  assert.ok(fs.existsSync(live));
});

test('a manifest with several hard links: an error naming it, before anything is written', () => {
  const dir = workspace('hard-links');
  fs.linkSync(path.join(dir, 'b/Cargo.toml'), path.join(dir, 'b-copy.toml'));
  const before = readTree(dir);
  const r = runCli(['--write'], dir);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'error: b/Cargo.toml: has 2 hard links; writing would split them (the other links would keep the old text); nothing was written\n');
  assertOld(dir, before, 'nothing written');
  assert.deepEqual(strays(dir), []);
  assert.equal(runCli([], dir).status, 0, 'a dry run still shows the diff');
});

test('owner and mode of every rewritten file are kept', (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('changing owners needs root; the mode is covered in cli.test.ts');
    return;
  }
  const dir = workspace('owner');
  fs.chownSync(path.join(dir, 'a/Cargo.toml'), 1234, 1234);
  fs.chmodSync(path.join(dir, 'a/Cargo.toml'), 0o604);
  fs.chownSync(path.join(dir, 'b/Cargo.toml'), 0, 4321);
  const r = runCli(['--write'], dir);
  assert.equal(r.status, 0, r.stderr);
  assertNew(dir, 'written');
  const a = fs.statSync(path.join(dir, 'a/Cargo.toml'));
  const b = fs.statSync(path.join(dir, 'b/Cargo.toml'));
  assert.deepEqual([a.uid, a.gid, a.mode & 0o7777], [1234, 1234, 0o604]);
  assert.deepEqual([b.uid, b.gid], [0, 4321]);
});
