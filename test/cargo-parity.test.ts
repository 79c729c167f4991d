/**
 * Parity with cargo on input: a seeded sample of real manifests (the corpus and the fixtures, their headers
 * moved under `[package.metadata.x]`), every chosen snippet (numbers out of range, long strings, escapes, TOML 1.1,
 * duplicate keys, nesting limits, ...) and seeded mutations, each read by the tool and by `cargo metadata`: the
 * two must accept and reject the same documents. The full run over every Cargo.toml of a machine is
 * `scripts/cargo-parity.mjs`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './helpers.js';
import { corpusDir, fixturesDir } from './paths.js';
import { KNOWN_DIFFERENCES, PACKAGE, SNIPPETS, cargoVerdicts, hasCargo, isKnownDifference, mutate, random, toolVerdict, underMetadata } from './parity.js';

const SEED = Number(process.env.PROPERTY_SEED ?? 42);
const SAMPLE = Number(process.env.PARITY_SAMPLE ?? 150);
const MUTATIONS = Number(process.env.PARITY_MUTATIONS ?? 3);

function manifests(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'target' && e.name !== '.git') out.push(...manifests(full));
    else if (e.name === 'Cargo.toml') out.push(full);
  }
  return out.sort();
}

test(`the tool and cargo accept and reject the same manifests (seed ${SEED}, ${SAMPLE} real manifests x ${MUTATIONS} mutations, ${SNIPPETS.length} snippets)`, async (t) => {
  if (!hasCargo()) {
    t.skip('cargo is not installed');
    return;
  }
  const rnd = random(SEED);
  const real = [...manifests(corpusDir), ...manifests(fixturesDir)];
  const cases: { name: string; text: string }[] = SNIPPETS.map((s, i) => ({ name: `snippet ${i}: ${JSON.stringify(s.slice(0, 60))}`, text: `${PACKAGE}${s}\n` }));
  const chosen = real.map((f) => [rnd(), f] as const).sort((a, b) => a[0] - b[0]).slice(0, SAMPLE).map(([, f]) => f);
  for (const file of chosen) {
    const raw = fs.readFileSync(file, 'utf8').replace(/^\ufeff/, '');
    const doc = underMetadata(raw);
    if (doc === undefined) continue; // the tool rejects it; checked with the mutations' verdicts below when cargo runs it
    cases.push({ name: path.relative(path.dirname(corpusDir), file), text: doc });
    for (let m = 0; m < MUTATIONS; m++) cases.push({ name: `${path.relative(path.dirname(corpusDir), file)} mutation ${m}`, text: mutate(doc, rnd, PACKAGE.length) });
  }
  const dir = tempDir('cargo-parity');
  const start = Date.now();
  const cargo = await cargoVerdicts(dir, cases.map((c) => c.text));
  fs.rmSync(dir, { recursive: true, force: true });
  const differ: string[] = [];
  let accepted = 0;
  let known = 0;
  for (let i = 0; i < cases.length; i++) {
    const tool = toolVerdict(cases[i]!.text);
    if (tool.ok) accepted++;
    if (isKnownDifference(tool, cargo[i]!)) known++;
    else if (tool.ok !== cargo[i]!.ok) differ.push(`${cases[i]!.name}: tool ${tool.ok ? 'accepts' : `rejects (${tool.message})`}, cargo ${cargo[i]!.ok ? 'accepts' : `rejects (${cargo[i]!.message})`}: ${JSON.stringify(cases[i]!.text.slice(PACKAGE.length, PACKAGE.length + 400))}`);
  }
  t.diagnostic(`${cases.length} documents, ${accepted} accepted by the tool, ${differ.length} disagreements (${known} of the known kind), cargo in ${Date.now() - start} ms`);
  assert.deepEqual(differ, []);
});

test('the known differences: cargo accepts a line break around `=` inside an inline table, and a last key without a value in one (dropped); the tool rejects both at their position', async (t) => {
  if (!hasCargo()) {
    t.skip('cargo is not installed');
    return;
  }
  const dir = tempDir('cargo-parity-known');
  const cargo = await cargoVerdicts(dir, KNOWN_DIFFERENCES.map((s) => `${PACKAGE}${s}\n`));
  fs.rmSync(dir, { recursive: true, force: true });
  KNOWN_DIFFERENCES.forEach((s, i) => {
    const tool = toolVerdict(`${PACKAGE}${s}\n`);
    assert.ok(cargo[i]!.ok, `cargo accepts ${JSON.stringify(s)}`);
    assert.ok(!tool.ok && isKnownDifference(tool, cargo[i]!), `the tool rejects ${JSON.stringify(s)} at its position: ${tool.message}`);
  });
});
