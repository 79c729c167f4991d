/**
 * Real workspaces outside ../shared/corpus, fetched from public repositories as manifest-only copies (every
 * Cargo.toml and Cargo.lock, toolchain and cargo config files, empty stub targets; SOURCE.txt names the repository
 * and commit). They are not part of this repository: fetched files are never committed. Point
 * WASMTIME_ALIGN_REAL_WORKSPACES at such a folder (default: ../real-workspaces beside the checkout); without it
 * the test skips, visibly.
 *
 * Each workspace gets a bare run and an upgrade, both through checkWorkspaceRun (cargo oracle, `git apply` equals
 * `--write`, idempotence). The upgrade is `--to latest`. When a run stops with exit 2 (located errors), the way
 * out the first error names (`--to X`, `--exclude C`, `--apply-crate-migrations`) is taken, so the advice is
 * tested too; an upgrade then tries each older line down to the workspace's own. The outcome per repository is
 * printed as a table.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './paths.js';
import { copyTree, runCli, tempDir } from './helpers.js';
import { checkWorkspaceRun } from './workspace-check.js';
import { embeddedReleaseData } from '../src/family/release-data.js';

const dir = path.resolve(process.env['WASMTIME_ALIGN_REAL_WORKSPACES'] ?? path.join(repoRoot, '..', 'real-workspaces'));
const repos = fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => !n.startsWith('.') && fs.statSync(path.join(dir, n)).isDirectory()).sort() : [];
const outcomes = new Map<string, string>();

test('real workspaces are present', (t) => {
  if (repos.length === 0) t.skip(`no real workspaces at ${dir} (set WASMTIME_ALIGN_REAL_WORKSPACES)`);
});

for (const repo of repos) {
  const source = path.join(dir, repo);
  const commit = /^commit: (\w+)/m.exec(readOr(path.join(source, 'SOURCE.txt')))?.[1]?.slice(0, 12) ?? '?';
  test(`real ${repo}: bare run (or the way out its error names) keeps meaning, diff applies, second run is a no-op`, { timeout: 600_000 }, (t) => {
    outcomes.set(repo, `${commit}  bare: FAILED`);
    const { args, tried } = workingArgs(source, []);
    assert.ok(args !== undefined, `no way out works: ${tried.join(' -> ')}`);
    const r = checkWorkspaceRun(t, source, args);
    outcomes.set(repo, `${commit}  bare${args.length > 0 ? ` (${args.join(' ')})` : ''}: ${r.changedFiles} files`);
  });
  test(`real ${repo}: upgrade to the newest release that works`, { timeout: 600_000 }, (t) => {
    const bare = outcomes.get(repo) ?? '';
    const { args, tried } = workingArgs(source, ['--to', 'latest']);
    if (args === undefined) {
      // Every line down to the workspace's own was refused, each time with located errors: that is the outcome.
      outcomes.set(repo, `${bare}; upgrade: none (${tried[0]})`);
      t.diagnostic(`no newer line works: ${tried.join(' -> ')}`);
      return;
    }
    outcomes.set(repo, `${bare}; upgrade ${args.join(' ')}: FAILED`);
    const r = checkWorkspaceRun(t, source, args);
    outcomes.set(repo, `${bare}; ${args.join(' ')}: ${r.changedFiles} files`);
  });
}

after(() => {
  if (outcomes.size === 0) return;
  const width = Math.max(...[...outcomes.keys()].map((k) => k.length));
  process.stdout.write(`# real workspaces (${dir}):\n${[...outcomes].map(([k, v]) => `#   ${k.padEnd(width)}  ${v}`).join('\n')}\n`);
});

/**
 * The arguments of the first dry run that succeeds: `initial`, then what each error says to do (`--to X`,
 * `--exclude C`, `--apply-crate-migrations`, `--drop-unknown-features`); for an upgrade, then each older line down
 * to the one the workspace is on. Every refusal must be located cargo-style errors.
 */
function workingArgs(source: string, initial: readonly string[]): { args: string[] | undefined; tried: string[] } {
  const work = copyTree(source, path.join(tempDir('real-args'), 'w'));
  const tried: string[] = [];
  const attempt = (args: string[]): { ok: boolean; error: string } => {
    const r = runCli(args, work);
    if (r.status === 0) return { ok: true, error: '' };
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
    // Every error of the run, then (when there are several) the total; the first one's way out is tried next.
    const all = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
    const errors = all.length > 1 ? all.slice(0, -1) : all;
    if (all.length > 1) assert.match(all.at(-1)!, new RegExp(`^error: could not align \\d+ roots? due to ${errors.length} previous errors; nothing was written$`), r.stderr);
    for (const e of errors) assert.match(e, /^error: [^:]+:\d+:\d+: /, `${args.join(' ')}: every error names file, line and column\n${r.stderr}`);
    tried.push(`${args.join(' ') || '(bare)'}: ${errors[0]!.replace(/^error: /, '').slice(0, 140)}`);
    return { ok: false, error: errors[0]! };
  };
  const done = (args: string[] | undefined) => {
    fs.rmSync(path.dirname(work), { recursive: true, force: true });
    return { args, tried };
  };
  let args = [...initial];
  for (let i = 0; i < 5; i++) {
    const { ok, error } = attempt(args);
    if (ok) return done(args);
    const to = /\(--to (\S+)\)/.exec(error)?.[1];
    const exclude = /--exclude (\S+) leaves/.exec(error)?.[1];
    const toAt = args.indexOf('--to');
    if (to !== undefined && args[toAt + 1] !== to) args = toAt >= 0 ? args.map((a, j) => (j === toAt + 1 ? to : a)) : ['--to', to, ...args];
    else if (exclude !== undefined && !args.includes(exclude)) args = [...args, '--exclude', exclude];
    else if (/--apply-crate-migrations/.test(error) && !args.includes('--apply-crate-migrations')) args = [...args, '--apply-crate-migrations'];
    else if (/--drop-unknown-features/.test(error) && !args.includes('--drop-unknown-features')) args = [...args, '--drop-unknown-features'];
    else break;
  }
  if (!initial.includes('--to')) return done(undefined);
  // The newest line that works, from the newest release down to the line the workspace is on.
  const report = JSON.parse(runCli(['--json'], work).stdout || '{"roots":[]}') as { roots: { target: { release: string | null } | null }[] };
  const own = Math.max(0, ...report.roots.map((r) => Number(r.target?.release?.split('.')[0] ?? 0)));
  const latest = Number(embeddedReleaseData().resolveLine('wasmtime', 'latest')!.version.split('.')[0]);
  const flags = args.filter((a, j) => a.startsWith('--') && a !== '--to' && a !== '--exclude' && args[j - 1] !== '--exclude');
  for (let line = latest; line > own; line--) {
    const lineArgs = ['--to', String(line), ...flags];
    if (attempt(lineArgs).ok) return done(lineArgs);
  }
  return done(undefined);
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
