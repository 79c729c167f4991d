/**
 * `--exclude` (names, globs, comma lists, repeated; the crates they pin exactly) and the repository settings in
 * `[workspace.metadata.wasmtime-align]` / `[package.metadata.wasmtime-align]`, with the command line winning.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { readTree, runCli, tempDir, treeDifferences, writeTree } from './helpers.js';

const pkg = (name: string, deps: string, extra = ''): string => `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n${extra}\n[dependencies]\n${deps}\n`;

function workspace(rootExtra = ''): string {
  return writeTree(tempDir('exclude'), {
    'Cargo.toml': `[workspace]\nmembers = ["app", "jit"]\nresolver = "2"\n${rootExtra}`,
    'app/Cargo.toml': pkg('app', 'wasi-common = "36.0.0"\nwiggle = "36.0.0"\nwasmtime = "47.0.3"'),
    'jit/Cargo.toml': pkg('jit', 'cranelift-codegen = "0.133.0"\ncranelift-frontend = "0.133.0"'),
  });
}

const excludedLine = (stderr: string): string | undefined => /^ {2}excluded, left as they are: (.*)$/m.exec(stderr)?.[1];

test('--exclude takes names, globs, comma lists and repeats; pinned crates stay with the crate that pins them', () => {
  const dir = workspace();
  const cases: [string[], string][] = [
    [['--exclude', 'wasi-common'], 'wasi-common, wiggle (pinned exactly by wasi-common)'],
    [['--exclude', 'wasi-common,cranelift-*'], 'cranelift-codegen, cranelift-frontend, wasi-common, wiggle (pinned exactly by wasi-common)'],
    // cranelift-frontend 0.133.0 asks for cranelift-codegen ^0.133.0, which admits that line only: it stays too.
    [['--exclude', 'wasi-common', '--exclude', 'cranelift-frontend'], 'cranelift-codegen (required on its line by cranelift-frontend), cranelift-frontend, wasi-common, wiggle (pinned exactly by wasi-common)'],
    [['--exclude=wasi-?ommon'], 'wasi-common, wiggle (pinned exactly by wasi-common)'],
  ];
  for (const [args, line] of cases) {
    const r = runCli(args, dir);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(excludedLine(r.stderr), line, args.join(' '));
    assert.doesNotMatch(r.stdout, /^[-+]wasi-common|^[-+]wiggle/m, 'excluded entries are not touched');
  }
  const json = JSON.parse(runCli(['--exclude', 'wasi-common', '--json'], dir).stdout) as { roots: { excluded: unknown }[] };
  assert.deepEqual(json.roots[0]!.excluded, [{ crate: 'wasi-common' }, { crate: 'wiggle', heldBy: 'wasi-common' }]);
});

test('an --exclude pattern that matches nothing in use is a warning with the closest family crate', () => {
  const dir = workspace();
  const r = runCli(['--exclude', 'wasi-common', '--exclude', 'cranelift-codegn'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^warning: --exclude cranelift-codegn matches no family crate in use; did you mean `cranelift-codegen`\?$/m);
});

test('settings: exclude, to and exact come from the root; the command line wins; lift = false', () => {
  const dir = workspace('\n[workspace.metadata.wasmtime-align]\nexclude = ["wasi-common"]\nto = "46"\nexact = true\nlift = false\n');
  const r = runCli([], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /wasmtime family at =46\.0\.3 \(`to` setting\)/);
  assert.equal(excludedLine(r.stderr), 'wasi-common, wiggle (pinned exactly by wasi-common)');
  assert.match(r.stdout, /^\+wasmtime = "=46\.0\.3"$/m, 'aligned in place (lift = false)');
  assert.doesNotMatch(r.stdout, /workspace\.dependencies/);

  const cli = runCli(['--to', '47.0.3', '--exclude', 'cranelift-*'], dir);
  assert.equal(cli.status, 2, 'the command line replaces the exclude list: wasi-common must follow again');
  assert.match(cli.stderr, /^error: app\/Cargo\.toml:7:1: `wasi-common` cannot follow wasmtime to 47\.0\.3/m);
});

test('a bad setting is an error at its line, and nothing is written', () => {
  const cases: [string, string][] = [
    ['exlude = ["x"]', 'error: Cargo.toml:6:1: unknown setting `exlude` in [workspace.metadata.wasmtime-align]; the closest is `exclude`.'],
    ['exact = "yes"', 'error: Cargo.toml:6:9: invalid type: `exact` in [workspace.metadata.wasmtime-align] must be true or false'],
    ['exclude = "wasi-common"', 'error: Cargo.toml:6:11: invalid type: `exclude` in [workspace.metadata.wasmtime-align] must be an array of strings'],
    ['to = "99"', 'error: Cargo.toml:6:6: no known wasmtime release on line 99'],
  ];
  for (const [setting, start] of cases) {
    const dir = workspace(`\n[workspace.metadata.wasmtime-align]\n${setting}\n`);
    const before = readTree(dir);
    for (const args of [[], ['--write']]) {
      const r = runCli(args, dir);
      assert.equal(r.status, 2, `${setting}: ${r.stderr}`);
      assert.ok(r.stderr.startsWith(start), `${setting}:\n${r.stderr}`);
    }
    assert.deepEqual(treeDifferences(readTree(dir), before), []);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--exclude holds what the excluded crate requires on its line (a 0.x caret too), through crates not in use', () => {
  const dir = writeTree(tempDir('exclude-ties'), {
    'Cargo.toml': pkg('app', 'cranelift-wasm = "0.112.3"\ncranelift-codegen = "0.112.3"\nwasi-common = "36.0.0"\nwiggle = "36.0.0"\nwiggle-generate = "36.0.0"\nwasmtime = "36.0.0"'),
  });
  const r = runCli(['--to', '46', '--exclude', 'cranelift-wasm,wasi-common', '--json'], dir);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { roots: { excluded: unknown; findings: { level: string; message: string }[] }[] };
  assert.deepEqual(report.roots[0]!.excluded, [
    { crate: 'cranelift-codegen', heldBy: 'cranelift-wasm', tie: 'requirement' },
    { crate: 'cranelift-wasm' },
    { crate: 'wasi-common' },
    { crate: 'wiggle', heldBy: 'wasi-common' },
    { crate: 'wiggle-generate', heldBy: 'wiggle', through: ['wiggle-macro'] },
  ]);
  // wasmtime is what the run aligns to: never held, but moving it off the excluded crates' line is a warning.
  assert.ok(report.roots[0]!.findings.some((f) => f.level === 'warning' && /wasi-common, wiggle \(excluded\) require wasmtime 36: with wasmtime at 46\.0\.3 cargo builds two copies/.test(f.message)));
});
