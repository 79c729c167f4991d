#!/usr/bin/env node
// The floor: what any run of this tool in Node with its mandated parsers must spend, and nothing more.
//
//   node bench/floor.mjs <dir>
//
// Starts Node, walks <dir> for Cargo.toml files (skipping target/, .git/, node_modules/ as the tool does), reads
// and decodes every one, reads every value with the quick reader, and gives each manifest that names a family
// crate the two parses the tool cannot do without: toml-eslint-parser's tree (the ranges the edits splice) and
// @ltd/j-toml's strict TOML 1.0 parse (the proof of every rewritten file). No discovery rules, no planning, no
// rendering, no diff. `npm run bench` times it next to the tool, so the gap between the two is what the tool's own
// logic costs. Needs a built dist/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseTOML } from 'toml-eslint-parser';
import TOML from '@ltd/j-toml';
import { quickValue } from '../dist/src/manifest/quick-value.js';
import { packageDependencyTables } from '../dist/src/manifest/dependencies.js';
import { embeddedReleaseData } from '../dist/src/family/release-data.js';

const data = embeddedReleaseData();
const familyCrate = (name) => data.family(name);

const SKIPPED = new Set(['target', '.git', 'node_modules']);
const files = [];
for (const stack = [path.resolve(process.argv[2] ?? '.')]; stack.length > 0; ) {
  const dir = stack.pop();
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      if (!SKIPPED.has(e.name)) stack.push(path.join(dir, e.name));
    } else if (e.name === 'Cargo.toml') files.push(path.join(dir, e.name));
  }
}
const decoder = new TextDecoder('utf-8', { fatal: true });
let family = 0;
for (const file of files) {
  const text = decoder.decode(fs.readFileSync(file));
  const value = quickValue(text) ?? {};
  const usesFamily = packageDependencyTables(value).some(({ table }) =>
    Object.entries(table).some(([key, spec]) => familyCrate(key) || (typeof spec === 'object' && spec !== null && familyCrate(String(spec.package)))),
  );
  if (!usesFamily && !value.workspace) continue;
  family++;
  parseTOML(text, { tomlVersion: '1.1' });
  TOML.parse(text, 1.0, '\n', Number.MAX_SAFE_INTEGER);
}
if (process.env.FLOOR_VERBOSE) console.error(`${files.length} manifests, ${family} parsed in full`);
