/**
 * `wasmtime-align notes`: the release notes an upgrade crosses (sections, --all, --json, marks for what the
 * workspace uses, errors), the dry run's count of breaking notes, and the JSON schema (`schemaVersion`,
 * `roots[].crates`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import semver from 'semver';
import { runCli, tempDir } from './helpers.js';
import { repoRoot } from './paths.js';
import { splitSection } from '../src/family/release-notes.js';
import { crateJump } from '../src/plan/crate-changes.js';

interface RawNotes {
  releases: Record<string, { date: string; sections: [string, string][] }>;
}
const notes = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'data', 'release-notes.json'), 'utf8')) as RawNotes).releases;
const BREAKING = ['Changed', 'Removed', 'Security Fixes'];

function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const pkg = (name: string, deps: string): string => `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n${deps}\n`;

/** A workspace on 24.0.0: `a` uses wasmtime with `async`, `b` wasmtime-wasi. */
function on24(name: string): string {
  return writeFiles(tempDir(name), {
    'Cargo.toml': '[workspace]\nmembers = ["a", "b"]\nresolver = "2"\n',
    'a/Cargo.toml': pkg('a', 'wasmtime = { version = "24.0.0", features = ["async"] }'),
    'b/Cargo.toml': pkg('b', 'wasmtime-wasi = "24.0.0"'),
  });
}

/** The releases of the notes in (from, to], where `from`'s own line (a caret requirement admits it) is not crossed. */
function releasesBetween(fromLine: number, to: string): string[] {
  return Object.keys(notes)
    .filter((v) => semver.major(v) > fromLine && semver.lte(v, to))
    .sort(semver.compare);
}

const headings = (md: string): string[] => [...md.matchAll(/^## (\S+) \((\d{4}-\d{2}-\d{2})\)$/gm)].map((m) => m[1]!);

test('notes --to 26.0.1 on 24.0.0: the Changed, Removed and Security Fixes notes of 25.0.x and 26.0.x, nothing of 24 or 27', () => {
  const dir = on24('notes-24-26');
  const r = runCli(['notes', '--to', '26.0.1'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const crossed = releasesBetween(24, '26.0.1');
  assert.deepEqual(crossed, ['25.0.0', '25.0.1', '25.0.2', '25.0.3', '26.0.0', '26.0.1']);
  const withBreaking = crossed.filter((v) => notes[v]!.sections.some(([s]) => BREAKING.includes(s)));
  assert.deepEqual(headings(r.stdout), withBreaking);
  assert.ok(r.stdout.startsWith('# Cargo.toml (workspace of 2 members): wasmtime 24.0.0 -> 26.0.1\n\n6 releases crossed (25.0.0 to 26.0.1); sections: Changed, Removed, Security Fixes'), r.stdout.slice(0, 300));
  for (const v of withBreaking) assert.ok(r.stdout.includes(`## ${v} (${notes[v]!.date})\n`), v);
  // Exactly the breaking sections of those releases, each with all its items.
  const sections = [...r.stdout.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
  const expected = withBreaking.flatMap((v) => notes[v]!.sections.filter(([s]) => BREAKING.includes(s)).map(([s]) => s));
  assert.deepEqual(sections, expected);
  let items = 0;
  for (const v of withBreaking) {
    for (const [s, text] of notes[v]!.sections.filter(([s]) => BREAKING.includes(s))) {
      for (const item of splitSection(text).items) {
        items++;
        const firstLine = item.split('\n')[0]!.replace(/^\* /, '');
        assert.ok(r.stdout.includes(firstLine), `${v} ${s}: ${firstLine}`);
      }
    }
  }
  assert.equal(r.stdout.match(/^\* /gm)?.length, items);
  for (const other of Object.keys(notes).filter((v) => !crossed.includes(v))) assert.ok(!r.stdout.includes(`## ${other} (`), other);
  // The dry run counts the same items and points here.
  const dry = runCli(['--to', '26.0.1'], dir);
  assert.ok(dry.stderr.includes(`  note: the upgrade crosses ${items} breaking release notes (Changed, Removed, Security Fixes; 25.0.0 to 26.0.0): \`wasmtime-align notes --to 26.0.1\` lists them\n`), dry.stderr);
  // --check and --write do not.
  assert.ok(!runCli(['--to', '26.0.1', '--check'], dir).stderr.includes('breaking release notes'));
});

test('notes --all: every section of every release crossed', () => {
  const dir = on24('notes-all');
  const r = runCli(['notes', '--to', '26.0.1', '--all'], dir);
  assert.equal(r.status, 0, r.stderr);
  const crossed = releasesBetween(24, '26.0.1');
  assert.deepEqual(headings(r.stdout), crossed);
  const sections = [...r.stdout.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
  assert.deepEqual(sections, crossed.flatMap((v) => notes[v]!.sections.map(([s]) => s.replace(/\.$/, ''))));
  assert.ok(sections.includes('Added') && sections.includes('Fixed'));
  assert.match(r.stdout, /sections: every section\./);
});

test('notes --json: schemaVersion, each root with from, target and the releases crossed', () => {
  const dir = on24('notes-json');
  const r = runCli(['notes', '--to', '26.0.1', '--json'], dir);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as {
    schemaVersion: number;
    sections: unknown;
    roots: { manifest: string; from: string; target: string; releases: { version: string; date: string; sections: { name: string; items: { text: string; uses: { crate: string; feature?: string }[] }[] }[] }[] }[];
  };
  assert.deepEqual(Object.keys(j), ['schemaVersion', 'sections', 'roots']);
  assert.equal(j.schemaVersion, 1);
  assert.deepEqual(j.sections, BREAKING);
  assert.equal(j.roots.length, 1);
  const root = j.roots[0]!;
  assert.deepEqual([root.manifest, root.from, root.target], ['Cargo.toml', '24.0.0', '26.0.1']);
  assert.deepEqual(root.releases.map((x) => x.version), releasesBetween(24, '26.0.1'));
  for (const rel of root.releases) {
    assert.equal(rel.date, notes[rel.version]!.date);
    assert.deepEqual(rel.sections.map((s) => s.name), notes[rel.version]!.sections.map(([s]) => s).filter((s) => BREAKING.includes(s)));
    for (const s of rel.sections) for (const i of s.items) assert.ok(!i.text.startsWith('* ') && Array.isArray(i.uses));
  }
  const all = JSON.parse(runCli(['notes', '--to', '26.0.1', '--json', '--all'], dir).stdout) as typeof j;
  assert.equal(all.sections, 'all');
});

test('notes: items naming a crate or a feature the workspace uses come first in their section, marked', () => {
  const dir = on24('notes-marks');
  const r = runCli(['notes', '--to', '26.0.1'], dir);
  // 25.0.0 Changed: an item on wasmtime-wasi's internals, listed seventh in the release notes, comes first.
  const changed = r.stdout.split('## 25.0.0 (2024-09-20)\n\n### Changed\n\n')[1]!;
  assert.ok(changed.startsWith('* **[uses `wasmtime-wasi`]** The internal implementation of `input-stream` and `output-stream` for\n  filesystems in `wasmtime-wasi`'), changed.slice(0, 200));
  // `wasmtime` alone is not a mention of the crate: nearly every note says Wasmtime.
  assert.ok(r.stdout.includes('\n* Wasmtime now uses the new "user" stack maps'));
  const j = JSON.parse(runCli(['notes', '--to', '26.0.1', '--json'], dir).stdout) as { roots: { releases: { sections: { items: { uses: unknown[] }[] }[] }[] }[] };
  const first = j.roots[0]!.releases[0]!.sections[0]!.items[0]!;
  assert.deepEqual(first.uses, [{ crate: 'wasmtime-wasi' }]);

  // A feature: component-model-async became a default feature at 39.0.0.
  const host = writeFiles(tempDir('notes-feature'), { 'Cargo.toml': pkg('host', 'wasmtime = { version = "38.0.4", features = ["component-model-async"] }') });
  const f = runCli(['notes', '--to', '39.0.2'], host);
  assert.equal(f.status, 0, f.stderr);
  assert.ok(f.stdout.startsWith('# Cargo.toml (package host): wasmtime 38.0.4 -> 39.0.2\n'), f.stdout.slice(0, 100));
  assert.ok(f.stdout.includes('### Changed\n\n* **[uses wasmtime feature `component-model-async`]** The `component-model-async` Cargo feature is now on-by-default.'), f.stdout.slice(0, 800));
});

test('notes without --to: the target a bare run chooses', () => {
  const dir = writeFiles(tempDir('notes-bare'), {
    'Cargo.toml': '[workspace]\nmembers = ["a", "b"]\nresolver = "2"\n',
    'a/Cargo.toml': pkg('a', 'wasmtime = "24.0.0"'),
    'b/Cargo.toml': pkg('b', 'wasmtime = "26.0.1"'),
  });
  const r = runCli(['notes', '--json'], dir);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { roots: { from: string; target: string; releases: { version: string }[] }[] };
  assert.equal(j.roots[0]!.target, '26.0.1');
  assert.deepEqual(j.roots[0]!.releases.map((x) => x.version), releasesBetween(24, '26.0.1'));
  // Already aligned: nothing crossed.
  const aligned = writeFiles(tempDir('notes-aligned'), { 'Cargo.toml': pkg('p', 'wasmtime = "26.0.1"') });
  const a = runCli(['notes'], aligned);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(a.stdout, '# Cargo.toml (package p): no release crossed on the way to wasmtime 26.0.1\n');
});

test('notes: errors are one cargo-style line and exit 2', () => {
  const dir = on24('notes-errors');
  const unknown = runCli(['notes', '--to', '99'], dir);
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stdout, '');
  assert.match(unknown.stderr, /^error: no known wasmtime release on line 99; /);
  assert.equal(unknown.stderr.split('\n').length, 2);
  const bad = runCli(['notes', '--to', 'x'], dir);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, "error: invalid value 'x' for '--to <version>': expected a version like 26.0.1, a line like 26, or latest\n\nFor more information, try '--help'.\n");
  for (const flag of ['--write', '--check', '--update-lock', '--refresh', '--exact']) {
    const r = runCli(['notes', flag], dir);
    assert.equal(r.status, 2, flag);
    assert.equal(
      r.stderr,
      `error: unexpected argument '${flag}' found\n\n  tip: '${flag}' is an option of the default run, not of 'notes'\n\nUsage: wasmtime-align notes [OPTIONS] [PATHS]...\n\nFor more information, try '--help'.\n`,
    );
  }
  const all = runCli(['--all'], dir);
  assert.equal(all.status, 2);
  assert.match(all.stderr, /^error: unexpected argument '--all' found/);
});

test('notes: a crate that cannot follow (a plan error) does not hide the notes the other crates cross', () => {
  // wasi-common ends at 46: the run stops there, but what moving wasmtime to 47 means is what the user needs now.
  const cannot = writeFiles(tempDir('notes-cannot'), { 'Cargo.toml': pkg('p', 'wasmtime = "46.0.0"\nwasi-common = "46.0.0"') });
  const run = runCli(['--to', '47.0.3'], cannot);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /^error: Cargo\.toml:8:1: `wasi-common` cannot follow wasmtime to 47\.0\.3: /);
  const c = runCli(['notes', '--to', '47.0.3', '--json'], cannot);
  assert.equal(c.status, 0, c.stderr);
  const j = JSON.parse(c.stdout) as { roots: { target: string; releases: { version: string }[] }[] };
  assert.equal(j.roots[0]!.target, '47.0.3');
  assert.deepEqual(j.roots[0]!.releases.map((x) => x.version), releasesBetween(46, '47.0.3'));
});

test('JSON schema: schemaVersion, roots[].crates with from (as written, unique, sorted), to, members; companions included', () => {
  const dir = writeFiles(tempDir('schema-crates'), {
    'Cargo.toml': '[workspace]\nmembers = ["jit", "aot"]\nresolver = "2"\n',
    'jit/Cargo.toml': pkg('jit', 'wasmtime = "25.0.0"\ncranelift-codegen = "0.112.0"'),
    'aot/Cargo.toml': pkg('aot', 'cranelift-codegen = "0.110"\nwasmtime = "25.0.0"'),
  });
  const r = runCli(['--json', '--to', '26.0.1'], dir);
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { schemaVersion: number; roots: { crates: unknown }[] };
  assert.equal(report.schemaVersion, 1);
  assert.deepEqual(report.roots[0]!.crates, [
    { name: 'cranelift-codegen', from: ['0.110', '0.112.0'], to: '0.113.1', members: ['aot/Cargo.toml', 'jit/Cargo.toml'] },
    { name: 'wasmtime', from: ['25.0.0'], to: '26.0.1', members: ['aot/Cargo.toml', 'jit/Cargo.toml'] },
  ]);
  assert.equal(
    r.stderr.split('\n').slice(2, 5).join('\n'),
    '  crate              before            after    members\n' +
      '  cranelift-codegen  0.110, 0.112.0 -> 0.113.1  aot, jit  major\n' +
      '  wasmtime           25.0.0         -> 26.0.1   aot, jit  major',
  );
  // A downgrade is marked as one; to another line, as a major one too.
  const down = runCli(['--to', '24.0.0'], dir);
  assert.match(down.stderr, /\n {2}wasmtime +25\.0\.0 +-> 24\.0\.0 +aot, jit +major downgrade\n/);
  // doctor --json carries the same schemaVersion.
  const doc = JSON.parse(runCli(['doctor', '--json'], dir).stdout) as { schemaVersion: number };
  assert.equal(doc.schemaVersion, 1);
});

test('crate table marks: major, downgrade, major downgrade (as cargo upgrade, and both when both)', () => {
  const row = (from: string[], to: string) => ({ name: 'wasmtime', from, to, members: [] }) as unknown as Parameters<typeof crateJump>[0];
  assert.equal(crateJump(row(['25.0.0'], '26.0.1')), 'major');
  assert.equal(crateJump(row(['26.0.0'], '26.0.1')), undefined);
  assert.equal(crateJump(row(['37.0.1'], '37.0.0')), 'downgrade');
  assert.equal(crateJump(row(['47.0.0'], '36.0.2')), 'major downgrade');
  assert.equal(crateJump(row(['0.113.1'], '0.112.0')), 'major downgrade');
  assert.equal(crateJump(row(['0.113.1'], '0.113.0')), 'downgrade');
});
