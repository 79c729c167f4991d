/** The hakari section finder (src/manifest/hakari-section.ts): which lines cargo-hakari owns. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dependencyEntries } from '../src/manifest/dependencies.js';
import { hakariSections, inHakariSection } from '../src/manifest/hakari-section.js';
import { parseManifest } from '../src/manifest/read.js';

const HEAD = '[package]\nname = "workspace-hack"\nversion = "0.1.0"\n\n';
const SECTION = '### BEGIN HAKARI SECTION\n[dependencies]\nwasmtime = { version = "26.0.1", features = ["async"] }\n\n### END HAKARI SECTION\n';

test('a section as cargo-hakari writes it: from the BEGIN line to the END line, markers included', () => {
  assert.deepEqual(hakariSections(`${HEAD}${SECTION}`), [{ startLine: 5, endLine: 9, closed: true }]);
  // The empty section `cargo hakari init` writes.
  assert.deepEqual(hakariSections(`${HEAD}### BEGIN HAKARI SECTION\n### END HAKARI SECTION\n`), [{ startLine: 5, endLine: 6, closed: true }]);
});

test('no marker, or only an END marker: no section', () => {
  assert.deepEqual(hakariSections(HEAD), []);
  assert.deepEqual(hakariSections(`${HEAD}### END HAKARI SECTION\n[dependencies]\n`), []);
  // Mentioned in a comment or a string is not a marker line.
  assert.deepEqual(hakariSections(`${HEAD}# see ### BEGIN HAKARI SECTION below\ndescription = "### BEGIN HAKARI SECTION"\n`), []);
});

test('CRLF line ends: the same lines (cargo-hakari itself only matches LF, so it would refuse this checkout)', () => {
  const crlf = `${HEAD}${SECTION}`.replace(/\n/g, '\r\n');
  assert.deepEqual(hakariSections(crlf), [{ startLine: 5, endLine: 9, closed: true }]);
});

test('markers with trailing spaces, tabs or a CR still count; indented or prefixed ones do not', () => {
  const spaced = `${HEAD}### BEGIN HAKARI SECTION  \t\n[dependencies]\nwasmtime = "26.0.1"\n### END HAKARI SECTION \n`;
  assert.deepEqual(hakariSections(spaced), [{ startLine: 5, endLine: 8, closed: true }]);
  assert.deepEqual(hakariSections(`${HEAD}  ### BEGIN HAKARI SECTION\n### END HAKARI SECTION\n`), []);
  assert.deepEqual(hakariSections(`${HEAD}#### BEGIN HAKARI SECTION\n### END HAKARI SECTION\n`), []);
  assert.deepEqual(hakariSections(`${HEAD}### BEGIN HAKARI SECTIONS\n### END HAKARI SECTION\n`), []);
});

test('no END marker: the section runs to the end of the file (cargo-hakari refuses such a file; nothing after BEGIN is edited)', () => {
  assert.deepEqual(hakariSections(`${HEAD}### BEGIN HAKARI SECTION\n[dependencies]\nwasmtime = "26.0.1"\n`), [{ startLine: 5, endLine: 7, closed: false }]);
  // Without a final newline, and with BEGIN as the last line.
  assert.deepEqual(hakariSections(`${HEAD}### BEGIN HAKARI SECTION\n[dependencies]\nwasmtime = "26.0.1"`), [{ startLine: 5, endLine: 7, closed: false }]);
  assert.deepEqual(hakariSections(`${HEAD}### BEGIN HAKARI SECTION\n`), [{ startLine: 5, endLine: 5, closed: false }]);
});

test('each BEGIN pairs with the first END after it; a second section is found too; BEGIN on the first line counts', () => {
  const two = `### BEGIN HAKARI SECTION\n[dependencies]\n### BEGIN HAKARI SECTION\n### END HAKARI SECTION\n### END HAKARI SECTION\n\n### BEGIN HAKARI SECTION\n[build-dependencies]\n### END HAKARI SECTION\n`;
  assert.deepEqual(hakariSections(two), [
    { startLine: 1, endLine: 4, closed: true },
    { startLine: 7, endLine: 9, closed: true },
  ]);
});

test('entries inside a section are recognised in every style; entries outside are not', () => {
  const text =
    `${HEAD}[dev-dependencies]\nwasmtime-wasi = "25.0.0"\n\n` +
    '### BEGIN HAKARI SECTION\n[dependencies]\nwasmtime = { version = "26.0.1" }\ncranelift-codegen.version = "0.113.1"\n\n' +
    '[build-dependencies.wiggle]\nversion = "26.0.1"\n### END HAKARI SECTION\n\n' +
    "[target.'cfg(unix)'.dependencies]\nwasmtime-fiber = \"25.0.0\"\n";
  const m = parseManifest('/virtual/Cargo.toml', Buffer.from(text));
  const inside = dependencyEntries(m).map((e) => [e.key, inHakariSection(e)]);
  assert.deepEqual(inside, [
    ['wasmtime-wasi', false],
    ['wasmtime', true],
    ['cranelift-codegen', true],
    ['wiggle', true],
    ['wasmtime-fiber', false],
  ]);
});
