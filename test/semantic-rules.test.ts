/**
 * Every semantic-change rule of the embedded data, decided: for an entry crossing it up and down, with and without
 * default features, with nothing named and with the rule's features named, and for a `[features]` reference naming
 * them, the outcome is applied (with the features that result), reported, or not affected. The table lists every
 * rule, so a rule added to the data fails here until someone decides what it does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as semver from 'semver';
import { embeddedReleaseData, type FeatureRule } from '../src/family/release-data.js';
import { migrateFeatures, ruleVersion } from '../src/plan/migrate-features.js';
import { shapeOf, type SemanticShape } from '../src/plan/semantic-rules.js';
import { runCli, tempDir } from './helpers.js';

const data = embeddedReleaseData();
const semanticRules = data.migrations().rules.filter((r) => r.action === 'semantic-change');

/**
 * Case keys: `up` / `down`, then `-d` for an entry without default features, `ref` for a `[features]` item (whose
 * entry has, or with `-d` has not, default features), then the features named before the crossing. `shape`: how
 * semantic-rules.ts reads the rule.
 * Values: `-` not affected; `applied [features after]`; `reported [features after]` (a warning).
 */
type Row = Readonly<Record<string, string>>;

/**
 * Code that used to be built always moved behind a new default feature: builds without default features name it
 * going up; going down they build it whether named or not (naming it is dropped; not naming it is reported).
 */
function newDefault(feature: string): Row {
  return {
    shape: 'new-default',
    up: '-', 'up -d': `applied [${feature}]`,
    down: '-', 'down -d': 'reported []',
    ...Object.fromEntries(['down', 'down -d', 'down ref', 'down ref -d'].map((k) => [`${k} [${feature}]`, 'applied []'])),
  };
}

const TABLE: Readonly<Record<string, Row>> = {
  // An opt-in feature joined the defaults: default builds gain it (features only add: reported); going down they
  // keep it by naming it.
  'wasmtime component-model-async 39.0.0': {
    shape: 'joined-default',
    up: 'reported []', 'up -d': '-', 'up [component-model-async]': '-', 'up -d [component-model-async]': '-',
    'up ref [component-model-async]': '-', 'up ref -d [component-model-async]': '-',
    down: 'applied [component-model-async]', 'down -d': '-', 'down [component-model-async]': '-',
    'down -d [component-model-async]': '-', 'down ref [component-model-async]': '-',
    'down ref -d [component-model-async]': '-',
  },
  // wasmtime::Error was anyhow's before 42: without default features, `anyhow` keeps the interop compiling.
  'wasmtime anyhow 42.0.0': newDefault('anyhow'),
  'wasmtime addr2line 15.0.0': {
    shape: 'new-default',
    up: '-', 'up -d': 'applied [addr2line, demangle, coredump, debug-builtins]',
    down: '-', 'down -d': 'reported []', 'down [addr2line]': 'applied []', 'down -d [addr2line]': 'reported []',
    'down ref [addr2line]': 'applied []', 'down ref -d [addr2line]': 'applied []',
    'down [addr2line, demangle, coredump, debug-builtins]': 'applied []',
    'down -d [addr2line, demangle, coredump, debug-builtins]': 'applied []',
  },
  'wasmtime runtime 18.0.0': newDefault('runtime'),
  'wasmtime gc 19.0.0': newDefault('gc'),
  'wasmtime threads 20.0.0': newDefault('threads'),
  'wasmtime std 21.0.0': newDefault('std'),
  // `gc` alone no longer picks a collector; the defaults bring `gc-drc`, so only builds without them are affected.
  'wasmtime gc 27.0.0': {
    shape: 'redefined',
    up: '-', 'up -d': '-', 'up [gc]': '-', 'up -d [gc]': 'applied [gc, gc-drc]', 'up ref [gc]': '-',
    'up ref -d [gc]': 'applied [gc, gc-drc]',
    down: '-', 'down -d': '-', 'down [gc]': '-', 'down -d [gc]': 'reported [gc]', 'down ref [gc]': '-',
    'down ref -d [gc]': 'reported [gc]', 'down [gc-drc]': 'applied [gc]', 'down -d [gc-drc]': 'applied [gc]',
    'down ref [gc-drc]': 'applied [gc]', 'down ref -d [gc-drc]': 'applied [gc]',
  },
  // `default` is gone; going down it comes back with jitdump and vtune, which no feature list can leave out.
  'wasmtime-cli-flags default 15.0.0': {
    shape: 'removed',
    up: 'applied [cache, cranelift, parallel-compilation]', 'up -d': '-',
    'up [default]': 'applied [cache, cranelift, parallel-compilation]',
    'up -d [default]': 'applied [cache, cranelift, parallel-compilation]',
    'up ref [default]': 'applied [cache, cranelift, parallel-compilation]',
    'up ref -d [default]': 'applied [cache, cranelift, parallel-compilation]',
    down: 'reported []', 'down -d': '-', 'down [default]': 'reported [default]',
    'down -d [default]': 'reported [default]', 'down ref [default]': 'reported [default]',
    'down ref -d [default]': 'reported [default]', 'down [cache, cranelift, parallel-compilation]': 'reported []',
    'down -d [cache, cranelift, parallel-compilation]': 'reported []',
  },
  'wasmtime-wasi p2 37.0.0': newDefault('p2'),
  // Its definition changed only by wasmtime's own rename (component-model-async-bytes -> component-model-bytes).
  'wasmtime-wasi p3 46.0.0': {
    shape: 'same-meaning',
    up: '-', 'up -d': '-', 'up [p3]': '-', 'up -d [p3]': '-', 'up ref [p3]': '-', 'up ref -d [p3]': '-',
    down: '-', 'down -d': '-', 'down [p3]': '-', 'down -d [p3]': '-', 'down ref [p3]': '-', 'down ref -d [p3]': '-',
  },
  // `onnx-download` = `onnx` + the download `onnx` did before 35; going down, a bare `onnx` downloads again.
  'wasmtime-wasi-nn onnx 35.0.0': {
    shape: 'redefined',
    up: '-', 'up -d': '-', 'up [onnx]': 'applied [onnx-download]', 'up -d [onnx]': 'applied [onnx-download]',
    'up ref [onnx]': 'applied [onnx-download]', 'up ref -d [onnx]': 'applied [onnx-download]',
    down: '-', 'down -d': '-', 'down [onnx]': 'reported [onnx]', 'down -d [onnx]': 'reported [onnx]',
    'down ref [onnx]': 'reported [onnx]', 'down ref -d [onnx]': 'reported [onnx]',
    'down [onnx-download]': 'applied [onnx]', 'down -d [onnx-download]': 'applied [onnx]',
    'down ref [onnx-download]': 'applied [onnx]', 'down ref -d [onnx-download]': 'applied [onnx]',
  },
  // Code behind a new default feature (like runtime, gc 19, threads, std, p2, default-send-request, wiggle and
  // wasi-common `wasmtime`): builds without default features name it; going down they build it whether named or not.
  'wasmtime-wasi-nn openvino 19.0.0': newDefault('openvino'),
  'wasmtime-wasi-http default-send-request 36.0.0': newDefault('default-send-request'),
  'wasmtime-wasi-http p2 43.0.0': newDefault('p2'),
  'wiggle wasmtime 18.0.0': newDefault('wasmtime'),
  'wasi-common wasmtime 18.0.0': newDefault('wasmtime'),
  // WASIp3 joined the defaults at 49 (new functionality, releases after the snapshot): like component-model-async
  // at 39, default builds gain it (reported), builds without default features are not affected.
  'wasmtime-wasi p3 49.0.0': joinedDefault('p3'),
  'wasmtime-wasi-http p3 49.0.0': joinedDefault('p3'),
  'wasmtime-wasi-tls p3 49.0.0': joinedDefault('p3'),
};

/** An opt-in feature that joined the defaults: reported going up for default builds, named going down. */
function joinedDefault(feature: string): Row {
  const f = `[${feature}]`;
  return {
    shape: 'joined-default',
    up: 'reported []', 'up -d': '-', [`up ${f}`]: '-', [`up -d ${f}`]: '-', [`up ref ${f}`]: '-', [`up ref -d ${f}`]: '-',
    down: `applied ${f}`, 'down -d': '-', [`down ${f}`]: '-', [`down -d ${f}`]: '-', [`down ref ${f}`]: '-', [`down ref -d ${f}`]: '-',
  };
}

/** Adjacent stable releases around the rule: the last before it and the first at or after it. */
function around(rule: FeatureRule): { before: string; at: string } {
  const v = ruleVersion(rule);
  const stable = data.versions(rule.crate).filter((r) => !r.yanked && semver.prerelease(r.version) === null);
  const before = stable.filter((r) => semver.lt(r.version, v)).at(-1)!.version;
  const at = stable.find((r) => semver.gte(r.version, v))!.version;
  return { before, at };
}

/** The feature sets worth starting from on each side: none, the rule's feature, the features the rule brings. */
function starts(rule: FeatureRule, release: string): (readonly string[])[] {
  const has = (f: string): boolean => f === 'default' || data.release(rule.crate, release)!.features.has(f);
  const sets = [[], [rule.feature], rule.to].filter((s) => s.every(has));
  return [...new Map(sets.map((s) => [JSON.stringify(s), s])).values()];
}

function observe(rule: FeatureRule): Row {
  const { before, at } = around(rule);
  const shape: SemanticShape['kind'] = shapeOf(rule, data).kind;
  const row: Record<string, string> = { shape };
  for (const direction of ['up', 'down'] as const) {
    const [from, to] = direction === 'up' ? [before, at] : [at, before];
    for (const features of starts(rule, from)) {
      for (const subject of ['entry', 'reference'] as const) {
        if (subject === 'reference' && features.length !== 1) continue; // a [features] item names one feature
        for (const usesDefaults of [true, false]) {
          const key = [direction, subject === 'reference' ? 'ref' : '', usesDefaults ? '' : '-d', features.length > 0 ? `[${features.join(', ')}]` : ''].filter(Boolean).join(' ');
          const m = migrateFeatures({ crate: rule.crate, from, to, features, usesDefaults, subject, data });
          const decisions = m.semantic.filter((d) => d.rule === rule);
          assert.equal(decisions.length, 1, `${key}: the rule is decided once`);
          const outcome = decisions[0]!.outcome;
          row[key] = outcome.kind === 'not-affected' ? '-' : `${outcome.kind} [${m.features.join(', ')}]`;
          if (outcome.kind === 'not-affected') assert.deepEqual(m.features, features, `${key}: not affected, not changed`);
        }
      }
    }
  }
  return row;
}

const name = (r: FeatureRule): string => `${r.crate} ${r.feature} ${ruleVersion(r)}`;

test('every semantic-change rule has a decided outcome for every kind of entry crossing it', () => {
  const observed = Object.fromEntries(semanticRules.map((r) => [name(r), observe(r)]));
  if (process.env.PRINT_SEMANTIC_TABLE === '1') console.log(JSON.stringify(observed, null, 2));
  assert.deepEqual(Object.keys(observed).sort(), Object.keys(TABLE).sort(), 'the table lists exactly the rules of the data');
  for (const [rule, row] of Object.entries(observed)) assert.deepEqual(row, TABLE[rule], rule);
});

// ---------- through the command: where the outcomes show ----------

const pkg = (name: string, deps: string, rest = ''): string =>
  `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n${deps}\n${rest}`;

function tree(files: Readonly<Record<string, string>>): string {
  const dir = tempDir('semantic');
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

interface JsonReport {
  roots: { findings: { level: string; file?: string; line?: number; column?: number; message: string }[]; migrations: { effect: string }[] }[];
  warnings: unknown[];
}

test('a reported rule is one warning at the workspace entry, not repeated by the members inheriting it', () => {
  const dir = tree({
    'Cargo.toml': '[workspace]\nmembers = ["a", "b"]\nresolver = "2"\n\n[workspace.dependencies]\nwasmtime = "38.0.0"\n',
    'a/Cargo.toml': pkg('a', 'wasmtime = { workspace = true }'),
    'b/Cargo.toml': pkg('b', 'wasmtime = { workspace = true, features = ["async"] }'),
  });
  const r = runCli(['--to', '39.0.0', '--json'], dir);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as JsonReport;
  const message =
    '`wasmtime`: crossing 39.0.0, `component-model-async` became a default feature, so this entry now builds it: Now part of `default` ' +
    '(still gated at runtime by Config). Only matters for default-features = true builds (new deps/code) ' +
    '(https://github.com/bytecodealliance/wasmtime/pull/11822); check your code';
  assert.deepEqual(report.roots[0]!.findings, [{ level: 'warning', file: 'Cargo.toml', line: 6, column: 1, message }]);
  assert.equal(report.warnings.length, 1);
  const summary = runCli(['--to', '39.0.0'], dir).stderr;
  assert.ok(summary.includes(`  warning: Cargo.toml:6:1: ${message}\n`), summary);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('[features] references follow the rules with their entry\'s default features', () => {
  const dir = tree({
    'Cargo.toml': '[workspace]\nmembers = ["a"]\nresolver = "2"\n',
    'a/Cargo.toml': pkg(
      'a',
      'wasmtime = { version = "26.0.1", default-features = false, optional = true }\nwasmtime-wasi-nn = { version = "35.0.0", optional = true }',
      '\n[features]\ngc = ["wasmtime/gc"]\nnn = ["wasmtime-wasi-nn/onnx"]\n',
    ),
  });
  // Up to 27: `gc` without default features no longer picks a collector, so the item gains `gc-drc`.
  const up = runCli(['--to', '27.0.0', '--no-lift', '--json'], dir);
  assert.equal(up.status, 0, up.stderr);
  assert.match((JSON.parse(up.stdout) as { diff: string }).diff, /^\+gc = \["wasmtime\/gc", "wasmtime\/gc-drc"\]$/m);
  // Down to 34: `onnx` downloads ONNX Runtime again, which no feature list can undo: a warning at the item.
  const down = runCli(['--to', '34.0.2', '--no-lift', '--json'], dir);
  assert.equal(down.status, 0, down.stderr);
  const findings = (JSON.parse(down.stdout) as JsonReport).roots[0]!.findings.filter((f) => f.level === 'warning');
  assert.deepEqual(findings.map((f) => `${f.file}:${f.line}:${f.column}`), ['a/Cargo.toml:12:7']);
  const message = findings[0]!.message;
  assert.ok(message.startsWith('`wasmtime-wasi-nn/onnx` in [features] nn: crossing 35.0.0, `onnx` goes back to what `onnx-download` does now: Until 34.x'), message);
  assert.ok(message.endsWith('(https://github.com/bytecodealliance/wasmtime/pull/11060); check your code'), message);
  fs.rmSync(dir, { recursive: true, force: true });
});
