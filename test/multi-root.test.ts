/** Many roots in one run: deterministic output, all-or-nothing by default, --keep-going for the rest. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { fixturesDir } from './paths.js';
import { copyTree, readTree, runCli, tempDir, treeDifferences } from './helpers.js';

/** A folder of repositories: two that lift, one with invalid TOML in a member. */
function monorepo(): string {
  const dir = tempDir('multi-root');
  copyTree(path.join(fixturesDir, 'renamed-keys', 'input'), path.join(dir, 'alpha'));
  copyTree(path.join(fixturesDir, 'invalid-toml', 'input'), path.join(dir, 'broken'));
  copyTree(path.join(fixturesDir, 'default-features', 'input'), path.join(dir, 'gamma'));
  return dir;
}

test('an error in one root: exit 2, the error named, nothing written anywhere', () => {
  const dir = monorepo();
  const before = readTree(dir);
  for (const args of [[], ['--write'], ['--check'], ['--json']]) {
    const r = runCli(args, dir);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^error: broken\/b\/Cargo\.toml:7:54: invalid TOML: expected comma \(,\) token\n/m);
    assert.deepEqual(treeDifferences(readTree(dir), before), []);
  }
});

test('--keep-going plans and writes the other roots, reports every error, and still exits 2', () => {
  const dir = monorepo();
  const expected = readTree(dir);
  const dry = runCli(['--keep-going', '--json'], dir);
  assert.equal(dry.status, 2);
  const report = JSON.parse(dry.stdout) as { roots: { manifest: string }[]; errors: { file: string; line: number; column: number; message: string }[] };
  assert.deepEqual(report.roots.map((r) => r.manifest), ['alpha/Cargo.toml', 'gamma/Cargo.toml']);
  assert.deepEqual(report.errors, [{ level: 'error', file: 'broken/b/Cargo.toml', line: 7, column: 54, message: 'invalid TOML: expected comma (,) token' }]);

  const w = runCli(['--keep-going', '--write'], dir);
  assert.equal(w.status, 2);
  assert.match(w.stderr, /1 root was left out because of errors; the others were written \(--keep-going\)\n$/);
  const after = readTree(dir);
  const changed = treeDifferences(after, expected);
  assert.deepEqual(changed.filter((f) => f.startsWith('broken/')), [], 'the broken root is untouched');
  for (const [name, fixture] of [['alpha', 'renamed-keys'], ['gamma', 'default-features']]) {
    const want = readTree(path.join(fixturesDir, fixture!, 'output'));
    for (const [file, bytes] of want) assert.ok(after.get(`${name}/${file}`)?.equals(bytes), `${name}/${file} is the fixture's output`);
  }
});

test('the output of a multi-root run does not depend on the order of the paths', () => {
  const dir = monorepo();
  const a = runCli(['--keep-going', 'gamma', 'alpha', 'broken'], dir);
  const b = runCli(['--keep-going', 'broken', 'alpha', 'gamma'], dir);
  assert.equal(a.stdout, b.stdout);
  assert.equal(a.stderr, b.stderr);
  assert.match(a.stdout, /^diff --git a\/alpha\/Cargo\.toml/);
});
