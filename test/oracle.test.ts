/** Proves the cargo oracle itself: equivalent trees compare equal, known meaning changes are caught. */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cargoStatus, compareSnapshots, fetchWarnings, snapshot, type AllowedChange } from './oracle.js';
import { corpusDir } from './paths.js';
import { writeTree as writeFiles } from './helpers.js';

/** Writes the files (with src/lib.rs stubs) and returns the root manifest's path. */
const writeTree = (dir: string, files: Record<string, string>): string => path.join(writeFiles(dir, files), 'Cargo.toml');

/** Skips visibly when cargo is missing; returns false so the test body can bail out. */
function needCargo(t: TestContext, nightly = false): boolean {
  const s = cargoStatus();
  if (!s.available) { t.skip(`cargo not found: ${s.reason}`); return false; }
  if (nightly && !s.nightly) { t.skip('nightly toolchain not installed (needed for -Zbindeps)'); return false; }
  return true;
}

function tmpDir(t: TestContext): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'oracle-test-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}


const pkg = (name: string, version = '0.1.0') => `[package]\nname = "${name}"\nversion = "${version}"\nedition = "2021"\n`;

const ROOT = `[workspace]\nmembers = ["crates/a", "crates/b", "crates/util"]\nresolver = "2"\n`;
const UTIL = pkg('util', '0.3.0');

/** Explicit dependencies in every member (the "before" of a lift). */
function explicitTree(wasmtime = '25.0.1'): Record<string, string> {
  return {
    'Cargo.toml': ROOT,
    'crates/util/Cargo.toml': UTIL,
    'crates/a/Cargo.toml': `${pkg('a')}
[dependencies]
serde = { version = "1.0.100", default-features = false, features = ["derive"] }
tok = { package = "tokio", version = "1", optional = true, features = ["rt"] }
util = { path = "../util", version = "0.3" }
wasmtime = "${wasmtime}"

[target.'cfg(unix)'.dev-dependencies]
libc = "0.2"
`,
    'crates/b/Cargo.toml': `${pkg('b')}
[dependencies]
serde = { version = "1.0.100", features = ["rc"] }
wasmtime = { version = "${wasmtime}", features = ["async"] }
`,
  };
}

/** The same meaning via [workspace.dependencies] (rules §2 lifting recipe, §6 rename key, §9 root-relative path). */
function inheritedTree(opts: { wasmtime?: string; bDefaultTrue?: boolean } = {}): Record<string, string> {
  const { wasmtime = '25.0.1', bDefaultTrue = true } = opts;
  return {
    'Cargo.toml': `${ROOT}
[workspace.dependencies]
serde = { version = "1.0.100", default-features = false }
tok = { package = "tokio", version = "1" }
util = { path = "crates/util", version = "0.3" }
wasmtime = "${wasmtime}"
libc = "0.2"
`,
    'crates/util/Cargo.toml': UTIL,
    'crates/a/Cargo.toml': `${pkg('a')}
[dependencies]
serde = { workspace = true, features = ["derive"] }
tok = { workspace = true, optional = true, features = ["rt"] }
util.workspace = true
wasmtime.workspace = true

[target.'cfg(unix)'.dev-dependencies]
libc = { workspace = true }
`,
    'crates/b/Cargo.toml': `${pkg('b')}
[dependencies]
serde = { workspace = true,${bDefaultTrue ? ' default-features = true,' : ''} features = ["rc"] }
wasmtime = { workspace = true, features = ["async"] }
`,
  };
}

const FAMILY: ReadonlySet<string> = new Set(['wasmtime', 'wasmtime-wasi', 'wasmtime-wasi-nn']);
const allow = (...reqs: string[]): AllowedChange => ({ family: FAMILY, allowedReqs: new Set(reqs) });

test('explicit deps and their inherited form are equivalent', (t) => {
  if (!needCargo(t)) return;
  const before = snapshot(writeTree(tmpDir(t), explicitTree()));
  const after = snapshot(writeTree(tmpDir(t), inheritedTree()));
  assert.deepEqual(after.members, ['crates/a/Cargo.toml', 'crates/b/Cargo.toml', 'crates/util/Cargo.toml']);
  const a = after.deps.get('crates/a/Cargo.toml') ?? [];
  assert.equal(a.find((d) => d.name === 'util')?.path, 'crates/util', 'path made root-relative');
  assert.equal(a.find((d) => d.name === 'tokio')?.rename, 'tok');
  assert.equal(a.find((d) => d.name === 'libc')?.target, 'cfg(unix)');
  assert.deepEqual(after.featuresMaps.get('crates/a/Cargo.toml'), { tok: ['dep:tok'] }, 'implicit feature of the optional dep');
  assert.deepEqual(compareSnapshots(before, after), []);
});

test('dropping default-features = true from a member that used defaults is caught', (t) => {
  if (!needCargo(t)) return;
  const before = snapshot(writeTree(tmpDir(t), explicitTree()));
  const mutant = snapshot(writeTree(tmpDir(t), inheritedTree({ bDefaultTrue: false })));
  const diff = compareSnapshots(before, mutant);
  assert.deepEqual(diff, ['crates/b/Cargo.toml: serde (normal): uses_default_features true -> false']);
});

test('family requirement changes are allowed only to an allowed requirement', (t) => {
  if (!needCargo(t)) return;
  const before = snapshot(writeTree(tmpDir(t), explicitTree('25.0.1')));
  const caret = snapshot(writeTree(tmpDir(t), inheritedTree({ wasmtime: '26.0.1' })));
  const exact = snapshot(writeTree(tmpDir(t), inheritedTree({ wasmtime: '=26.0.1' })));
  assert.deepEqual(compareSnapshots(before, caret, allow('^26.0.1')), []);
  assert.deepEqual(compareSnapshots(before, caret, allow('26.0.1')), [], 'bare version read as caret, like cargo');
  const noAllow = compareSnapshots(before, caret);
  assert.equal(noAllow.length, 2, noAllow.join('\n'));
  assert.ok(noAllow.every((l) => l.includes('req ^25.0.1 -> ^26.0.1')), noAllow.join('\n'));
  const wrong = compareSnapshots(before, exact, allow('^26.0.1'));
  assert.deepEqual(wrong, [
    'crates/a/Cargo.toml: wasmtime (normal): req ^25.0.1 -> =26.0.1 (not in allowed {^26.0.1})',
    'crates/b/Cargo.toml: wasmtime (normal): req ^25.0.1 -> =26.0.1 (not in allowed {^26.0.1})',
  ]);
  // unchanged family reqs are fine; a non-family req change is never allowed
  assert.deepEqual(compareSnapshots(before, before, allow('^26.0.1')), []);
  const serdeFiles = explicitTree('26.0.1');
  serdeFiles['crates/b/Cargo.toml'] = serdeFiles['crates/b/Cargo.toml']!.replace('1.0.100', '1.0.101');
  const serde = compareSnapshots(before, snapshot(writeTree(tmpDir(t), serdeFiles)), allow('^26.0.1'));
  assert.deepEqual(serde, ['crates/b/Cargo.toml: serde (normal): req ^1.0.100 -> ^1.0.101']);
});

test('fetchWarnings reports per-manifest warnings root-relative', (t) => {
  if (!needCargo(t)) return;
  assert.deepEqual(fetchWarnings(writeTree(tmpDir(t), inheritedTree())), []);
  const files = inheritedTree();
  files['crates/a/Cargo.toml'] = files['crates/a/Cargo.toml']!.replace('serde = { workspace = true,', 'serde = { workspace = true, version = "1.0",');
  assert.deepEqual(fetchWarnings(writeTree(tmpDir(t), files)), [
    'warning: crates/a/Cargo.toml: unused manifest key: dependencies.serde.version',
  ]);
  // a workspace that does not load must not look warning-free
  const broken = inheritedTree();
  broken['crates/b/Cargo.toml'] = broken['crates/b/Cargo.toml']!.replace('wasmtime = {', 'nothere = {');
  assert.throws(() => fetchWarnings(writeTree(tmpDir(t), broken)), /nothere/);
});

/** Copies a corpus repo (read-only input) to a fresh temp dir. */
function copyCorpus(t: TestContext, repo: string): string {
  const dst = path.join(tmpDir(t), repo);
  fs.cpSync(path.join(corpusDir, repo), dst, { recursive: true });
  return path.join(dst, 'Cargo.toml');
}

for (const repo of ['lunatic-solutions+lunatic', 'spinframework+spin']) {
  test(`two copies of corpus ${repo} snapshot equal`, (t) => {
    if (!needCargo(t)) return;
    const m1 = copyCorpus(t, repo);
    const m2 = copyCorpus(t, repo);
    const t0 = performance.now();
    const s1 = snapshot(m1);
    const ms = performance.now() - t0;
    const s2 = snapshot(m2);
    t.diagnostic(`${repo}: ${s1.members.length} members, snapshot ${ms.toFixed(0)} ms`);
    assert.notEqual(s1.root, s2.root);
    assert.ok(s1.members.length > 1);
    assert.deepEqual(compareSnapshots(s1, s2), []);
    const t1 = performance.now();
    const w = fetchWarnings(m1);
    t.diagnostic(`${repo}: fetchWarnings ${(performance.now() - t1).toFixed(0)} ms, ${w.length} warnings`);
    assert.deepEqual(fetchWarnings(m2), w);
  });
}

test('enarx: stable rejects artifact deps, nightly -Zbindeps snapshots', (t) => {
  if (!needCargo(t, true)) return;
  const m = copyCorpus(t, 'enarx+enarx');
  assert.throws(() => snapshot(m), /-Z bindeps/);
  const s = snapshot(m, { bindeps: true });
  const artifacts = [...s.deps.values()].flat().filter((d) => d.extra?.includes('artifact'));
  assert.ok(artifacts.length > 0, 'artifact field kept in the tuple');
  assert.deepEqual(compareSnapshots(s, snapshot(copyCorpus(t, 'enarx+enarx'), { bindeps: true })), []);
});
