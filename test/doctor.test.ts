/**
 * `doctor`: byte-exact fixtures, the lock reader on its own, and every corpus repository.
 *
 * Each `__fixtures__/doctor/<case>/` holds:
 *   input/        the tree doctor runs on (paths in the outputs are relative to it)
 *   cargo-home/   optional: a $CARGO_HOME with unpacked third-party manifests (otherwise none is read)
 *   expected.txt  the exact text output (PLAIN style), or the error line for bad input
 *   expected.json the exact JSON (`toJson`), absent for an error
 *   status        the exit status when not 0 (1: problems found, 2: an error)
 * UPDATE_FIXTURES=1 rewrites the expectations from the actual results (review them before committing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { doctor, doctorExitCode, formatDoctor, toJson, type DoctorReport } from '../src/doctor/index.js';
import { parseLock } from '../src/doctor/lock.js';
import { formatUserError, UserError } from '../src/errors.js';
import { COLOR, PLAIN } from '../src/output/style.js';
import { corpusDir, fixturesDir } from './paths.js';

const doctorFixtures = path.join(fixturesDir, 'doctor');

const update = process.env.UPDATE_FIXTURES === '1';
const cases = fs
  .readdirSync(doctorFixtures)
  .filter((n) => fs.existsSync(path.join(doctorFixtures, n, 'input')))
  .sort();

interface Outcome {
  readonly text: string;
  readonly json: string | undefined;
  readonly status: number;
}

function run(dir: string): Outcome {
  const input = path.join(dir, 'input');
  const home = path.join(dir, 'cargo-home');
  try {
    const report = doctor([input], { cargoHome: fs.existsSync(home) ? home : null });
    return { text: formatDoctor(report, input, PLAIN), json: `${JSON.stringify(toJson(report, input), null, 2)}\n`, status: doctorExitCode(report) };
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return { text: `${formatUserError(e, input)}\n`, json: undefined, status: 2 };
  }
}

test('the doctor fixtures are there', () => {
  assert.ok(cases.length >= 12, `found ${cases.join(', ')}`);
});

for (const name of cases) {
  test(`doctor fixture ${name}`, () => {
    const dir = path.join(doctorFixtures, name);
    const file = (f: string): string => path.join(dir, f);
    const read = (f: string): string | undefined => (fs.existsSync(file(f)) ? fs.readFileSync(file(f), 'utf8') : undefined);
    const got = run(dir);
    if (update) {
      fs.writeFileSync(file('expected.txt'), got.text);
      if (got.json !== undefined) fs.writeFileSync(file('expected.json'), got.json);
      else fs.rmSync(file('expected.json'), { force: true });
      if (got.status !== 0) fs.writeFileSync(file('status'), `${got.status}\n`);
      else fs.rmSync(file('status'), { force: true });
    }
    assert.equal(got.text, read('expected.txt'), 'text output');
    assert.equal(got.json, read('expected.json'), 'JSON output');
    assert.equal(got.status, Number(read('status') ?? '0'), 'exit status');
  });
}

test('doctor: the report is plain JSON and the same on a second run', () => {
  const input = path.join(doctorFixtures, 'two-lines', 'input');
  const opts = { cargoHome: path.join(doctorFixtures, 'two-lines', 'cargo-home') };
  const a = doctor([input], opts);
  assert.deepEqual(JSON.parse(JSON.stringify(a)), a);
  assert.deepEqual(doctor([input], opts), a);
});

test('doctor: the chain names the third-party crate and, from its manifest, its requirement', () => {
  const dir = path.join(doctorFixtures, 'two-lines');
  const withHome = doctor([path.join(dir, 'input')], { cargoHome: path.join(dir, 'cargo-home') });
  const old = withHome.roots[0]!.family.find((c) => c.name === 'wasmtime')!.versions.find((v) => v.version === '24.0.2')!;
  assert.deepEqual(old.chains!.map((c) => [c.path.map((p) => p.name).join(' > '), c.holder?.name, c.holder?.kind, c.holder?.requirement]), [
    ['plugins > some-plugin-host > wasmtime', 'some-plugin-host', 'third-party', '^24'],
  ]);
  // Without a manifest of it on disk the crate is still named, with no requirement.
  const bare = doctor([path.join(dir, 'input')], { cargoHome: null });
  const holder = bare.roots[0]!.family.find((c) => c.name === 'wasmtime')!.versions[1]!.chains![0]!.holder!;
  assert.deepEqual([holder.name, holder.version, holder.requirement], ['some-plugin-host', '1.2.0', null]);
  // (Both locked lines are older than security fixes of theirs: those warnings are about the releases, not the chain.)
  const withoutSecurity = { ...bare, roots: bare.roots.map((r) => ({ ...r, drift: r.drift.filter((f) => f.kind !== 'security') })) };
  assert.equal(doctorExitCode(withoutSecurity), 0, 'a second line held by a dependency is reported, not a problem');
});

test('doctor: colour only styles the text', () => {
  const input = path.join(doctorFixtures, 'drift-releases', 'input');
  const report = doctor([input], { cargoHome: null });
  const colored = formatDoctor(report, input, COLOR);
  assert.match(colored, /\u001b\[33mwarning\u001b\[39m/);
  assert.equal(colored.replace(/\u001b\[\d+m/g, ''), formatDoctor(report, input, PLAIN));
});

// ---------------------------------------------------------------------------------------------------------------
// The lock reader on its own.

const REG = 'registry+https://github.com/rust-lang/crates.io-index';
const pkg = (name: string, version: string, extra = ''): string => `[[package]]\nname = "${name}"\nversion = "${version}"\n${extra}\n`;
const deps = (...d: string[]): string => `dependencies = [\n${d.map((x) => ` "${x}",\n`).join('')}]\n`;

test('lock: the format is 3 or 4 from `version`, else 1 or 2 as cargo tells them apart', () => {
  const two = pkg('a', '0.1.0', deps('b')) + pkg('b', '1.0.0', `source = "${REG}"\n`);
  assert.equal(parseLock('/x/Cargo.lock', `version = 4\n\n${two}`).version, 4);
  assert.equal(parseLock('/x/Cargo.lock', `version = 3\n\n${two}`).version, 3);
  // An abbreviated dependency (no version) only exists from format 2 on.
  assert.equal(parseLock('/x/Cargo.lock', two).version, 2);
  // An inline checksum, too.
  assert.equal(parseLock('/x/Cargo.lock', pkg('a', '0.1.0', deps(`b 1.0.0 (${REG})`)) + pkg('b', '1.0.0', `source = "${REG}"\nchecksum = "00"\n`)).version, 2);
  // Every dependency spelled out, checksums in [metadata]: format 1.
  const v1 = pkg('a', '0.1.0', deps(`b 1.0.0 (${REG})`)) + pkg('b', '1.0.0', `source = "${REG}"\n`) + `[metadata]\n"checksum b 1.0.0 (${REG})" = "00"\n`;
  assert.equal(parseLock('/x/Cargo.lock', v1).version, 1);
  // cargo's special case: one package and a single final newline is format 2 (nothing else could tell).
  assert.equal(parseLock('/x/Cargo.lock', 'package = [{ name = "a", version = "0.1.0" }]\n').version, 2);
  assert.equal(parseLock('/x/Cargo.lock', 'package = [{ name = "a", version = "0.1.0" }]\n\n').version, 1);
});

test('lock: dependency strings resolve exactly as cargo resolves them', () => {
  const lock = parseLock(
    '/x/Cargo.lock',
    'version = 3\n\n' +
      pkg('app', '0.1.0', deps('log', 'bitflags 1.3.2', 'bitflags 2.6.0', `serde 1.0.0 (${REG})`, 'serde 1.0.0', 'dup', 'gone')) +
      pkg('bitflags', '1.3.2', `source = "${REG}"\n`) +
      pkg('bitflags', '2.6.0', `source = "${REG}"\n`) +
      pkg('dup', '1.0.0', `source = "${REG}"\n`) +
      pkg('dup', '2.0.0', `source = "${REG}"\n`) +
      pkg('log', '0.4.22', `source = "${REG}"\n`) +
      pkg('serde', '1.0.0', `source = "${REG}"\n`) +
      // A git copy of serde at the same version, and a path one: `serde 1.0.0` without a source is the path one.
      pkg('serde', '1.0.0', 'source = "git+https://github.com/serde-rs/serde?branch=x#abc"\n') +
      pkg('serde', '1.0.0'),
  );
  const app = lock.packages.find((p) => p.name === 'app')!;
  const named = app.deps.map((i) => lock.packages[i]!).map((p) => `${p.name} ${p.version} ${p.kind}`);
  assert.deepEqual(named, ['log 0.4.22 registry', 'bitflags 1.3.2 registry', 'bitflags 2.6.0 registry', 'serde 1.0.0 registry', 'serde 1.0.0 path']);
  // `dup` alone is ambiguous and `gone` names nothing: cargo drops both silently; doctor keeps them for a note.
  assert.deepEqual(lock.unresolved.map((u) => [u.dependency, u.line]), [['dup', 12], ['gone', 13]]);
});

test('lock: a v1 source matches whatever commit it pins (cargo ignores the precise part)', () => {
  const git = 'git+https://github.com/o/r?rev=1';
  const lock = parseLock('/x/Cargo.lock', pkg('a', '0.1.0', deps(`r 1.0.0 (${git}#deadbeef)`)) + pkg('r', '1.0.0', `source = "${git}#cafe"\n`) + '\n');
  assert.deepEqual(lock.packages[0]!.deps, [1]);
  assert.equal(lock.version, 1);
});

test('lock: the `[root]` table of the oldest locks is one more package', () => {
  const lock = parseLock('/x/Cargo.lock', `[root]\nname = "app"\nversion = "0.1.0"\n${deps(`wasmtime 0.2.0 (${REG})`)}\n${pkg('wasmtime', '0.2.0', `source = "${REG}"\n`)}`);
  assert.deepEqual(lock.packages.map((p) => [p.name, p.kind, p.deps, p.line]), [['app', 'path', [1], 1], ['wasmtime', 'registry', [], 8]]);
  assert.equal(lock.version, 1);
});

test('lock: input cargo rejects is a UserError with its position', () => {
  const err = (text: string): string => {
    try {
      parseLock('/x/Cargo.lock', text);
    } catch (e) {
      assert.ok(e instanceof UserError);
      return formatUserError(e, '/x');
    }
    assert.fail('no error');
  };
  assert.equal(err('version = 5\n'), 'error: Cargo.lock:1:11: lock file version `5` was found, but this version of Cargo does not understand this lock file, perhaps Cargo needs to be updated?');
  assert.equal(err('version = "3"\n'), 'error: Cargo.lock:1:11: invalid type for `version`: expected an integer, found string "3"');
  assert.equal(err('version = 3\n\n[[package]]\nversion = "1.0.0"\n'), 'error: Cargo.lock:3:1: missing field `name` in a package');
  assert.equal(err('version = 3\n\n[[package]]\nname = "a"\nversion = "1.0"\n'), 'error: Cargo.lock:5:11: invalid version `1.0` of package `a`: not a semantic version');
  assert.equal(err(`version = 3\n\n${pkg('a', '1.0.0', deps('b 1.0.0 registry'))}`), 'error: Cargo.lock:7:2: invalid serialized PackageId for key `package.dependencies`: `b 1.0.0 registry`');
  assert.match(err('version = 3\n[[package]\n'), /^error: Cargo\.lock:3:1: invalid TOML: unterminated table-key$/);
});

// ---------------------------------------------------------------------------------------------------------------
// The corpus: doctor reads every real workspace without throwing, quickly.

const repos = fs.existsSync(corpusDir) ? fs.readdirSync(corpusDir).filter((n) => fs.statSync(path.join(corpusDir, n)).isDirectory()).sort() : [];

test('doctor on every corpus repository', (t) => {
  if (repos.length === 0) {
    t.skip(`no corpus at ${corpusDir}`);
    return;
  }
  const started = performance.now();
  for (const repo of repos) {
    const t0 = performance.now();
    const report = doctor([path.join(corpusDir, repo)], { cargoHome: null });
    formatDoctor(report, path.join(corpusDir, repo), PLAIN);
    t.diagnostic(`${repo}: ${summary(report)} (${Math.round(performance.now() - t0)} ms)`);
  }
  const ms = performance.now() - started;
  t.diagnostic(`whole corpus: ${Math.round(ms)} ms`);
  assert.ok(ms < 10_000, `the corpus took ${Math.round(ms)} ms`);
});

/** `2 roots with the family, locks v4, wasmtime 39.0.2 + 1 more line, exit 1 (1 warning, 0 notes)` */
function summary(report: DoctorReport): string {
  const used = report.roots.filter((r) => r.usesFamily);
  const locks = [...new Set(used.flatMap((r) => (r.lockVersion === null ? [] : [`v${r.lockVersion}`])))].sort();
  const lines = used.map((r) => {
    const main = r.lines.find((l) => l.hasWasmtime) ?? r.lines[0];
    const label = main ? `wasmtime ${main.release}${main.source === 'registry' ? '' : ` (${main.source})`}` : 'no family locked';
    return r.lines.length > 1 ? `${label} + ${r.lines.length - 1} more line${r.lines.length > 2 ? 's' : ''}` : label;
  });
  const all = used.flatMap((r) => [...r.drift, ...r.features, ...r.toolchain, ...r.notes]);
  const warnings = all.filter((f) => f.level === 'warning').length;
  return (
    `${used.length} of ${report.roots.length} roots use the family; locks ${locks.join('/') || 'none'}; ${lines.join('; ')}; ` +
    `exit ${doctorExitCode(report)} (${plural(warnings, 'warning')}, ${plural(all.length - warnings, 'note')})`
  );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
