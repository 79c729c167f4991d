#!/usr/bin/env node
// The full differential run: every Cargo.toml on this machine (or under PARITY_ROOT), each with its headers moved
// under [package.metadata.x] (see test/parity.ts), plus PARITY_MUTATIONS seeded mutations of each, read by the
// built tool (dist/) and by `cargo metadata`; prints the figures and the first disagreements.
//   PARITY_ROOT=/ PARITY_FILES=5000 PARITY_MUTATIONS=3 PARITY_SEED=42 PARITY_JOBS=4 node scripts/cargo-parity.mjs
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cargoVerdicts, isKnownDifference, mutate, random, toolVerdict, underMetadata, PACKAGE, SNIPPETS } from '../dist/test/parity.js';

const root = process.env.PARITY_ROOT ?? '/';
const limit = Number(process.env.PARITY_FILES ?? Infinity);
const mutations = Number(process.env.PARITY_MUTATIONS ?? 3);
const seed = Number(process.env.PARITY_SEED ?? 42);
const jobs = Number(process.env.PARITY_JOBS ?? os.cpus().length * 2);
const rnd = random(seed);

// PARITY_EXCLUDE: path prefixes left out (comma-separated), e.g. scratch directories of generated manifests.
const exclude = (process.env.PARITY_EXCLUDE ?? '').split(',').filter(Boolean);
const found = execFileSync('find', [root, '-xdev', '-name', 'Cargo.toml', '-type', 'f', '-not', '-path', '/proc/*', '-not', '-path', '/sys/*', ...exclude.flatMap((e) => ['-not', '-path', `${e}*`])], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean).sort();
const progress = (what) => process.env.PARITY_QUIET ? undefined : process.stderr.write(`${what}\n`);
const files = found.map((f) => [rnd(), f]).sort((a, b) => a[0] - b[0]).slice(0, limit).map(([, f]) => f);
const start = Date.now();
const cases = SNIPPETS.map((s, i) => ({ name: `snippet ${i}`, text: `${PACKAGE}${s}\n`, kind: 'snippet' }));
let unreadable = 0;
let rejectedAsIs = 0;
for (const file of files) {
  let raw;
  try {
    raw = fs.readFileSync(file, 'utf8').replace(/^\ufeff/, '');
  } catch {
    unreadable++;
    continue;
  }
  const doc = underMetadata(raw);
  if (doc === undefined) {
    // The tool rejects the file itself: cargo reads it as is, in its own package (its verdict is for TOML and
    // cargo's own rules, so only a cargo acceptance with a TOML-looking tool error counts as a disagreement).
    rejectedAsIs++;
    cases.push({ name: file, text: raw, kind: 'as-is' });
    continue;
  }
  cases.push({ name: file, text: doc, kind: 'real' });
  for (let m = 0; m < mutations; m++) cases.push({ name: `${file} mutation ${m}`, text: mutate(doc, rnd, PACKAGE.length), kind: 'mutation' });
}
progress(`${cases.length} documents built in ${((Date.now() - start) / 1000).toFixed(1)} s; running cargo metadata on each`);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmtime-align-parity-'));
const cargo = await cargoVerdicts(dir, cases.map((c) => c.text), jobs);
fs.rmSync(dir, { recursive: true, force: true });

const count = { tool: { ok: 0, no: 0 }, cargo: { ok: 0, no: 0 } };
const byKind = {};
const differ = [];
let known = 0;
cases.forEach((c, i) => {
  const tool = toolVerdict(c.text);
  count.tool[tool.ok ? 'ok' : 'no']++;
  count.cargo[cargo[i].ok ? 'ok' : 'no']++;
  const k = (byKind[c.kind] ??= { n: 0, differ: 0 });
  k.n++;
  if (isKnownDifference(tool, cargo[i])) known++;
  else if (tool.ok !== cargo[i].ok) {
    k.differ++;
    differ.push(`${c.name}: tool ${tool.ok ? 'accepts' : `rejects (${tool.message})`}, cargo ${cargo[i].ok ? 'accepts' : `rejects (${cargo[i].message})`}`);
  }
});
console.log(`Cargo.toml files found under ${root}: ${found.length}; sampled ${files.length} (seed ${seed}); unreadable ${unreadable}; rejected by the tool as they are ${rejectedAsIs}`);
console.log(`documents: ${cases.length} (real ${byKind.real?.n ?? 0}, mutations ${byKind.mutation?.n ?? 0}, snippets ${byKind.snippet?.n ?? 0}, as-is ${byKind['as-is']?.n ?? 0})`);
console.log(`tool: ${count.tool.ok} accepted, ${count.tool.no} rejected; cargo: ${count.cargo.ok} accepted, ${count.cargo.no} rejected`);
console.log(`disagreements: ${differ.length} (real ${byKind.real?.differ ?? 0}, mutations ${byKind.mutation?.differ ?? 0}, snippets ${byKind.snippet?.differ ?? 0}, as-is ${byKind['as-is']?.differ ?? 0}); known kinds (line break around = in an inline table, a last key without a value in one): ${known}`);
for (const d of differ.slice(0, 10)) console.log(`  ${d.slice(0, 400)}`);
console.log(`time: ${((Date.now() - start) / 1000).toFixed(1)} s`);
process.exitCode = differ.length === 0 ? 0 : 1;
