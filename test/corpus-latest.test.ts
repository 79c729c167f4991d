/**
 * `--to latest --apply-crate-migrations` on every real workspace of ../shared/corpus. Each run either succeeds
 * (then: the dry-run diff applies to give exactly the --write tree, a second run is a no-op, every root is at the
 * newest release, and every feature of every family dependency exists in the release it now asks for, as cargo
 * metadata reads the written manifests) or stops with exit 2 and one cargo-style `error: path:line:col: ...` line
 * that points at the entry, with nothing written. The outcome per repo is printed as a table.
 */
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { embeddedReleaseData } from '../src/family/release-data.js';
import { cliPath, corpusDir } from './paths.js';
import { copyTree, gitApply, readTree, tempDir, treeDifferences, writtenRequirements } from './helpers.js';
import { cargoStatus, snapshot } from './oracle.js';

const ARGS = ['--to', 'latest', '--apply-crate-migrations'] as const;
const FAMILY: ReadonlySet<string> = new Set(embeddedReleaseData().familyNames());
const data = embeddedReleaseData();
const latest = data.resolveLine('wasmtime', 'latest')?.version;
const cargo = cargoStatus();
const repos = fs.existsSync(corpusDir) ? fs.readdirSync(corpusDir).filter((n) => fs.statSync(path.join(corpusDir, n)).isDirectory()).sort() : [];

/** An empty release-data cache of our own: neither the user's cache nor another test's refresh can leak in. */
const cacheHome = tempDir('corpus-latest-cache');
after(() => fs.rmSync(cacheHome, { recursive: true, force: true }));

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The built CLI, bounded by a timeout (a hang fails the test instead of the suite). */
function cli(args: readonly string[], cwd: string): Run {
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, WASMTIME_ALIGN_DEBUG: undefined, XDG_CACHE_HOME: cacheHome, WASMTIME_ALIGN_TODAY: '2026-12-10' },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
  if (r.error) throw new Error(`wasmtime-align ${args.join(' ')} in ${cwd}: ${r.error.message}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Report {
  roots: { manifest: string; target: { version: string; requirement: string; release: string | null } | null; migrations?: unknown[] }[];
  files: { path: string; edits: { after: unknown }[] }[];
  errors: { level: string; file?: string; line?: number; column?: number; message: string }[];
  diff: string;
}

/** repo -> outcome, in test order; printed by the last test. */
const outcomes = new Map<string, string>();

test('the corpus is present', (t) => {
  if (repos.length === 0) t.skip(`no corpus at ${corpusDir}`);
  else assert.ok(repos.length >= 20, `${repos.length} repos`);
  assert.ok(latest, 'the release data knows a latest wasmtime');
});

for (const repo of repos) {
  test(`corpus ${repo}: --to latest --apply-crate-migrations succeeds or stops with located errors`, { timeout: 120_000 }, (t) => {
    outcomes.set(repo, 'FAILED (see the test)');
    const base = tempDir('corpus-latest'); // kept when the test fails, for a look
    const src = path.join(corpusDir, repo);
    const written = copyTree(src, path.join(base, 'written'));
    const dry = cli([...ARGS, '--json'], written);
    assert.ok(dry.status === 0 || dry.status === 2, `exit ${dry.status}:\n${dry.stderr}`);
    const report = JSON.parse(dry.stdout) as Report;
    if (dry.status === 2) {
      const first = checkError(written, dry, report);
      // --write stops the same way, and nothing is written.
      const write = cli([...ARGS, '--write'], written);
      assert.equal(write.status, 2, write.stderr);
      assert.equal(write.stderr, dry.stderr, '--write stops with the same error');
      assert.equal(write.stdout, '');
      assert.deepEqual(treeDifferences(readTree(src), readTree(written)), [], 'nothing written');
      outcomes.set(repo, `exit 2: ${first}`);
      t.diagnostic(`exit 2: ${first}`);
    } else {
      const line = checkSuccess(t, repo, base, written, report);
      outcomes.set(repo, line);
      t.diagnostic(line);
    }
    fs.rmSync(base, { recursive: true, force: true });
  });
}

test('corpus --to latest: outcome table', (t) => {
  if (outcomes.size === 0) return t.skip('no corpus');
  const width = Math.max(...[...outcomes.keys()].map((r) => r.length));
  t.diagnostic(`--to latest (${latest}) --apply-crate-migrations, per repo:`);
  for (const [repo, outcome] of outcomes) t.diagnostic(`${repo.padEnd(width)}  ${outcome}`);
  const ok = [...outcomes.values()].filter((o) => !o.startsWith('exit 2') && !o.startsWith('FAILED')).length;
  const stopped = [...outcomes.values()].filter((o) => o.startsWith('exit 2')).length;
  t.diagnostic(`${ok} aligned or unchanged, ${stopped} stopped with exit 2, ${outcomes.size - ok - stopped} failed`);
});

/**
 * Exit 2: one `error: path:line:col: message` line per error (every one of the run, then the total when there are
 * several), no stack trace, the same errors in the JSON report, each pointing at its entry.
 */
function checkError(dir: string, r: Run, report: Report): string {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  const all = lines.filter((l) => l.startsWith('error: '));
  assert.deepEqual(lines.filter((l) => !l.startsWith('error: ') && !l.startsWith('warning: ')), [], `nothing but the errors (and warnings):\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(r.stderr, /internal error/, 'not a bug report');
  const errors = all.length > 1 ? all.slice(0, -1) : all;
  if (all.length > 1) assert.match(all.at(-1)!, new RegExp(`^error: could not align \\d+ roots? due to ${errors.length} previous errors; nothing was written$`));
  assert.equal(report.errors.length, errors.length, 'every error in the JSON report');
  assert.deepEqual([report.roots, report.files, report.diff], [[], [], '']);
  errors.forEach((line, i) => {
    const m = /^error: ([^:\s][^:]*):(\d+):(\d+): (.+)$/.exec(line);
    assert.ok(m, `error: path:line:col: message, got: ${line}`);
    const [, file, lineNo, col, message] = m as unknown as [string, string, string, string, string];
    assert.deepEqual(report.errors[i], { level: 'error', file, line: Number(lineNo), column: Number(col), message });
    // The location is the entry the message is about.
    const text = fs.readFileSync(path.join(dir, file), 'utf8').split(/\r?\n/);
    const at = text[Number(lineNo) - 1]?.slice(Number(col) - 1) ?? '';
    const key = /^`([^`]+)`/.exec(message)?.[1];
    if (key !== undefined) assert.ok(at.replace(/^["']/, '').startsWith(key), `${file}:${lineNo}:${col} is \`${key}\`: ${JSON.stringify(at)}`);
    else assert.notEqual(at.trim(), '', `${file}:${lineNo}:${col} points at text`);
  });
  return `${errors[0]!.slice('error: '.length)}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`;
}

/** Exit 0: the diff applies to give --write, a second run is a no-op, and every family feature exists at the target. */
function checkSuccess(t: TestContext, repo: string, base: string, written: string, report: Report): string {
  const targets = report.roots.flatMap((r) => (r.target ? [r.target] : []));
  for (const target of targets) {
    assert.equal(target.version, latest, `every aligned root is at the latest release`);
    assert.equal(target.release, latest);
  }
  const patched = copyTree(path.join(corpusDir, repo), path.join(base, 'patched'));
  gitApply(patched, report.diff);
  const write = cli([...ARGS, '--write'], written);
  assert.equal(write.status, 0, `--write failed: ${write.stderr}`);
  assert.deepEqual(treeDifferences(readTree(written), readTree(patched)), [], 'git apply of the dry-run diff equals --write');
  assert.deepEqual(
    treeDifferences(readTree(path.join(corpusDir, repo)), readTree(written)),
    report.files.map((f) => f.path).sort(),
    '--write changes exactly the files the report names',
  );

  const again = cli([...ARGS, '--check'], written);
  assert.equal(again.status, 0, `second run still changes something:\n${again.stdout}${again.stderr}`);
  assert.equal(again.stdout, '');

  let features = 'feature check skipped';
  if (!cargo.available) t.diagnostic(`cargo oracle skipped: ${cargo.reason}`);
  else if (repo === 'enarx+enarx' && !cargo.nightly) t.diagnostic('enarx needs nightly cargo (-Zbindeps) for the oracle: skipped');
  else features = checkFeatures(repo, written, report);

  const migrations = report.roots.reduce((n, r) => n + (r.migrations?.length ?? 0), 0);
  const changed = report.files.length;
  if (targets.length === 0) return 'no change (no registry dependency on the family)';
  const what = changed === 0 ? `no change (already at ${latest})` : `${changed} file${changed === 1 ? '' : 's'} changed (${report.files.map((f) => f.path).join(', ')})`;
  return `${what}${migrations ? `, ${migrations} crate migrations` : ''}; ${features}`;
}

/**
 * cargo metadata of each aligned root after the write: every family dependency at a requirement the run wrote
 * enables only features its release has (`default` always counts).
 */
function checkFeatures(repo: string, written: string, report: Report): string {
  const reqs = writtenRequirements(report);
  const bindeps = repo === 'enarx+enarx';
  const problems: string[] = [];
  let deps = 0;
  let feats = 0;
  for (const root of report.roots) {
    const release = root.target?.release;
    if (!release) continue;
    const snap = snapshot(path.join(written, root.manifest), { bindeps });
    for (const [member, list] of snap.deps) {
      for (const d of list) {
        if (!FAMILY.has(d.name) || !reqs.has(d.req)) continue;
        deps++;
        const version = data.versionAt(d.name, release);
        const rel = version === undefined ? undefined : data.release(d.name, version);
        if (rel === undefined) {
          problems.push(`${root.manifest} ${member}: ${d.name} ${d.req}: no release of ${d.name} for wasmtime ${release}`);
          continue;
        }
        for (const f of d.features) {
          feats++;
          if (f !== 'default' && !rel.features.has(f)) problems.push(`${root.manifest} ${member}: ${d.name} ${rel.version} has no feature \`${f}\``);
        }
        // The member's own [features] that enable a feature of this dependency: `key/feat` and `key?/feat`.
        const key = d.rename ?? d.name;
        for (const [own, list] of Object.entries(snap.featuresMaps.get(member) ?? {})) {
          for (const item of list) {
            const m = /^([^/?]+)\??\/(.+)$/.exec(item);
            if (m === null || m[1] !== key) continue;
            feats++;
            if (m[2] !== 'default' && !rel.features.has(m[2]!)) problems.push(`${root.manifest} ${member}: [features] ${own} = "${item}": ${d.name} ${rel.version} has no feature \`${m[2]}\``);
          }
        }
      }
    }
  }
  assert.deepEqual(problems, [], 'every family feature exists in the chosen release');
  if (report.roots.some((r) => r.target?.release)) assert.ok(deps > 0, 'the aligned roots have family dependencies at the written requirement');
  // A release after the snapshot has no feature list: its features are those of the newest release with one (48.0.0).
  const derived = data.release('wasmtime', latest!)?.source === 'derived' ? ` (${latest} has no feature list offline: the lists it carries from the newest release with one)` : '';
  return `${deps} family deps / ${feats} features checked against the release data${derived}`;
}
