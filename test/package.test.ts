import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './helpers.js';
import { repoRoot } from './paths.js';

test('the npm package ships the bundled CLI, the compiled API with types, and the transform', () => {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const files = new Set((JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
  for (const f of ['package.json', 'README.md', 'docs/architecture.md', 'data/release-data.json', 'dist/bin/wasmtime-align.js', 'dist/src/cli.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/transforms/wasmtime-align.js']) {
    assert.ok(files.has(f), `${f} is in the package`);
  }
  assert.ok(![...files].some((f) => f.startsWith('dist/test/')), 'tests are not shipped');
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  assert.equal(pkg.bin['wasmtime-align'], 'dist/bin/wasmtime-align.js');
  assert.match(fs.readFileSync(path.join(repoRoot, 'dist/bin/wasmtime-align.js'), 'utf8'), /^#!\/usr\/bin\/env node\n/);
});

test('the bundled CLI runs on its own: package.json, data/ and dist/bin/ alone, no node_modules', () => {
  const dir = tempDir('installed');
  for (const f of ['package.json', 'data/release-data.json', 'dist/bin/wasmtime-align.js']) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(repoRoot, f), path.join(dir, f));
  }
  const version = spawnSync(process.execPath, [path.join(dir, 'dist/bin/wasmtime-align.js'), '--version'], { encoding: 'utf8' });
  assert.equal(version.status, 0, version.stderr);
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  assert.match(version.stdout, new RegExp(`^wasmtime-align ${pkg.version.replace(/\./g, '\\.')} \\(release data \\d{4}-\\d{2}-\\d{2}, newest wasmtime \\d+\\.\\d+\\.\\d+\\)\n$`));
  const demo = spawnSync(process.execPath, [path.join(dir, 'dist/bin/wasmtime-align.js'), path.join(repoRoot, 'examples/mixed-workspace')], { encoding: 'utf8', cwd: repoRoot });
  assert.equal(demo.status, 0, demo.stderr);
  assert.match(demo.stdout, /^diff --git a\/examples\/mixed-workspace\/Cargo\.toml /);
  fs.rmSync(dir, { recursive: true, force: true });
});
