/** The bundled example behind `npm run demo`: it must change, keep its meaning, and settle after one write. */
import { embeddedReleaseData } from '../src/family/release-data.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { repoRoot } from './paths.js';
import { copyTree, gitApply, readTree, runCli, tempDir, treeDifferences } from './helpers.js';
import { cargoStatus, compareSnapshots, snapshot } from './oracle.js';

test('examples/mixed-workspace: the demo diff applies, keeps meaning, and a second run changes nothing', (t) => {
  const base = tempDir('example');
  const written = copyTree(path.join(repoRoot, 'examples', 'mixed-workspace'), path.join(base, 'written'));
  const patched = copyTree(written, path.join(base, 'patched'));
  const dry = runCli([], written);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stderr, /wasmtime family at 26\.0\.1 \(newest requested\)\n {2}lifted into \[workspace\.dependencies\]: wasmtime, wasmtime-wasi, wasmtime-wasi-http/);
  const cargo = cargoStatus();
  const before = cargo.available ? snapshot(path.join(written, 'Cargo.toml')) : undefined;
  assert.equal(runCli(['--write'], written).status, 0);
  gitApply(patched, dry.stdout);
  assert.deepEqual(treeDifferences(readTree(written), readTree(patched)), []);
  if (before) {
    const after = snapshot(path.join(written, 'Cargo.toml'));
    assert.deepEqual(compareSnapshots(before, after, { family: new Set(embeddedReleaseData().familyNames()), allowedReqs: new Set(['^26.0.1']) }), []);
  } else t.diagnostic(`cargo oracle skipped: ${cargo.reason}`);
  assert.equal(runCli(['--check'], written).status, 0);
});
