/**
 * Byte-exact fixture tests. Each `__fixtures__/<case>/` holds:
 *   input/    the tree the tool runs on (cwd = that tree)
 *   args      the command line (optional; whitespace-separated)
 *   stdout    the exact dry-run stdout (the diff)
 *   stderr    the exact dry-run stderr (the summary or the error)
 *   status    the dry-run exit status when not 0
 *   output/   the exact tree after --write (absent when the run is an error: then nothing may change)
 * Every case is also checked for: git apply of the diff == --write, a second run changing nothing, and the
 * cargo oracle (meaning kept) unless the case has a `no-oracle` file saying why.
 * UPDATE_FIXTURES=1 rewrites the expectations from the actual results (review them before committing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixturesDir } from './paths.js';
import { copyTree, gitApply, migratedFeatureRefs, migratedFeatures, readTree, runCli, tempDir, treeDifferences, writtenRequirements } from './helpers.js';
import { embeddedReleaseData } from '../src/family/release-data.js';
import { cargoStatus, compareSnapshots, snapshot } from './oracle.js';

const update = process.env.UPDATE_FIXTURES === '1';
const cargo = cargoStatus();
const cases = fs.readdirSync(fixturesDir).filter((n) => fs.existsSync(path.join(fixturesDir, n, 'input'))).sort();

for (const name of cases) {
  test(`fixture ${name}`, (t) => {
    const dir = path.join(fixturesDir, name);
    const read = (f: string): string | undefined => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : undefined);
    const args = (read('args') ?? '').split(/\s+/).filter(Boolean);
    const base = tempDir(`fixture-${name}`);
    const work = copyTree(path.join(dir, 'input'), path.join(base, 'work'));
    const inputTree = readTree(work);

    const dry = runCli(args, work);
    const writeArgs = [...args.filter((a) => a !== '--check'), '--write'];
    const write = runCli(writeArgs, work);
    if (update) {
      fs.writeFileSync(path.join(dir, 'stdout'), dry.stdout);
      fs.writeFileSync(path.join(dir, 'stderr'), dry.stderr);
      if (dry.status !== 0) fs.writeFileSync(path.join(dir, 'status'), `${dry.status}\n`);
      else fs.rmSync(path.join(dir, 'status'), { force: true });
      fs.rmSync(path.join(dir, 'output'), { recursive: true, force: true });
      if (write.status === 0) copyTree(work, path.join(dir, 'output'));
    }
    assert.equal(dry.stdout, read('stdout') ?? '', 'dry-run stdout');
    assert.equal(dry.stderr, read('stderr') ?? '', 'dry-run stderr');
    const status = Number(read('status') ?? '0');
    assert.equal(dry.status, status, 'dry-run exit status');

    if (status === 2) {
      assert.equal(write.status, 2, '--write exit status');
      assert.deepEqual(treeDifferences(readTree(work), inputTree), [], 'an error writes nothing');
      return;
    }
    assert.equal(write.status, 0, `--write: ${write.stderr}`);
    const expected = readTree(path.join(dir, 'output'));
    assert.deepEqual(treeDifferences(readTree(work), expected), [], '--write result equals output/');

    const patched = copyTree(path.join(dir, 'input'), path.join(base, 'patched'));
    gitApply(patched, dry.stdout);
    assert.deepEqual(treeDifferences(readTree(patched), expected), [], 'git apply of the dry-run diff equals output/');

    const again = runCli([...writeArgs.filter((a) => a !== '--write'), '--check'], work);
    assert.equal(again.status, 0, `a second run changes something:\n${again.stdout}`);
    assert.equal(again.stdout, '');

    const why = read('no-oracle');
    if (!cargo.available) t.diagnostic(`cargo oracle skipped: ${cargo.reason}`);
    else if (why !== undefined) {
      // Meaning changes by design here; cargo must still accept what was written.
      t.diagnostic(`cargo oracle not applicable: ${why.trim()}`);
      checkCargoAccepts(path.join(dir, 'output'), base);
    } else checkOracle(path.join(dir, 'input'), path.join(dir, 'output'), args, base);
  });
}

/** cargo metadata of input/ and output/ (with empty src/lib.rs stubs, as cargo needs a target) must agree. */
function checkOracle(input: string, output: string, args: string[], base: string): void {
  const before = stubbed(input, path.join(base, 'oracle-before'));
  const after = stubbed(output, path.join(base, 'oracle-after'));
  const report = JSON.parse(runCli([...args, '--json'], before).stdout) as { roots: { manifest: string; target: { requirement: string; release: string | null } | null }[]; files: { edits: { after: unknown }[] }[] };
  const allowedReqs = writtenRequirements(report);
  const featureChange = migratedFeatures(report as Parameters<typeof migratedFeatures>[0], embeddedReleaseData());
  for (const root of report.roots) {
    const diffs = compareSnapshots(snapshot(path.join(before, root.manifest)), snapshot(path.join(after, root.manifest)), {
      family: new Set(embeddedReleaseData().familyNames()),
      allowedReqs,
      featureChange,
      featureMapChange: migratedFeatureRefs,
    });
    assert.deepEqual(diffs, [], `cargo metadata of ${root.manifest}`);
  }
}

/** cargo metadata loads every root of output/ (the manifests it writes are ones cargo reads). */
function checkCargoAccepts(output: string, base: string): void {
  const after = stubbed(output, path.join(base, 'cargo-accepts'));
  const report = JSON.parse(runCli(['--json'], after).stdout) as { roots: { manifest: string }[] };
  for (const root of report.roots) assert.doesNotThrow(() => snapshot(path.join(after, root.manifest)), `cargo rejects ${root.manifest}`);
}

function stubbed(from: string, to: string): string {
  copyTree(from, to);
  for (const file of readTree(to).keys()) {
    if (path.basename(file) !== 'Cargo.toml') continue;
    const text = fs.readFileSync(path.join(to, file), 'utf8');
    if (!/^\s*\[package\]/m.test(text)) continue;
    const lib = path.join(to, path.dirname(file), 'src', 'lib.rs');
    fs.mkdirSync(path.dirname(lib), { recursive: true });
    if (!fs.existsSync(lib)) fs.writeFileSync(lib, '');
  }
  return to;
}
