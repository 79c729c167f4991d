/**
 * The checks every real workspace gets, for one command line: the dry-run diff applied with `git apply` equals
 * `--write`; cargo metadata of every root before and after differs only in what the run meant to change; cargo
 * prints no new warning; a second run changes nothing. Shared by the corpus and the real-workspace tests.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { embeddedReleaseData } from '../src/family/release-data.js';
import { copyTree, gitApply, migratedFeatureRefs, migratedFeatures, readTree, runCli, tempDir, treeDifferences, writtenRequirements } from './helpers.js';
import { cargoStatus, compareSnapshots, fetchWarnings, snapshot, type Snapshot } from './oracle.js';

export interface RootReport {
  manifest: string;
  target: { version: string; requirement: string; release: string | null } | null;
}

interface Diagnose {
  diagnostic(m: string): void;
}

export interface CheckOptions {
  /** cargo needs `-Zbindeps` (nightly) to read this workspace (enarx's `artifact` dependencies). */
  readonly bindeps?: boolean;
}

const cargo = cargoStatus();

/** Runs `args` on a copy of `source` and checks it; returns the number of files the run changes. */
export function checkWorkspaceRun(t: Diagnose, source: string, args: readonly string[], opts: CheckOptions = {}): { changedFiles: number } {
  const base = tempDir('workspace-check');
  const written = copyTree(source, path.join(base, 'written'));
  const patched = copyTree(source, path.join(base, 'patched'));

  const dry = runCli([...args, '--json'], written);
  assert.equal(dry.status, 0, `dry run failed: ${dry.stderr}`);
  const report = JSON.parse(dry.stdout) as { roots: RootReport[]; files: { edits: { after: unknown }[] }[]; diff: string };
  const bindeps = opts.bindeps === true;
  if (!cargo.available) t.diagnostic(`cargo oracle skipped: ${cargo.reason}`);
  const judged = cargo.available && (!bindeps || cargo.nightly);
  if (cargo.available && !judged) t.diagnostic('this workspace needs nightly cargo (-Zbindeps) for the oracle: skipped');
  // Roots cargo itself cannot load (a broken fixture, a missing submodule) cannot be judged by it.
  const roots = report.roots.map((r) => path.join(written, r.manifest)).filter((m) => {
    if (!judged) return false;
    try {
      snapshot(m, { bindeps });
      return true;
    } catch (e) {
      t.diagnostic(`cargo cannot load ${path.relative(written, m)} even before the run: not judged (${(e as Error).message.split('\n')[1] ?? ''})`);
      return false;
    }
  });
  const before = roots.map((m) => snapshot(m, { bindeps }));
  const warningsBefore = roots.map((m) => fetchWarnings(m, { bindeps }));

  gitApply(patched, report.diff);
  const write = runCli([...args, '--write'], written);
  assert.equal(write.status, 0, `--write failed: ${write.stderr}`);
  assert.deepEqual(treeDifferences(readTree(written), readTree(patched)), [], 'git apply of the dry-run diff equals --write');

  const data = embeddedReleaseData();
  const allowed = { family: new Set(data.familyNames()), allowedReqs: writtenRequirements(report), featureChange: migratedFeatures(report, data), featureMapChange: migratedFeatureRefs };
  roots.forEach((m, i) => {
    const after: Snapshot = snapshot(m, { bindeps });
    assert.deepEqual(compareSnapshots(before[i]!, after, allowed), [], `cargo metadata of ${path.relative(written, m)}`);
    assert.deepEqual(fetchWarnings(m, { bindeps }), warningsBefore[i], `cargo warnings of ${path.relative(written, m)}`);
  });

  const again = runCli([...args, '--check'], written);
  assert.equal(again.status, 0, `second run still changes something:\n${again.stdout}`);
  assert.equal(again.stdout, '');
  fs.rmSync(base, { recursive: true, force: true });
  return { changedFiles: report.files.length };
}
