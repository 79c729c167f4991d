#!/usr/bin/env node
// The long fault test (not part of `npm test`; run `npm run build` first):
//
//   node scripts/fault-test.mjs [members=3000] [timings=20]
//
// Runs --write on a generated workspace with SIGINT, SIGTERM and SIGHUP at `timings` moments each, appends to a
// rewritten member at `timings` moments, append and signal together, an append to a member left alone, SIGKILL
// followed by a repairing run, and pairs of runs at once; judges each outcome as test/fault-harness.ts does and
// prints the figures: runs, outcomes by kind, violations (must be 0; the exit status is 1 otherwise).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { faultRun, killThenRepair, prepareWorkspace, twoRunsAtOnce } from '../dist/test/fault-harness.js';

const members = Number(process.argv[2] ?? 3000);
const timings = Number(process.argv[3] ?? 20);
const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmtime-align-fault-script-'));
const started = Date.now();
const ws = await prepareWorkspace(parent, members);
console.log(`${members} members, ${ws.changes.size} manifests rewritten, an undisturbed --write takes ${ws.writeMs} ms`);
const changed = [...ws.changes.keys()].filter((f) => f !== 'Cargo.toml');
const spread = (n, from, to) => Array.from({ length: n }, (_, i) => Math.round(ws.writeMs * (from + ((to - from) * i) / Math.max(1, n - 1))));

const kinds = new Map();
const violations = [];
let runs = 0;
const record = (group, what, o, processes = 1) => {
  runs += processes;
  const key = `${group}: ${o.kind}`;
  kinds.set(key, (kinds.get(key) ?? 0) + 1);
  for (const v of o.violations) violations.push(`${what}: ${v}`);
};

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  for (const at of spread(timings, 0.3, 1.1)) record(signal, `${signal} at ${at} ms`, await faultRun(ws, { signal, signalAtMs: at }));
}
for (const [i, at] of spread(timings, 0.2, 1.15).entries()) {
  const appendTo = changed[(i * 7) % changed.length];
  record('append', `append to ${appendTo} at ${at} ms`, await faultRun(ws, { appendTo, appendAtMs: at }));
}
const both = spread(timings, 0.5, 1.05);
for (const [i, at] of both.entries()) {
  const signal = ['SIGINT', 'SIGTERM', 'SIGHUP'][i % 3];
  const appendTo = changed[(i * 13 + 3) % changed.length];
  record('append + signal', `append at ${at}, ${signal} at ${both[both.length - 1 - i]}`, await faultRun(ws, { appendTo, appendAtMs: at, signal, signalAtMs: both[both.length - 1 - i] }));
}
for (const at of spread(Math.ceil(timings / 4), 0.5, 1.0)) record('append to a member left alone + SIGTERM', `at ${at}`, await faultRun(ws, { appendTo: ws.unchanged[1], appendAtMs: at, signal: 'SIGTERM', signalAtMs: at }));
for (const at of spread(Math.ceil(timings / 2), 0.35, 1.0)) record('SIGKILL, then --write', `SIGKILL at ${at} ms`, await killThenRepair(ws, at), 2);
for (let i = 0; i < Math.ceil(timings / 5); i++) record('two runs at once', `pair ${i}`, await twoRunsAtOnce(ws, i % 2 === 0 ? undefined : 0), 2);

fs.rmSync(parent, { recursive: true, force: true });
console.log(`runs: ${runs} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
console.log('outcomes by kind:');
for (const [k, n] of [...kinds].sort()) console.log(`  ${String(n).padStart(3)}  ${k}`);
console.log(`violations: ${violations.length}`);
for (const v of violations) console.log(`  ${v}`);
process.exitCode = violations.length === 0 ? 0 : 1;
