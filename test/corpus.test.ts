/**
 * The cargo oracle on every real workspace of ../shared/corpus: a bare run and an upgrade run are each
 * checked for meaning (cargo metadata before vs after), for `git apply` of the dry-run diff giving exactly
 * the --write result, and for idempotence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { corpusDir } from './paths.js';
import { copyTree, runCli, tempDir } from './helpers.js';
import { checkWorkspaceRun, type RootReport } from './workspace-check.js';

/** Files a bare run changes, per repo (reviewed by hand): aligned repos and path-only repos change nothing. */
const BARE_RUN_CHANGES: Record<string, number> = {
  'LiquidAI-project+wasi-nn-test': 0,
  'adambratschikaye+image-classification-wasmtime-bench': 0,
  'bytecodealliance+preview2-prototyping': 0,
  'bytecodealliance+wasmtime': 0,
  'bytecodealliance+wasmtime-rb': 2,
  'containerd+runwasi': 0,
  'deislabs+wasi-nn-onnx': 2,
  'enarx+enarx': 0,
  'extism+extism': 2,
  // cranelift-entity ^0.123 next to wasmtime 39 (which uses 0.126): the lock holds both; it is aligned.
  'fastly+Viceroy': 1,
  'golemcloud+golem': 0,
  'kajacx+wasm-bridge': 0,
  'kawamuray+wasmtime-java': 0,
  'krustlet+krustlet': 2,
  'kubewarden+policy-evaluator': 0,
  'lapce+lapce': 2,
  'lunatic-solutions+lunatic': 0,
  'spinframework+spin': 0,
  'vmware-labs+wasm-workers-server': 0,
  'wasmCloud+wasmCloud': 0,
};

const repos = fs.existsSync(corpusDir) ? fs.readdirSync(corpusDir).filter((n) => fs.statSync(path.join(corpusDir, n)).isDirectory()).sort() : [];

test('the corpus is present', (t) => {
  if (repos.length === 0) t.skip(`no corpus at ${corpusDir}`);
  else assert.deepEqual(repos, Object.keys(BARE_RUN_CHANGES).sort());
});

for (const repo of repos) {
  test(`corpus ${repo}: bare run keeps meaning, diff applies, second run is a no-op`, (t) => {
    const r = checkRun(t, repo, []);
    assert.equal(r.changedFiles, BARE_RUN_CHANGES[repo], `files changed in ${repo}`);
  });
  test(`corpus ${repo}: upgrade to the next release keeps meaning`, (t) => {
    const next = nextRelease(repo);
    if (next === undefined) t.skip('no registry dependency on the family: nothing to upgrade');
    else checkRun(t, repo, ['--to', next]);
  });
}

/** The next line after the newest requested in the repo (26 -> `27`, 0.30 -> `0.31`), or undefined without one. */
function nextRelease(repo: string): string | undefined {
  const dir = copyTree(path.join(corpusDir, repo), path.join(tempDir('probe'), repo));
  const report = JSON.parse(runCli(['--json'], dir).stdout) as { roots: RootReport[] };
  const versions = report.roots.flatMap((r) => (r.target?.release ? [r.target.release] : []));
  if (versions.length === 0) return undefined;
  const [major, minor] = versions.sort((a, b) => (semverCompare(a, b)))[versions.length - 1]!.split('.').map(Number) as [number, number];
  return major === 0 ? `0.${minor + 1}` : `${major + 1}`;
}

function semverCompare(a: string, b: string): number {
  const pa = a.split(/[.-]/).map(Number);
  const pb = b.split(/[.-]/).map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  return 0;
}

function checkRun(t: { diagnostic(m: string): void }, repo: string, args: string[]): { changedFiles: number } {
  return checkWorkspaceRun(t, path.join(corpusDir, repo), args, { bindeps: repo === 'enarx+enarx' });
}
