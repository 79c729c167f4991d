/**
 * Generated and vendored manifests through the command line: hakari sections are named once per file and
 * followed by `cargo hakari generate` after a write, an edit that would land in one is refused, and vendored
 * directories are one note each and listed in the JSON report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixturesDir } from './paths.js';
import { copyTree, readTree, runCli, tempDir, treeDifferences, writeTree } from './helpers.js';

const REGISTRY = 'source = "registry+https://github.com/rust-lang/crates.io-index"';

/** The hakari-section fixture, with a Cargo.lock holding the family crates it uses. */
function hakariWorkspace(lock = true): string {
  const dir = copyTree(path.join(fixturesDir, 'hakari-section', 'input'), path.join(tempDir('hakari'), 'ws'));
  if (lock) {
    // What cargo locked before the run: b on wasmtime 25.0.0, the hakari section on 27.0.0 (it mirrors the lock).
    const member = (n: string, deps: string[]): string => `[[package]]\nname = "${n}"\nversion = "0.1.0"\ndependencies = [\n${deps.map((d) => ` "${d}",\n`).join('')}]\n`;
    const pkgs = [['cranelift-codegen', '0.114.0'], ['wasmtime', '25.0.0'], ['wasmtime', '26.0.1'], ['wasmtime', '27.0.0'], ['wasmtime-environ', '27.0.0'], ['wasmtime-wasi', '25.0.0']];
    const text = [
      'version = 4',
      '',
      member('a', ['wasmtime 26.0.1', 'workspace-hack']),
      member('b', ['wasmtime 25.0.0', 'workspace-hack']),
      member('workspace-hack', ['cranelift-codegen', 'wasmtime 27.0.0', 'wasmtime-environ', 'wasmtime-wasi']),
      ...pkgs.map(([n, v]) => `[[package]]\nname = "${n}"\nversion = "${v}"\n${REGISTRY}\nchecksum = "${'0'.repeat(64)}"\n`),
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'Cargo.lock'), text);
  }
  return dir;
}

test('--write: the lock refresh, then cargo hakari generate for the root with a hakari section', () => {
  const dir = hakariWorkspace();
  const r = runCli(['--write'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(
    r.stderr.endsWith(
      // The section's requirements are not checked: `cargo hakari generate` writes them from the refreshed lock.
      'note: Cargo.lock no longer matches the manifests (wasmtime 25.0.0 for "26.0.1"; wasmtime-wasi 25.0.0 for "26.0.1"); refresh it with:\n' +
        '  cargo update --manifest-path Cargo.toml --workspace\n  cargo update --manifest-path Cargo.toml -p wasmtime@26 -p wasmtime-wasi@26 --precise 26.0.1\n' +
        'note: then regenerate the hakari section with:\n  cargo hakari generate\n',
    ),
    r.stderr,
  );
  assert.match(r.stderr, /^ {2}note: crates\/workspace-hack\/Cargo\.toml:19: hakari section \(lines 19-29\) left as generated; run `cargo hakari generate` after updating Cargo\.lock$/m);
  // The section is byte for byte what it was.
  const section = (text: string) => text.slice(text.indexOf('### BEGIN'), text.indexOf('### END'));
  const file = 'crates/workspace-hack/Cargo.toml';
  assert.equal(section(fs.readFileSync(path.join(dir, file), 'utf8')), section(fs.readFileSync(path.join(fixturesDir, 'hakari-section', 'input', file), 'utf8')));
});

test('--write without a Cargo.lock, and from above the root: cargo hakari generate runs in the root directory', () => {
  const dir = hakariWorkspace(false);
  const r = runCli(['--write', 'ws'], path.dirname(dir));
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stderr.endsWith('wrote 4 files\nnote: regenerate the hakari section with:\n  (cd ws && cargo hakari generate)\n'), r.stderr);
  // Already aligned: nothing written, nothing to follow up.
  const again = runCli(['--write', 'ws'], path.dirname(dir));
  assert.doesNotMatch(again.stderr, /regenerate/);
});

test('--update-lock runs the lock refresh, then prints the cargo hakari generate it does not run', () => {
  const dir = hakariWorkspace();
  const bin = tempDir('fake-cargo');
  const log = path.join(bin, 'calls.txt');
  fs.writeFileSync(path.join(bin, 'cargo'), `#!/bin/sh\necho "$@" >> '${log}'\nexit 0\n`, { mode: 0o755 });
  const r = runCli(['--write', '--update-lock'], dir, { PATH: `${bin}${path.delimiter}${process.env.PATH}` });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.readFileSync(log, 'utf8'), 'update --manifest-path Cargo.toml --workspace\nupdate --manifest-path Cargo.toml -p wasmtime@26 -p wasmtime-wasi@26 --precise 26.0.1\n');
  assert.ok(r.stderr.endsWith('note: then regenerate the hakari section with:\n  cargo hakari generate\n'), r.stderr);
});

test('--json: roots[].generated names each hakari section; vendored lists the skipped vendor directories', () => {
  const hakari = JSON.parse(runCli(['--json'], hakariWorkspace(false)).stdout) as { roots: { generated: unknown }[]; vendored: unknown };
  assert.deepEqual(hakari.roots[0]?.generated, [{ kind: 'hakari', file: 'crates/workspace-hack/Cargo.toml', startLine: 19, endLine: 29, closed: true }]);
  assert.deepEqual(hakari.vendored, []);

  const vendored = JSON.parse(runCli(['--json'], path.join(fixturesDir, 'vendored-crates', 'input')).stdout) as { roots: { manifest: string }[]; vendored: unknown };
  assert.deepEqual(vendored.roots.map((r) => r.manifest), ['Cargo.toml']);
  assert.deepEqual(vendored.vendored, [{ path: 'vendor', crates: 2, source: null }]);

  const source = JSON.parse(runCli(['--json'], path.join(fixturesDir, 'vendor-directory-source', 'input')).stdout) as { roots: { manifest: string }[]; vendored: unknown };
  assert.deepEqual(source.roots.map((r) => r.manifest), ['Cargo.toml']);
  assert.deepEqual(source.vendored, [{ path: 'third_party/rust', crates: 2, source: { config: '.cargo/config.toml', name: 'vendored-sources' } }]);
});

test('a path inside a vendored crate changes nothing and says why', () => {
  const dir = copyTree(path.join(fixturesDir, 'vendored-crates', 'input'), path.join(tempDir('vendored'), 'work'));
  const before = readTree(dir);
  for (const p of ['vendor/wasmtime-wasi', 'vendor/wasmtime-wasi/Cargo.toml']) {
    const r = runCli(['--write', '--to', '26.0.1', p], dir);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, 'note: vendor: 1 vendored crate skipped (cargo vendor output)\nnothing to change\n');
  }
  assert.deepEqual(treeDifferences(readTree(dir), before), []);
});

test('a hakari section without an END line protects the rest of the file, and the note says the line is missing', () => {
  const dir = tempDir('hakari-open');
  const files: Record<string, string> = {
    'Cargo.toml': '[workspace]\nmembers = ["a", "hack"]\nresolver = "2"\n',
    'a/Cargo.toml': '[package]\nname = "a"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = "26.0.1"\n',
    'hack/Cargo.toml': '[package]\nname = "hack"\nversion = "0.1.0"\nedition = "2021"\n\n### BEGIN HAKARI SECTION\r\n[dependencies]\nwasmtime = "25.0.0"\n',
  };
  writeTree(dir, files);
  const r = runCli(['--write'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(fs.readFileSync(path.join(dir, 'hack/Cargo.toml'), 'utf8'), files['hack/Cargo.toml']);
  assert.match(r.stderr, /note: hack\/Cargo\.toml:6: hakari section \(lines 6-8, no `### END HAKARI SECTION` line\) left as generated/);
  assert.match(r.stderr, /lifted into \[workspace\.dependencies\]: wasmtime \(1 member entry\)/);
});

test('an edit that would land inside a hakari section is refused, and nothing is written', () => {
  const dir = tempDir('hakari-guard');
  const files: Record<string, string> = {
    'Cargo.toml': '[workspace]\nmembers = ["a", "b"]\nresolver = "2"\n\n### BEGIN HAKARI SECTION\n[workspace.dependencies]\nserde = "1"\n### END HAKARI SECTION\n',
    'a/Cargo.toml': '[package]\nname = "a"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = "26.0.1"\n',
    'b/Cargo.toml': '[package]\nname = "b"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = "25.0.0"\n',
  };
  writeTree(dir, files);
  const before = readTree(dir);
  const r = runCli(['--write'], dir);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, 'error: Cargo.toml:5: the planned changes would edit the hakari section (lines 5-8), which `cargo hakari generate` owns; move the table that changes out of the section, or change it by hand\n');
  assert.deepEqual(treeDifferences(readTree(dir), before), []);
  // Aligning in place edits only the members: that works.
  assert.equal(runCli(['--write', '--no-lift'], dir).status, 0);
});
