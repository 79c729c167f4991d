/**
 * The fault test, CI-sized: --write on a generated workspace of 600 members, with SIGINT, SIGTERM and SIGHUP sent
 * at spread-out moments, lines appended to members at spread-out moments (alone and together with a signal),
 * SIGKILL followed by a repairing run, and two runs at once. Every outcome must be one of the legal ones that
 * test/fault-harness.ts lists: all old or all new, no appended line lost, no temporary file, journal or lock
 * left, the signal's exit status. scripts/fault-test.mjs runs the same with 3,000 members and many more timings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { faultRun, killThenRepair, prepareWorkspace, twoRunsAtOnce, type FaultOutcome, type Workspace } from './fault-harness.js';
import { tempDir } from './helpers.js';

const MEMBERS = Number(process.env.FAULT_MEMBERS ?? 600);
let ws: Workspace;
const kinds = new Map<string, number>();

function record(what: string, o: FaultOutcome): void {
  kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
  assert.deepEqual(o.violations, [], `${what}: ${o.kind}\n${o.stderr}`);
}

/** `n` moments spread over [from, to] times an undisturbed run's duration. */
const spread = (n: number, from: number, to: number): number[] => Array.from({ length: n }, (_, i) => Math.round(ws.writeMs * (from + ((to - from) * i) / (n - 1))));

test(`fault test: ${MEMBERS} members`, async (t) => {
  ws = await prepareWorkspace(tempDir('faults'), MEMBERS);
  assert.ok(ws.changes.size > MEMBERS / 20, `the run changes ${ws.changes.size} manifests`);
  const changed = [...ws.changes.keys()].filter((f) => f !== 'Cargo.toml');

  await t.test('SIGINT, SIGTERM and SIGHUP at spread-out moments', async () => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      for (const at of spread(5, 0.45, 1.05)) record(`${signal} at ${at} ms`, await faultRun(ws, { signal, signalAtMs: at }));
    }
  });

  await t.test('an append to a member being rewritten, at spread-out moments', async () => {
    for (const [i, at] of spread(6, 0.3, 1.1).entries()) {
      const appendTo = changed[(i * 7) % changed.length]!;
      record(`append to ${appendTo} at ${at} ms`, await faultRun(ws, { appendTo, appendAtMs: at }));
    }
  });

  await t.test('an append and a signal in the same run; an append to a member left as it is', async () => {
    const moments = spread(4, 0.55, 1.0);
    for (const [i, at] of moments.entries()) {
      const appendTo = changed[(i * 13 + 3) % changed.length]!;
      record(`append at ${at}, SIGINT at ${moments[3 - i]}`, await faultRun(ws, { appendTo, appendAtMs: at, signal: 'SIGINT', signalAtMs: moments[3 - i]! }));
    }
    for (const at of spread(2, 0.6, 0.9)) record(`append to a member left alone at ${at}`, await faultRun(ws, { appendTo: ws.unchanged[1]!, appendAtMs: at, signal: 'SIGTERM', signalAtMs: at }));
  });

  await t.test('SIGKILL at spread-out moments, then a --write that repairs and finishes', async () => {
    for (const at of spread(4, 0.55, 1.0)) record(`SIGKILL at ${at} ms`, await killThenRepair(ws, at));
  });

  await t.test('two runs at once: one writes, the other waits or stops with a clear message', async () => {
    record('two runs', await twoRunsAtOnce(ws));
    record('two runs, no wait', await twoRunsAtOnce(ws, 0));
  });

  t.diagnostic(`outcomes: ${[...kinds].map(([k, n]) => `${n} × ${k}`).join('; ')}`);
});
