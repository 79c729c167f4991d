import { embeddedReleaseData } from '../src/family/release-data.js';
/**
 * A root that cannot load (a missing member or path dependency, invalid TOML in one of its manifests, ...) and
 * names nothing of the wasmtime family in any manifest that can be read is skipped with one warning; wherever a
 * family crate is named the error stays an error, and the run stays all or nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { discover } from '../src/discover/index.js';
import { UserError } from '../src/errors.js';
import { readTree, runCli, tempDir, treeDifferences } from './helpers.js';

const pkg = (name: string, extra = ''): string => `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n${extra}`;
const SKIPPED = /cannot be loaded and names no crate of the wasmtime family, so it was skipped$/;
const isFamily = (name: string): boolean => embeddedReleaseData().family(name) !== undefined;
const OPTS = { skipFailuresWithoutFamily: isFamily };

function write(files: Record<string, string>): string {
  const dir = tempDir('unloadable');
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    if (rel.endsWith('/')) continue;
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

/** A good workspace that uses the family, next to the broken one. */
const APP = {
  'app/Cargo.toml': '[workspace]\nmembers = ["a", "b"]\nresolver = "2"\n',
  'app/a/Cargo.toml': pkg('a', '\n[dependencies]\nwasmtime = "26.0.1"\n'),
  'app/b/Cargo.toml': pkg('b', '\n[dependencies]\nwasmtime = "25.0.0"\n'),
};


test('invalid TOML in a member that names no family crate: one warning for the workspace, at the TOML error', () => {
  const dir = write({
    ...APP,
    'tools/Cargo.toml': '[workspace]\nmembers = ["x", "y", "z"]\n',
    'tools/x/Cargo.toml': pkg('x', '\n[dependencies]\nserde = "1"\n'),
    'tools/y/Cargo.toml': pkg('y', '\n[dependencies\nserde = "1"\n'),
    'tools/z/Cargo.toml': pkg('z'),
  });
  const d = discover([dir], OPTS);
  assert.deepEqual(d.roots.map((r) => path.relative(dir, r.manifest.path)), ['app/Cargo.toml']);
  assert.equal(d.warnings.length, 1, 'one warning, although four scanned manifests belong to that workspace');
  const w = d.warnings[0]!;
  assert.deepEqual([path.relative(dir, w.file), w.line], ['tools/y/Cargo.toml', 7]);
  assert.match(w.message, /^invalid TOML: .*; the workspace at \S*tools\/Cargo\.toml cannot be loaded/);
  assert.match(w.message, SKIPPED);
  // Without the option, discovery is cargo's: the first error throws.
  assert.throws(() => discover([dir]), (e: unknown) => e instanceof UserError && /invalid TOML/.test(e.message));
});

test('the same member naming a family crate anywhere in its unparsable text keeps the error', () => {
  const dir = write({
    ...APP,
    'tools/Cargo.toml': '[workspace]\nmembers = ["x", "y"]\n',
    'tools/x/Cargo.toml': pkg('x'),
    'tools/y/Cargo.toml': pkg('y', '\n[dependencies\nwasmtime-wasi = "26.0.1"\n'),
  });
  assert.throws(() => discover([dir], OPTS), (e: unknown) => e instanceof UserError && /invalid TOML/.test(e.message) && e.location?.file.endsWith('tools/y/Cargo.toml') === true);
});

test('a family crate under a renamed key in a target table, or only in [workspace.dependencies], keeps the error', () => {
  const cases: Record<string, Record<string, string>> = {
    renamed: {
      'tools/Cargo.toml': '[workspace]\nmembers = ["x", "gone"]\n',
      'tools/x/Cargo.toml': pkg('x', `\n[target.'cfg(unix)'.dev-dependencies]\nwt = { package = "wasmtime", version = "26.0.1" }\n`),
    },
    workspace: {
      'tools/Cargo.toml': '[workspace]\nmembers = ["x", "gone"]\n\n[workspace.dependencies]\ncranelift-codegen = "0.113.1"\n',
      'tools/x/Cargo.toml': pkg('x'),
    },
    'path dependency': {
      'tools/Cargo.toml': '[workspace]\nmembers = ["x"]\n',
      'tools/x/Cargo.toml': pkg('x', '\n[dependencies]\ngen = { path = "../gen" }\nwiggle = "26.0.1"\n'),
    },
  };
  for (const [name, files] of Object.entries(cases)) {
    const dir = write({ ...APP, ...files });
    assert.throws(() => discover([dir], OPTS), (e: unknown) => e instanceof UserError && /failed to load manifest/.test(e.message), name);
    const r = runCli([], dir);
    assert.equal(r.status, 2, `${name}: ${r.stderr}`);
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('error:')).length, 1, r.stderr);
  }
});

test('a root manifest that is not valid TOML: its members join its one warning, or its error when one names the family', () => {
  const files = { 'tools/Cargo.toml': '[workspace\nmembers = ["x"]\n', 'tools/x/Cargo.toml': pkg('x') };
  const dir = write({ ...APP, ...files });
  const d = discover([dir], OPTS);
  assert.deepEqual(d.roots.map((r) => path.relative(dir, r.manifest.path)), ['app/Cargo.toml']);
  assert.deepEqual(d.warnings.map((w) => [path.relative(dir, w.file), w.line]), [['tools/Cargo.toml', 2]]);
  assert.match(d.warnings[0]!.message, /; \/\S*\/tools\/Cargo\.toml cannot be loaded/);

  const family = write({ ...APP, ...files, 'tools/x/Cargo.toml': pkg('x', '\n[dependencies]\nwasmtime = "26.0.1"\n') });
  assert.throws(() => discover([family], OPTS), (e: unknown) => e instanceof UserError && /invalid TOML/.test(e.message));
});

test('a missing member, a Cargo.toml that is a directory, and a member without [package]: each root is one warning', () => {
  const dir = write({
    ...APP,
    'one/Cargo.toml': '[workspace]\nmembers = ["x", "gone"]\n',
    'one/x/Cargo.toml': pkg('x'),
    'two/Cargo.toml': '[workspace]\nmembers = ["x", "dir"]\n',
    'two/x/Cargo.toml': pkg('x'),
    'two/dir/Cargo.toml/': '',
    'three/Cargo.toml': pkg('three', '\n[dependencies]\nhelper = { path = "helper" }\n[workspace]\n'),
    'three/helper/Cargo.toml': '[lib]\npath = "lib.rs"\n',
  });
  fs.mkdirSync(path.join(dir, 'two/dir/Cargo.toml'), { recursive: true });
  const d = discover([dir], OPTS);
  assert.deepEqual(d.roots.map((r) => path.relative(dir, r.manifest.path)), ['app/Cargo.toml']);
  // (three/helper/Cargo.toml also gets discovery's own warning: it has neither [package] nor [workspace].)
  const skipped = d.warnings.filter((w) => SKIPPED.test(w.message));
  assert.deepEqual(skipped.map((w) => path.relative(dir, w.file)).sort(), ['one/Cargo.toml', 'three/helper/Cargo.toml', 'two/Cargo.toml']);
  assert.match(skipped.find((w) => w.file.endsWith('three/helper/Cargo.toml'))!.message, /^manifest is missing either a `\[package\]` or a `\[workspace\]`; the workspace at \S*three\/Cargo\.toml cannot be loaded/);
});

test('a family-free broken root does not hide a nested root that loads: it is still planned', () => {
  const dir = write({
    'Cargo.toml': '[workspace]\nmembers = ["gone"]\n',
    'examples/demo/Cargo.toml': pkg('demo', '\n[dependencies]\nwasmtime = "25.0.0"\nwasmtime-wasi = "26.0.1"\n\n[workspace]\n'),
  });
  const r = runCli(['--write'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^warning: Cargo\.toml:2:12: failed to load manifest for workspace member `gone` .*; the workspace at Cargo\.toml cannot be loaded and names no crate of the wasmtime family, so it was skipped\n/);
  assert.match(fs.readFileSync(path.join(dir, 'examples/demo/Cargo.toml'), 'utf8'), /wasmtime = "26\.0\.1"/);
});

test('all or nothing still holds: a broken family root stops the run and nothing is written, whatever else is skipped', () => {
  const dir = write({
    ...APP,
    'tools/Cargo.toml': '[workspace]\nmembers = ["gone"]\n',
    'lib/Cargo.toml': '[workspace]\nmembers = ["x", "gone"]\n',
    'lib/x/Cargo.toml': pkg('x', '\n[dependencies]\nwasmtime = "24.0.0"\n'),
  });
  const before = readTree(dir);
  for (const args of [[], ['--write'], ['--write', '--to', '26.0.1']]) {
    const r = runCli(args, dir);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr, "error: lib/Cargo.toml:2:17: failed to load manifest for workspace member `lib/gone` referenced by workspace at `lib/Cargo.toml`: failed to read `lib/gone/Cargo.toml`: No such file or directory\n");
    assert.deepEqual(treeDifferences(readTree(dir), before), [], 'nothing written');
  }
  // --keep-going writes the good root; the family root is its error, the family-free one its warning.
  const r = runCli(['--keep-going', '--json'], dir);
  assert.equal(r.status, 2, r.stderr);
  const report = JSON.parse(r.stdout) as { roots: { manifest: string }[]; errors: { file: string }[]; warnings: { file: string; message: string }[] };
  assert.deepEqual(report.roots.map((x) => x.manifest), ['app/Cargo.toml']);
  assert.deepEqual(report.errors.map((e) => e.file), ['lib/Cargo.toml']);
  assert.deepEqual(report.warnings.map((w) => w.file), ['tools/Cargo.toml']);
  assert.match(report.warnings[0]!.message, SKIPPED);
});
