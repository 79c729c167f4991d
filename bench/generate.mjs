#!/usr/bin/env node
// Synthetic Cargo workspace generator for the benchmark (`npm run bench`).
//
//   node bench/generate.mjs <dir> <members>
//
// Writes a virtual workspace root (`members = ["crates/*"]`, a [workspace.dependencies] table) and <members>
// members under crates/, each with a src/lib.rs stub and about eight dependencies in mixed styles (plain string,
// inline table, `workspace = true` both inline and dotted, path dependencies on earlier members, a
// [dependencies.<name>] sub-table, dev-dependencies, target tables). One member in ten also depends on the
// wasmtime family (wasmtime, wasmtime-wasi, wasmtime-wasi-http, wasmtime-wasi-nn), at releases 24.0.0–26.0.1,
// in rotating styles: string, inline table with features, dotted keys, [dependencies.wasmtime] sub-table and
// target tables. The output is deterministic (the seeded PRNG of test/random.ts), so every run measures the same
// bytes. Needs a built dist/ (`npm run build`), as the benchmark does.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { random } from '../dist/test/random.js';

const FAMILY_RELEASES = ['24.0.0', '24.0.1', '24.0.4', '25.0.0', '25.0.1', '25.0.3', '26.0.0', '26.0.1'];
// Features that every wasmtime release 24.0.0–26.0.1 has.
const WASMTIME_FEATURES = ['async', 'cache', 'component-model', 'cranelift', 'wat', 'parallel-compilation', 'pooling-allocator'];

// Third-party dependencies: [name, version, features?]. The first five are also in [workspace.dependencies].
const WORKSPACE_DEPS = [
  ['serde', '1', ['derive']],
  ['anyhow', '1'],
  ['tokio', '1', ['rt-multi-thread', 'macros']],
  ['tracing', '0.1'],
  ['thiserror', '1'],
];
const OTHER_DEPS = [
  ['log', '0.4'],
  ['regex', '1.10'],
  ['rand', '0.8', ['small_rng']],
  ['bytes', '1.5'],
  ['itertools', '0.12'],
  ['once_cell', '1.19'],
  ['clap', '4.5', ['derive']],
  ['serde_json', '1.0'],
  ['futures', '0.3'],
  ['parking_lot', '0.12'],
  ['smallvec', '1.13', ['union']],
  ['hashbrown', '0.14'],
];

const memberName = (i) => `crate-${String(i).padStart(4, '0')}`;
const list = (xs) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;

function rootManifest() {
  const lines = [
    '# Synthetic benchmark workspace (bench/generate.mjs).',
    '[workspace]',
    'members = ["crates/*"]',
    'resolver = "2"',
    '',
    '[workspace.package]',
    'version = "0.1.0"',
    'edition = "2021"',
    'license = "Apache-2.0"',
    '',
    '[workspace.dependencies]',
  ];
  for (const [name, version, features] of WORKSPACE_DEPS) {
    lines.push(features ? `${name} = { version = "${version}", features = ${list(features)} }` : `${name} = "${version}"`);
  }
  lines.push('', '[profile.release]', 'lto = "thin"', 'codegen-units = 1', '');
  return lines.join('\n');
}

/** One third-party dependency line in a style chosen by `style`. */
function thirdParty([name, version, features], style) {
  switch (style % 4) {
    case 0:
      return [`${name} = "${version}"`];
    case 1:
      return [`${name} = { version = "${version}"${features ? `, features = ${list(features)}` : ''} }`];
    case 2:
      return [`${name} = { version = "${version}", default-features = false }`];
    default:
      return [`${name}.version = "${version}"`, ...(features ? [`${name}.features = ${list(features)}`] : [])];
  }
}

/** The wasmtime-family part of a member, in one of several styles. Returns { deps, tables } of lines. */
function family(k, rand) {
  const v = () => FAMILY_RELEASES[Math.floor(rand() * FAMILY_RELEASES.length)];
  const feats = () => {
    const n = 1 + Math.floor(rand() * 2);
    const start = Math.floor(rand() * WASMTIME_FEATURES.length);
    return Array.from({ length: n }, (_, j) => WASMTIME_FEATURES[(start + j) % WASMTIME_FEATURES.length]);
  };
  const deps = [];
  const tables = [];
  switch (k % 5) {
    case 0: // plain strings
      deps.push(`wasmtime = "${v()}"`, `wasmtime-wasi = "${v()}"`);
      break;
    case 1: // inline table with features
      deps.push(`wasmtime = { version = "${v()}", features = ${list(feats())} } # the engine`);
      deps.push(`wasmtime-wasi = { version = "${v()}", features = ["preview1"] }`);
      break;
    case 2: // dotted keys
      deps.push(`wasmtime.version = "${v()}"`, `wasmtime.features = ${list(feats())}`);
      break;
    case 3: // [dependencies.wasmtime] sub-table (emitted after the [dependencies] table)
      tables.push('', '[dependencies.wasmtime]', `version = "${v()}"`, `features = ${list(feats())}`);
      break;
    default: // target tables
      deps.push(`wasmtime = "${v()}"`);
      tables.push('', `[target.'cfg(unix)'.dependencies]`, `wasmtime-wasi = { version = "${v()}" }`);
      tables.push('', `[target.'cfg(target_os = "linux")'.dependencies]`, `wasmtime-wasi-http = "${v()}"`);
      break;
  }
  if (k % 3 === 0) tables.push('', '[dev-dependencies.wasmtime]', `version = "${v()}"`, 'features = ["wat"]');
  return { deps, tables };
}

function memberManifest(i, rand) {
  const name = memberName(i);
  const deps = [];
  const tables = [];
  // ~8 dependencies: 2 inherited from the workspace, up to 1 path dependency, the rest third-party.
  const ws = WORKSPACE_DEPS[i % WORKSPACE_DEPS.length][0];
  const ws2 = WORKSPACE_DEPS[(i + 2) % WORKSPACE_DEPS.length][0];
  deps.push(`${ws} = { workspace = true }`, `${ws2}.workspace = true`);
  if (i > 0) {
    const dep = memberName(Math.floor(rand() * i));
    deps.push(`${dep} = { path = "../${dep}" }`);
  }
  const start = Math.floor(rand() * OTHER_DEPS.length);
  const nThird = 4 + Math.floor(rand() * 2);
  for (let j = 0; j < nThird; j++) deps.push(...thirdParty(OTHER_DEPS[(start + j) % OTHER_DEPS.length], i + j));
  if (i % 10 === 3) {
    const f = family(Math.floor(i / 10), rand);
    deps.push(...f.deps);
    tables.push(...f.tables);
  }
  // One more third-party dependency as a sub-table, a dev-dependency and (every fourth member) a target table.
  const sub = OTHER_DEPS[(start + nThird) % OTHER_DEPS.length];
  tables.push('', `[dependencies.${sub[0]}]`, `version = "${sub[1]}"`, ...(sub[2] ? [`features = ${list(sub[2])}`] : []));
  tables.push('', '[dev-dependencies]', `${OTHER_DEPS[(start + nThird + 1) % OTHER_DEPS.length][0]} = "${OTHER_DEPS[(start + nThird + 1) % OTHER_DEPS.length][1]}"`);
  if (i % 4 === 1) tables.push('', `[target.'cfg(windows)'.dependencies]`, 'winapi = { version = "0.3", features = ["winbase"] }');
  return [
    '[package]',
    `name = "${name}"`,
    'version.workspace = true',
    'edition.workspace = true',
    'license.workspace = true',
    `description = "Synthetic member ${i}"`,
    '',
    '[dependencies]',
    ...deps,
    ...tables,
    '',
  ].join('\n');
}

/** Writes a workspace of `members` members into `dir` (which must not exist or be empty). */
export function generateWorkspace(dir, members, seed = 0x5eed) {
  const rand = random(seed + members);
  fs.mkdirSync(path.join(dir, 'crates'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'Cargo.toml'), rootManifest());
  for (let i = 0; i < members; i++) {
    const crate = path.join(dir, 'crates', memberName(i));
    fs.mkdirSync(path.join(crate, 'src'), { recursive: true });
    fs.writeFileSync(path.join(crate, 'Cargo.toml'), memberManifest(i, rand));
    fs.writeFileSync(path.join(crate, 'src', 'lib.rs'), `//! Synthetic member ${i}.\n`);
  }
  return dir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dir, n] = process.argv.slice(2);
  if (!dir || !n) {
    console.error('usage: node bench/generate.mjs <dir> <members>');
    process.exit(2);
  }
  generateWorkspace(path.resolve(dir), Number(n));
  console.log(`wrote ${n} members to ${dir}`);
}
