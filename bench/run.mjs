#!/usr/bin/env node
// Benchmark (`npm run bench`; not part of `npm test`). Needs a built dist/ (`npm run build`).
//
// For synthetic workspaces of 100, 500 and 2,000 members (bench/generate.mjs) it times, alternating the commands
// within each round (dry run, --write, cargo metadata, jscodeshift, floor, then the next round):
//   dry-run      node dist/bin/wasmtime-align.js .           (on the pristine workspace)
//   write        node dist/bin/wasmtime-align.js --write .   (on a fresh copy; copying is not timed)
//   cargo-meta   cargo metadata --no-deps --offline --format-version 1 --manifest-path Cargo.toml
//                (RUSTUP_TOOLCHAIN=stable; skipped when cargo is absent)
//   jscodeshift  jscodeshift -t dist/transforms/wasmtime-align.js --no-babel --run-in-band --fail-on-error
//                --extensions=toml --ignore-pattern=target/ ... .   (on a fresh copy; copying is not timed)
//   floor        node bench/floor.mjs .   (only the walk, the reads and the parses no run can skip; see there)
// Each command runs with the workspace as its working directory, output discarded. Wall time is measured around
// the child; peak RSS with `/usr/bin/time -f %M` when present, otherwise (Node commands only) with a preload
// that records `process.resourceUsage().maxRSS` at exit.
//
//   baseline     node $BENCH_BASELINE .   (only with BENCH_BASELINE: another build's dist/bin/wasmtime-align.js, e.g. the
//                previous release, timed in the same rounds, so `dry/baseline` compares the two side by side)
// Environment: BENCH_RUNS (timed rounds per size, default 3), BENCH_SIZES (default "100,500,2000"),
// BENCH_WARMUP (untimed rounds per size, default 1), BENCH_KEEP=1 (keep the temp dir), BENCH_JSON=<file>,
// BENCH_NO_GNU_TIME=1 (use the preload even where /usr/bin/time exists).
import { spawnSync, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateWorkspace } from './generate.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const CLI = path.join(ROOT, 'dist/bin/wasmtime-align.js');
const TRANSFORM = path.join(ROOT, 'dist/transforms/wasmtime-align.js');
const JSCODESHIFT = path.join(ROOT, 'node_modules/jscodeshift/bin/jscodeshift.js');
const FLOOR = path.join(HERE, 'floor.mjs');
const BASELINE = process.env.BENCH_BASELINE ? path.resolve(process.env.BENCH_BASELINE) : undefined;

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const WARMUP = Math.max(0, Number(process.env.BENCH_WARMUP ?? 1));
const SIZES = (process.env.BENCH_SIZES ?? '100,500,2000').split(',').map(Number);

for (const f of [CLI, TRANSFORM, JSCODESHIFT, ...(BASELINE ? [BASELINE] : [])]) {
  if (!fs.existsSync(f)) {
    console.error(`bench: missing ${path.relative(ROOT, f)} (run \`npm run build\` first)`);
    process.exit(2);
  }
}

const GNU_TIME = process.env.BENCH_NO_GNU_TIME ? undefined : ['/usr/bin/time'].find((p) => {
  try {
    return spawnSync(p, ['-f', '%M', 'true'], { stdio: 'ignore' }).status === 0;
  } catch {
    return false;
  }
});
const cargoEnv = { ...process.env, RUSTUP_TOOLCHAIN: 'stable' };
const CARGO = spawnSync('cargo', ['--version'], { env: cargoEnv, encoding: 'utf8' });
const HAS_CARGO = CARGO.status === 0;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmtime-align-bench-'));
const rssFile = path.join(tmp, 'rss.txt');
const preload = path.join(tmp, 'maxrss-preload.mjs');
fs.writeFileSync(
  preload,
  `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => { try { writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)); } catch {} });\n`,
);

/** Runs argv in cwd; returns { ms, rssKB (or null), status, stderr }. */
function measure(argv, cwd, env = process.env, node = false) {
  fs.rmSync(rssFile, { force: true });
  let cmd = argv[0];
  let args = argv.slice(1);
  let childEnv = env;
  if (GNU_TIME) {
    args = ['-f', '%M', '-o', rssFile, cmd, ...args];
    cmd = GNU_TIME;
  } else if (node) {
    childEnv = { ...env, BENCH_RSS_FILE: rssFile, NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(preload).href}`.trim() };
  }
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env: childEnv, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  let rssKB = null;
  try {
    const n = parseInt(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop(), 10);
    if (Number.isFinite(n)) rssKB = n;
  } catch {}
  return { ms, rssKB, status: r.status, stderr: String(r.stderr ?? '') };
}

const JSCS_ARGS = [
  '-t', TRANSFORM, '--no-babel', '--run-in-band', '--fail-on-error', '--extensions=toml',
  '--ignore-pattern=target/', '--ignore-pattern=node_modules/', '--ignore-pattern=.git/', '.',
];

const COMMANDS = [
  { key: 'dry', label: 'dry run', copy: false, run: (d) => measure([process.execPath, CLI, '.'], d, process.env, true) },
  { key: 'write', label: '--write (copy)', copy: true, run: (d) => measure([process.execPath, CLI, '--write', '.'], d, process.env, true) },
  ...(HAS_CARGO
    ? [{ key: 'cargo', label: 'cargo metadata', copy: false, run: (d) => measure(['cargo', 'metadata', '--no-deps', '--offline', '--format-version', '1', '--manifest-path', path.join(d, 'Cargo.toml')], d, cargoEnv) }]
    : []),
  { key: 'jscs', label: 'jscodeshift', copy: true, run: (d) => measure([process.execPath, JSCODESHIFT, ...JSCS_ARGS], d, process.env, true) },
  { key: 'floor', label: 'floor', copy: false, run: (d) => measure([process.execPath, FLOOR, '.'], d, process.env, true) },
  ...(BASELINE ? [{ key: 'base', label: 'baseline dry run', copy: false, run: (d) => measure([process.execPath, BASELINE, '.'], d, process.env, true) }] : []),
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const fmtMB = (kb) => (kb == null ? 'n/a' : `${(kb / 1024).toFixed(0)} MB`);

function sameTree(a, b) {
  const walk = (d, rel = '') =>
    fs.readdirSync(path.join(d, rel), { withFileTypes: true }).flatMap((e) => {
      const r = path.join(rel, e.name);
      return e.isDirectory() ? walk(d, r) : [r];
    });
  const fa = walk(a).sort();
  const fb = walk(b).sort();
  if (fa.join('\n') !== fb.join('\n')) return false;
  return fa.every((f) => fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))));
}

console.log(`wasmtime-align benchmark: sizes ${SIZES.join(', ')}; ${RUNS} timed round(s) + ${WARMUP} warm-up per size`);
console.log(`machine: nproc ${os.availableParallelism()}, node ${process.version}, ${HAS_CARGO ? CARGO.stdout.trim() : 'cargo: not found (skipped)'}`);
if (BASELINE) console.log(`baseline: ${BASELINE}`);
console.log(`peak RSS via ${GNU_TIME ? `${GNU_TIME} -f %M` : 'process.resourceUsage().maxRSS preload (Node commands only)'}; temp dir ${tmp}`);

const results = {};
const t0 = Date.now();
try {
  for (const n of SIZES) {
    const pristine = generateWorkspace(path.join(tmp, `ws-${n}`), n);
    const samples = Object.fromEntries(COMMANDS.map((c) => [c.key, { ms: [], rss: [] }]));
    let copies = 0;
    let verified = null;
    for (let round = 0; round < WARMUP + RUNS; round++) {
      const timed = round >= WARMUP;
      const outputs = {};
      for (const c of COMMANDS) {
        let dir = pristine;
        if (c.copy) {
          dir = path.join(tmp, `copy-${n}-${copies++}`);
          fs.cpSync(pristine, dir, { recursive: true });
        }
        const r = c.run(dir);
        if (r.status !== 0) {
          throw new Error(`${c.label} at ${n} members exited ${r.status}:\n${r.stderr.slice(0, 2000)}`);
        }
        if (timed) {
          samples[c.key].ms.push(r.ms);
          if (r.rssKB != null) samples[c.key].rss.push(r.rssKB);
        }
        if (c.copy) outputs[c.key] = dir;
      }
      // Sanity check once per size: --write and jscodeshift produce the same tree.
      if (verified == null) verified = sameTree(outputs.write, outputs.jscs);
      for (const d of Object.values(outputs)) fs.rmSync(d, { recursive: true, force: true });
    }
    results[n] = {
      verified,
      ...Object.fromEntries(
        COMMANDS.map((c) => [c.key, { medianMs: median(samples[c.key].ms), ms: samples[c.key].ms, peakRssKB: samples[c.key].rss.length ? Math.max(...samples[c.key].rss) : null }]),
      ),
    };
    process.stderr.write(`  ${n} members done (${((Date.now() - t0) / 1000).toFixed(0)} s elapsed)\n`);
  }
} finally {
  if (!process.env.BENCH_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
}

// Table: one row per size, median wall time and peak RSS per command.
const header = ['members', ...COMMANDS.map((c) => c.label), 'dry/cargo', 'dry/jscs', 'floor/cargo', ...(BASELINE ? ['dry/baseline'] : []), 'write==jscs'];
const rows = SIZES.map((n) => {
  const r = results[n];
  return [
    String(n),
    ...COMMANDS.map((c) => `${fmtMs(r[c.key].medianMs)} / ${fmtMB(r[c.key].peakRssKB)}`),
    r.cargo ? (r.dry.medianMs / r.cargo.medianMs).toFixed(2) : 'n/a',
    (r.dry.medianMs / r.jscs.medianMs).toFixed(2),
    r.cargo ? (r.floor.medianMs / r.cargo.medianMs).toFixed(2) : 'n/a',
    ...(BASELINE ? [(r.dry.medianMs / r.base.medianMs).toFixed(2)] : []),
    r.verified ? 'yes' : 'NO',
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log('\nmedian wall time / peak RSS (max over timed rounds)');
console.log(line(header));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(r));

if (results[500] && results[2000]) {
  console.log('\nscaling 500 -> 2000 members (median time ratio):');
  for (const c of COMMANDS) console.log(`  ${c.label.padEnd(15)} ${(results[2000][c.key].medianMs / results[500][c.key].medianMs).toFixed(2)}x`);
}

const big = results[2000];
if (big) {
  const check = (ok, text) => console.log(`  [${ok == null ? 'n/a ' : ok ? 'met ' : 'MISS'}] ${text}`);
  console.log('\ntargets at 2000 members:');
  check(big.cargo ? big.dry.medianMs <= 0.5 * big.cargo.medianMs : null, `dry run <= 1/2 of cargo metadata (${big.cargo ? (big.dry.medianMs / big.cargo.medianMs).toFixed(2) : 'n/a'})`);
  check(big.dry.medianMs <= 0.2 * big.jscs.medianMs, `dry run <= 1/5 of jscodeshift (${(big.dry.medianMs / big.jscs.medianMs).toFixed(2)})`);
  if (results[500]) {
    const s = big.dry.medianMs / results[500].dry.medianMs;
    check(s <= 4.5, `dry run 500 -> 2000 members <= 4.5x (${s.toFixed(2)}x)`);
  }
  for (const key of ['dry', 'write']) {
    const kb = big[key].peakRssKB;
    check(kb == null ? null : kb <= 150 * 1024, `${key === 'dry' ? 'dry run' : '--write'} peak RSS <= 150 MB (${fmtMB(kb)})`);
  }
}
console.log(`\ntotal ${((Date.now() - t0) / 1000).toFixed(0)} s`);
if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ runs: RUNS, results }, null, 2));
