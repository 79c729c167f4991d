/**
 * The jscodeshift transform (dist/transforms/wasmtime-align.js) under jscodeshift's own CLI, as docs/jscodeshift.md shows
 * it: every fixture whose run succeeds is copied, rewritten by jscodeshift (in-band, and with forked workers),
 * and must equal the fixture's output/ byte for byte, with exit status 0.
 *
 * jscodeshift 17 is a devDependency; without it every test here is skipped (visibly).
 *
 * Things these tests pin down (see the top of transforms/wasmtime-align.ts):
 * - `--no-babel` is needed: the transform and the tool are ES modules, which jscodeshift loads through
 *   require(esm) (Node >= 20.19); its babel mode compiles them to CommonJS, which breaks the load.
 * - Unknown flags reach the transform the way jscodeshift parses them: `--to=37` is the number 37, `--no-lift`
 *   is `lift: false`, and a bare flag followed by a path takes that path as its value (so the fixture's
 *   `--flag` is passed as `--flag=true`).
 * - With more than one worker, a worker may plan a workspace after another has rewritten some of its manifests;
 *   the transform refuses to run there (checked with a faked CPU count), so one worker or --run-in-band it is.
 * - jscodeshift walks into target/, node_modules/ and symlinked directories; the transform skips manifests below
 *   target/, .git/ and node_modules/ under the current directory, as the CLI's scan does.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fixturesDir, repoRoot, sharedDir } from './paths.js';
import { copyTree, readTree, runCli, tempDir as helperTempDir, treeDifferences } from './helpers.js';

/** Temp dirs of this file, removed when it is done. */
const made: string[] = [];
const tempDir = (prefix: string): string => {
  const dir = helperTempDir(prefix);
  made.push(dir);
  return dir;
};
after(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

const bin = path.join(repoRoot, 'node_modules', 'jscodeshift', 'bin', 'jscodeshift.js');
const transformPath = path.join(repoRoot, 'dist', 'transforms', 'wasmtime-align.js');
const skip = fs.existsSync(bin) ? false : 'jscodeshift is not installed (npm install --save-dev jscodeshift@17)';

/** Every jscodeshift run of this file gets this empty release-data cache, so the user's cache never leaks in. */
const cacheHome = tempDir('jscodeshift-cache');

/** Makes os.cpus() report FAKE_CPUS CPUs (in jscodeshift and, through execArgv, in its forked workers). */
const fakeCpus = path.join(tempDir('jscodeshift-preload'), 'fake-cpus.cjs');
fs.writeFileSync(
  fakeCpus,
  `const os = require('node:os');\nconst n = Number(process.env.FAKE_CPUS);\nconst real = os.cpus();\nos.cpus = () => Array.from({ length: n }, (_, i) => real[i % real.length]);\n`,
);

/** The options every run here uses: docs/jscodeshift.md's command line, without the mode and the target. */
const BASE = ['--no-babel', '--extensions=toml', '--ignore-pattern=target/', '--fail-on-error'];

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs jscodeshift asynchronously (so that fixture runs can overlap), with a hard timeout. */
function jscodeshift(args: readonly string[], opts: { fakeCpus?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Run> {
  const preload = opts.fakeCpus === undefined ? [] : ['--require', fakeCpus];
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [...preload, bin, '-t', transformPath, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: {
      ...process.env,
      NO_COLOR: '1',
      FORCE_COLOR: undefined,
      XDG_CACHE_HOME: cacheHome,
      FAKE_CPUS: opts.fakeCpus === undefined ? undefined : String(opts.fakeCpus),
      ...opts.env,
    },
    timeout: 120_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = Number((process.hrtime.bigint() - start) / 1_000_000n);
      resolve({ status: code ?? -1, stdout, stderr: signal ? `${stderr}\n(killed by ${signal})` : stderr, ms });
    });
  });
}

/** The CLI options the transform reads (see TransformOptions); a fixture with any other argument is not run here. */
const VALUED = new Set(['--to', '--index-url']);
const FLAGS = new Set(['--exact', '--no-lift', '--all-keys', '--drop-unknown-features', '--apply-crate-migrations', '--bump-rust-version', '--allow-unknown-version', '--allow-yanked']);

/**
 * The fixture's CLI arguments as jscodeshift flags: `--to X` → `--to=X`, `--flag` → `--flag=true`,
 * `--no-x` → `--x=false`; undefined when an argument has no jscodeshift equivalent.
 */
function jscodeshiftFlags(args: readonly string[]): string[] | undefined {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (VALUED.has(a) && args[i + 1] !== undefined) out.push(`${a}=${args[++i]}`);
    else if (a === '--no-lift') out.push('--lift=false');
    else if (FLAGS.has(a)) out.push(`${a}=true`);
    else return undefined;
  }
  return out;
}

/** jscodeshift's summary: `Results:` then `N errors`, `N unmodified`, `N skipped`, `N ok`. */
function results(run: Run): { errors: number; unmodified: number; skipped: number; ok: number } {
  const n = (word: string): number => Number(new RegExp(`^(\\d+) ${word}\\s*$`, 'm').exec(run.stdout)?.[1] ?? NaN);
  return { errors: n('errors'), unmodified: n('unmodified'), skipped: n('skipped'), ok: n('ok') };
}

/** How many workers jscodeshift 17 forks at most (its Runner: max(cpus - 1, 1), capped by --cpus). */
function workers(cpus: number, flag?: number): number {
  const available = Math.max(cpus - 1, 1);
  return flag === undefined ? available : Math.min(available, flag);
}

const show = (run: Run): string => `exit ${run.status}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;

const read = (dir: string, f: string): string | undefined => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8') : undefined);
const argsOf = (name: string): string[] => (read(path.join(fixturesDir, name), 'args') ?? '').split(/\s+/).filter(Boolean);
/** Fixtures that succeed, with an output/ tree, and whose arguments jscodeshift can pass. */
const successes = fs
  .readdirSync(fixturesDir)
  .filter((n) => fs.existsSync(path.join(fixturesDir, n, 'output')) && Number(read(path.join(fixturesDir, n), 'status') ?? '0') === 0)
  .sort();
const okCases = successes.filter((n) => jscodeshiftFlags(argsOf(n)) !== undefined);
/** The cases the brief names; these also run with --cpus=2. */
const CORE = ['styles-and-tables', 'renamed-keys', 'default-features', 'crlf', 'bom', 'no-final-newline', 'sorted-table', 'nested-roots', 'features-14-to-37', 'crate-migrations'];

test('the fixtures include the core cases, all with exit status 0', { skip }, (t) => {
  for (const name of CORE) assert.ok(okCases.includes(name), `${name} is a status-0 fixture with output/ and transform options only`);
  const left = successes.filter((n) => !okCases.includes(n));
  if (left.length > 0) t.diagnostic(`not run under jscodeshift (arguments it cannot pass): ${left.map((n) => `${n} [${argsOf(n).join(' ')}]`).join(', ')}`);
});

type Mode = { name: string; flags: string[]; workers: number };
const MODES: Mode[] = [
  { name: 'in-band', flags: ['--run-in-band'], workers: 0 },
  { name: 'workers', flags: [], workers: workers(os.cpus().length) },
  { name: 'workers --cpus=2', flags: ['--cpus=2'], workers: workers(os.cpus().length, 2) },
];

/** Copies input/, runs jscodeshift on it, and checks the tree against output/ (or, over one worker, the refusal). */
async function checkFixture(t: { diagnostic(msg: string): void }, name: string, mode: Mode, extra: { flags?: string[]; ignore?: string } = {}): Promise<void> {
  const dir = path.join(fixturesDir, name);
  const work = copyTree(path.join(dir, 'input'), path.join(tempDir(`jscodeshift-${name}`), 'work'));
  const input = readTree(work);
  const expected = readTree(path.join(dir, 'output'));
  const base = extra.ignore === undefined ? BASE : BASE.map((f) => (f.startsWith('--ignore-pattern=') ? `--ignore-pattern=${extra.ignore}` : f));
  const run = await jscodeshift([...base, ...mode.flags, ...(extra.flags ?? jscodeshiftFlags(argsOf(name)) ?? []), work]);
  t.diagnostic(`${name} (${mode.name}): ${run.ms} ms`);

  if (mode.workers > 1) {
    // This machine would fork several workers: the transform refuses, and nothing is written.
    assert.equal(run.status, 1, show(run));
    assert.match(run.stdout, /--run-in-band/, show(run));
    assert.deepEqual(treeDifferences(readTree(work), input), [], 'a refused run writes nothing');
    return;
  }
  assert.equal(run.status, 0, show(run));
  assert.deepEqual(treeDifferences(readTree(work), expected), [], `jscodeshift's tree equals output/\n${show(run)}`);
  const changed = treeDifferences(input, expected).length;
  assert.deepEqual({ errors: results(run).errors, ok: results(run).ok }, { errors: 0, ok: changed }, show(run));
}

// Each run is a separate process on its own copy, so runs may overlap (timings below are then under load).
describe('jscodeshift on the fixtures', { concurrency: Math.max(os.availableParallelism(), 2) }, () => {
  for (const name of okCases) {
    for (const mode of MODES) {
      if (mode.name === 'workers --cpus=2' && !CORE.includes(name)) continue;
      test(`jscodeshift ${mode.name}: fixture ${name}`, { skip }, (t) => checkFixture(t, name, mode));
    }
  }
});

test('jscodeshift: target/ also ignored as **/target/**', { skip }, async (t) => {
  await checkFixture(t, 'target-dir', MODES[0]!, { ignore: '**/target/**' });
});

test('jscodeshift: bare flags work when another option follows them', { skip }, async (t) => {
  await checkFixture(t, 'no-lift', MODES[0]!, { flags: ['--no-lift', '--to', '26.0.1'] });
  await checkFixture(t, 'exact-flag', MODES[0]!, { flags: ['--exact', '--to', '26.0.1'] });
  await checkFixture(t, 'crate-migrations', MODES[0]!, { flags: ['--apply-crate-migrations', '--to=26.0.1'] });
});

test('jscodeshift from inside the tree without --ignore-pattern: target/ and node_modules/ are skipped, as by the CLI', { skip }, async () => {
  const work = copyTree(path.join(fixturesDir, 'target-dir', 'input'), path.join(tempDir('jscodeshift-noignore'), 'work'));
  // A workspace the tool would change, inside node_modules/ (as a package could ship, or a symlink could lead to).
  copyTree(path.join(fixturesDir, 'styles-and-tables', 'input'), path.join(work, 'node_modules', 'pkg'));
  const vendored = readTree(path.join(work, 'node_modules'));
  const run = await jscodeshift([...BASE.filter((f) => !f.startsWith('--ignore-pattern=')), '--run-in-band', '.'], { cwd: work });
  assert.equal(run.status, 0, show(run));
  assert.deepEqual(results(run), { errors: 0, unmodified: 0, skipped: 5, ok: 2 }, show(run));
  assert.deepEqual(treeDifferences(readTree(path.join(work, 'node_modules')), vendored), [], 'node_modules/ untouched');
  fs.rmSync(path.join(work, 'node_modules'), { recursive: true });
  assert.deepEqual(treeDifferences(readTree(work), readTree(path.join(fixturesDir, 'target-dir', 'output'))), []);
});

// ---------------------------------------------------------------------------------------------------------------
// Several workers, forced with a faked CPU count (jscodeshift forks max(cpus - 1, 1) workers).

test('jscodeshift with several workers: the transform refuses, and nothing is written', { skip }, async () => {
  const work = copyTree(path.join(fixturesDir, 'styles-and-tables', 'input'), path.join(tempDir('jscodeshift-workers'), 'work'));
  const input = readTree(work);
  const run = await jscodeshift([...BASE, work], { fakeCpus: 8 });
  assert.match(run.stdout, /^Spawning 3 workers/m, `three workers for three files\n${show(run)}`);
  assert.equal(run.status, 1, show(run));
  assert.equal(results(run).errors, 3, show(run));
  assert.match(run.stdout, /jscodeshift may run up to 7 workers here.*--run-in-band \(or --cpus=1\)/, show(run));
  assert.deepEqual(treeDifferences(readTree(work), input), []);
});

test('jscodeshift with --cpus=1 on a many-CPU machine: one forked worker gives output/', { skip }, async () => {
  const work = copyTree(path.join(fixturesDir, 'styles-and-tables', 'input'), path.join(tempDir('jscodeshift-cpus1'), 'work'));
  const run = await jscodeshift([...BASE, '--cpus=1', work], { fakeCpus: 8 });
  assert.match(run.stdout, /^Spawning 1 workers/m, show(run));
  assert.equal(run.status, 0, show(run));
  assert.deepEqual(treeDifferences(readTree(work), readTree(path.join(fixturesDir, 'styles-and-tables', 'output'))), []);
});

// ---------------------------------------------------------------------------------------------------------------
// Failures: reported per file, exit 1 with --fail-on-error, nothing written.

test('jscodeshift: invalid TOML in one member fails the whole workspace, exit 1, nothing written', { skip }, async () => {
  const work = copyTree(path.join(fixturesDir, 'invalid-toml', 'input'), path.join(tempDir('jscodeshift-invalid'), 'work'));
  const input = readTree(work);
  const run = await jscodeshift([...BASE, '--run-in-band', work]);
  assert.equal(run.status, 1, show(run));
  assert.deepEqual(results(run), { errors: 3, unmodified: 0, skipped: 0, ok: 0 }, show(run));
  assert.match(run.stdout, / ERR .*b[\\/]Cargo\.toml Transformation error \(invalid TOML: expected comma \(,\) token\)/, show(run));
  assert.deepEqual(treeDifferences(readTree(work), input), [], 'nothing written');
  // Without --fail-on-error jscodeshift reports the same errors and exits 0.
  const lax = await jscodeshift([...BASE.filter((f) => f !== '--fail-on-error'), '--run-in-band', work]);
  assert.equal(lax.status, 0, show(lax));
  assert.equal(results(lax).errors, 3, show(lax));
});

test('jscodeshift: a bare flag before a path takes the path as its value', { skip }, async () => {
  const work = copyTree(path.join(fixturesDir, 'crate-migrations', 'input'), path.join(tempDir('jscodeshift-eaten'), 'work'));
  const input = readTree(work);
  // The only path is eaten: jscodeshift has nothing to do and says so.
  const alone = await jscodeshift([...BASE, '--run-in-band', '--to=26.0.1', '--apply-crate-migrations', work]);
  assert.equal(alone.status, 1, show(alone));
  assert.match(alone.stderr, /You have to provide at least one file\/directory to transform/, show(alone));
  // One of two paths is eaten: the transform rejects the flag's value instead of guessing.
  const empty = tempDir('jscodeshift-empty');
  const two = await jscodeshift([...BASE, '--run-in-band', '--to=26.0.1', '--apply-crate-migrations', empty, work]);
  assert.equal(two.status, 1, show(two));
  assert.match(two.stdout, /--apply-crate-migrations got the value ".*": .*write --apply-crate-migrations=true/, show(two));
  assert.deepEqual(treeDifferences(readTree(work), input), []);
});

test('jscodeshift: --to=0.40 (read as the number 0.4) is refused, --to=\'"26.0"\' and --to=26 are lines', { skip }, async () => {
  const work = copyTree(path.join(fixturesDir, 'to-line', 'input'), path.join(tempDir('jscodeshift-to'), 'work'));
  const input = readTree(work);
  const float = await jscodeshift([...BASE, '--run-in-band', '--to=0.40', work]);
  assert.equal(float.status, 1, show(float));
  assert.match(float.stdout, /jscodeshift read --to as the number 0\.4, which loses trailing zeros/, show(float));
  assert.deepEqual(treeDifferences(readTree(work), input), []);
  const expected = readTree(path.join(fixturesDir, 'to-line', 'output'));
  for (const to of ['--to="26.0"', '--to=26']) {
    const again = copyTree(path.join(fixturesDir, 'to-line', 'input'), path.join(tempDir('jscodeshift-to'), 'work'));
    const run = await jscodeshift([...BASE, '--run-in-band', to, again]);
    assert.equal(run.status, 0, `${to}\n${show(run)}`);
    assert.deepEqual(treeDifferences(readTree(again), expected), [], to);
  }
});

// ---------------------------------------------------------------------------------------------------------------
// The transform plans with the release data the CLI uses: the embedded snapshot overlaid with the user cache.

const indexSrc = path.join(sharedDir, 'data', 'crates-index', 'wa', 'sm', 'wasmtime');

test('jscodeshift: a release known only through the refreshed cache is used, as by the CLI', { skip: skip || (fs.existsSync(indexSrc) ? false : `no crates index at ${indexSrc}`) }, async () => {
  // A local index holding wasmtime alone, with a 52.0.0 the embedded data does not know.
  const index = path.join(tempDir('jscodeshift-index'), 'index');
  fs.mkdirSync(path.join(index, 'wa', 'sm'), { recursive: true });
  const lines = fs.readFileSync(indexSrc, 'utf8').split('\n').filter(Boolean);
  const last = JSON.parse(lines.find((l) => l.includes('"vers":"37.0.1"'))!) as Record<string, unknown>;
  fs.writeFileSync(path.join(index, 'wa', 'sm', 'wasmtime'), [...lines, JSON.stringify({ ...last, vers: '52.0.0' })].join('\n') + '\n');
  const cache = tempDir('jscodeshift-refreshed');
  const update = runCli(['update-data', '--index-url', index], repoRoot, { XDG_CACHE_HOME: cache });
  assert.equal(update.status, 0, update.stderr);

  const ws = path.join(tempDir('jscodeshift-ws'), 'ws');
  fs.mkdirSync(path.join(ws, 'a'), { recursive: true });
  fs.writeFileSync(path.join(ws, 'Cargo.toml'), '[workspace]\nmembers = ["a"]\nresolver = "2"\n');
  fs.writeFileSync(path.join(ws, 'a', 'Cargo.toml'), '[package]\nname = "a"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = "37.0.1"\n');
  const cli = copyTree(ws, `${ws}-cli`);
  const write = runCli(['--write', '--to', '52.0.0', '--index-url', index, cli], repoRoot, { XDG_CACHE_HOME: cache });
  assert.equal(write.status, 0, write.stderr);

  // With the empty cache of this file, 52.0.0 is unknown.
  const cold = await jscodeshift([...BASE, '--run-in-band', '--to=52.0.0', `--index-url=${index}`, ws]);
  assert.equal(cold.status, 1, show(cold));
  assert.match(cold.stdout, /wasmtime 52\.0\.0 is not a known release/, show(cold));
  const warm = await jscodeshift([...BASE, '--run-in-band', '--to=52.0.0', `--index-url=${index}`, ws], { env: { XDG_CACHE_HOME: cache } });
  assert.equal(warm.status, 0, show(warm));
  assert.deepEqual(treeDifferences(readTree(ws), readTree(cli)), [], 'jscodeshift gives what --write gives');
  assert.match(fs.readFileSync(path.join(ws, 'Cargo.toml'), 'utf8'), /^wasmtime = "52\.0\.0"$/m);
});
