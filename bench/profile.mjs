#!/usr/bin/env node
// Where does the dry run's time go? `node bench/profile.mjs [members=2000]` generates a synthetic workspace,
// runs `node --cpu-prof dist/src/cli.js .` on it (the unbundled build, so that time is grouped by source file; the
// bundle adds only its faster start-up), and prints the top self-time functions plus self time
// grouped by source file / package. Nothing in src/ is instrumented; this only reads V8's .cpuprofile.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateWorkspace } from './generate.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist/src/cli.js');
const n = Number(process.argv[2] ?? 2000);
const top = Number(process.env.PROFILE_TOP ?? 25);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmtime-align-prof-'));
try {
  const ws = generateWorkspace(path.join(tmp, 'ws'), n);
  const profDir = path.join(tmp, 'prof');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profDir, '--cpu-prof-interval', '200', CLI, '.'], {
    cwd: ws,
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`dry run exited ${r.status}`);
  const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  const prof = JSON.parse(fs.readFileSync(path.join(profDir, file), 'utf8'));
  if (process.env.PROFILE_OUT) fs.copyFileSync(path.join(profDir, file), process.env.PROFILE_OUT);

  // Self time per node: sum of timeDeltas of the samples that hit it.
  const self = new Map();
  prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0) / 1000));
  const totalMs = (prof.endTime - prof.startTime) / 1000;
  const where = (url) => {
    if (!url) return '(native/V8)';
    const p = url.replace(/^file:\/\//, '');
    const nm = p.lastIndexOf('node_modules/');
    if (nm >= 0) return `npm:${p.slice(nm + 13).split('/').slice(0, p.slice(nm + 13).startsWith('@') ? 2 : 1).join('/')}`;
    if (p.startsWith(ROOT)) return path.relative(ROOT, p);
    return p.startsWith('node:') ? p : `node:${p}`;
  };
  const byFn = new Map();
  const byFile = new Map();
  for (const node of prof.nodes) {
    const ms = self.get(node.id) ?? 0;
    if (!ms) continue;
    const cf = node.callFrame;
    const loc = where(cf.url);
    const key = `${cf.functionName || '(anonymous)'}  ${loc}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    byFn.set(key, (byFn.get(key) ?? 0) + ms);
    const group = loc.startsWith('npm:') || loc.startsWith('node:') || loc.startsWith('(') ? loc : loc.split('/').slice(0, 3).join('/');
    byFile.set(group, (byFile.get(group) ?? 0) + ms);
  }
  const pct = (ms) => `${((100 * ms) / totalMs).toFixed(1).padStart(5)}%`;
  console.log(`dry run, ${n} members: wall ${(wallMs / 1000).toFixed(2)} s, profiled ${(totalMs / 1000).toFixed(2)} s`);
  console.log(`\ntop ${top} self-time functions:`);
  for (const [k, ms] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${ms.toFixed(0).padStart(6)} ms ${pct(ms)}  ${k}`);
  console.log('\nself time by file / package:');
  for (const [k, ms] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${ms.toFixed(0).padStart(6)} ms ${pct(ms)}  ${k}`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
