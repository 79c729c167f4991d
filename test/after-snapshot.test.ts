/**
 * The releases after the 48.0.0 snapshot (issue 12): known from public sources, without feature lists. Their
 * data (dates, notes, Rust versions, security fixes, the `p3` default rules), the derived crate versions, and what
 * runs say about them offline: `--to latest` / a line / an exact release, the features-unchecked warning, the
 * security fixes of the line (summary, `notes`, `doctor`), and the MSRV from 49.0.0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseIndexLines, type IndexRelease } from '../src/family/index-lines.js';
import { embeddedReleaseData, withOverlay, type ReleaseDataFile } from '../src/family/release-data.js';
import { readAfter, type RawAfter } from '../scripts/gen-after.js';
import { age } from '../src/plan/resolve-to.js';
import { runCli, tempDir, TEST_TODAY } from './helpers.js';
import { repoRoot, sharedDir } from './paths.js';
import { checkWorkspaceRun } from './workspace-check.js';

const data = embeddedReleaseData();
const file = JSON.parse(fs.readFileSync(path.join(repoRoot, 'data', 'release-data.json'), 'utf8')) as ReleaseDataFile;
const afterFile = path.join(sharedDir, 'data', 'wasmtime-family', 'releases-after-snapshot.json');
const noShared = !fs.existsSync(afterFile);

test('latest and lines choose the newest release after the snapshot, never a release candidate', () => {
  assert.equal(data.resolveLine('wasmtime', 'latest')?.version, '51.0.0');
  assert.equal(data.resolveLine('wasmtime', '50')?.version, '50.0.3');
  assert.equal(data.resolveLine('wasmtime', '49')?.version, '49.0.7');
  assert.equal(data.resolveLine('wasmtime', '48')?.version, '48.0.10');
  assert.equal(data.resolveLine('wasmtime', '36')?.version, '36.0.22');
  assert.equal(data.resolveLine('wasmtime', '51.0')?.version, '51.0.0');
  // A release candidate is a release the data knows: accepted when named exactly.
  assert.equal(data.release('wasmtime', '50.0.0-rc.1')?.source, 'derived');
  assert.equal(data.afterRelease('50.0.0-rc.1')?.prerelease, true);
});

test('the companion versions of 49-51 follow the numbering, derived from the crates of 48.0.0', () => {
  const at = (crate: string, v: string): string | undefined => data.versionAt(crate, v);
  assert.deepEqual(['49.0.0', '49.0.7', '50.0.0', '50.0.3', '51.0.0'].map((v) => at('cranelift-codegen', v)), ['0.136.0', '0.136.7', '0.137.0', '0.137.3', '0.138.0']);
  assert.equal(at('cranelift-codegen', '51.0.0-rc.1'), '0.138.0-rc.1');
  assert.equal(at('cranelift-codegen', '48.0.10'), '0.135.10');
  for (const crate of ['pulley-interpreter', 'winch-codegen', 'wasmtime-wasi', 'wasmtime-wasi-http', 'wasmtime-internal-core', 'wasmtime-environ']) {
    assert.deepEqual(['49.0.0', '50.0.2', '51.0.0'].map((v) => at(crate, v)), ['49.0.0', '50.0.2', '51.0.0'], crate);
  }
  for (const v of ['0.136.0', '0.137.3', '0.138.0']) assert.equal(data.release('cranelift-codegen', v)?.source, 'derived', v);
  assert.equal(data.releaseOf('cranelift-codegen', '0.137.1'), '50.0.1');
  // Removed before 48 stays removed; the 36 LTS line keeps what it had.
  assert.equal(at('wasi-common', '49.0.0'), undefined);
  assert.equal(at('wasi-common', '36.0.20'), '36.0.20');
  // Every family crate at 48.0.0 continues at 51.0.0, and no other.
  const at48 = data.familyNames().filter((c) => at(c, '48.0.0') !== undefined);
  assert.deepEqual(data.familyNames().filter((c) => at(c, '51.0.0') !== undefined), at48);
  // The derived releases are not stored: the data file's rows end at the snapshot.
  assert.equal(file.crates['wasmtime']!.some((r) => r[0] === '49.0.0'), false);
});

test('features of the releases after the snapshot are unknown: carried from 48.0.0, with the p3 default change', () => {
  const r = data.release('wasmtime-wasi', '49.0.0')!;
  assert.equal(r.source, 'derived');
  assert.equal(data.afterRelease('49.0.0')?.features, 'unknown');
  assert.deepEqual([...r.defaultFeatures], ['p1', 'p2', 'p3']);
  assert.deepEqual([...data.release('wasmtime-wasi', '48.0.10')!.defaultFeatures], ['p1', 'p2']);
  assert.ok(data.release('wasmtime-wasi-http', '51.0.0')!.defaultFeatures.includes('p3'));
  assert.ok(data.release('wasmtime-wasi-tls', '50.0.0')!.defaultFeatures.includes('p3'));
  assert.deepEqual([...data.release('wasmtime', '51.0.0')!.defaultFeatures], [...data.release('wasmtime', '48.0.0')!.defaultFeatures]);
  const rules = data.migrations().rules.filter((x) => x.changedIn === '49.0.0');
  assert.deepEqual(rules.map((x) => `${x.crate}/${x.feature}`).sort(), ['wasmtime-wasi-http/p3', 'wasmtime-wasi-tls/p3', 'wasmtime-wasi/p3']);
  for (const x of rules) assert.ok(x.evidence.some((e) => e.pr === 14137 && e.url), `${x.crate}: evidence`);
});

test('MSRV: 1.96.0 from 49.0.0; unknown for 50 and 51, where 49.0.0 applies and says so', () => {
  assert.deepEqual(data.msrvInfo('49.0.0'), { rustVersion: '1.96.0', release: '49.0.0', own: true });
  assert.equal(data.msrv('49.0.7'), '1.96.0');
  assert.deepEqual(data.msrvInfo('51.0.0'), { rustVersion: '1.96.0', release: '49.0.0', own: false });
  assert.deepEqual(data.msrvInfo('50.0.3'), { rustVersion: '1.96.0', release: '49.0.0', own: false });
  assert.equal(data.msrv('48.0.10'), '1.95.0');
  assert.equal(data.msrv('36.0.21'), '1.86.0');
  assert.equal(data.afterRelease('49.0.0')?.rustVersionSource?.includes('#14184'), true);
});

test('security fixes are marked with their evidence; releases without notes are unknown, not "no fix"', () => {
  assert.deepEqual(data.securityFixesAfter('48.0.0').map((f) => f.version), ['48.0.4', '48.0.6', '48.0.7', '48.0.8', '48.0.9', '48.0.10']);
  assert.deepEqual(data.securityFix('48.0.10'), { ids: ['GHSA-f2pq-268w-886c'], from: 'notes' });
  assert.equal(data.securityFix('48.0.6')?.from, 'advisories');
  assert.equal(data.securityFix('48.0.3'), undefined, 'no notes, no advisory: unknown');
  assert.equal(data.securityFix('36.0.22'), undefined);
  assert.equal(data.securityFix('48.0.5'), undefined, 'a publishing fix');
  assert.deepEqual(data.securityFixesAfter('48.0.10'), []);
  assert.ok(data.securityFix('36.0.13')?.ids.includes('GHSA-hgjw-h833-99q9'), 'releases of the snapshot are marked too');
});

test('every release after the snapshot has its facts sourced', () => {
  const after = file.after!;
  assert.match(after.collected, /^\d{4}-\d{2}-\d{2}$/);
  assert.equal(Object.keys(after.releases).length, 34);
  for (const [v, r] of Object.entries(after.releases)) {
    assert.ok(r.sources.length > 0 || r.existence !== undefined, `${v}: a source, or why it is known to exist`);
    assert.ok((r.date === null) === (r.dateSource === 'unknown'), `${v}: date and dateSource agree`);
    if (r.dateSource === 'inferred') assert.ok(r.dateNote, `${v}: an inferred date says how`);
    assert.ok((r.rustVersion === undefined) === (r.rustVersionSource === undefined), `${v}: a Rust version has its source`);
    assert.equal(r.features, 'unknown');
    // No version in both sources: the embedded rows (index, git tags) end before every release of the file.
    for (const [crate, rows] of Object.entries(file.crates)) assert.ok(!rows.some((row) => row[0] === v), `${crate} ${v} is in both sources`);
  }
  for (const [v, fix] of Object.entries(file.security!)) assert.ok(fix.ids.length > 0 || fix.from === 'notes', `${v}: evidence`);
});

test('the generator refuses a release the two sources describe differently', { skip: noShared }, () => {
  const raw = JSON.parse(fs.readFileSync(afterFile, 'utf8')) as RawAfter;
  const conflicting: RawAfter = { ...raw, releases: { ...raw.releases, '48.0.0': { ...raw.releases['48.0.2']!, date: '2026-08-21' } } };
  assert.throws(() => readAfter(conflicting, (v) => (v === '48.0.0' ? { date: '2026-08-20', rustVersion: '1.95.0' } : undefined), []), /48\.0\.0: date 2026-08-21 .* 2026-08-20/);
  const unsourced: RawAfter = { ...raw, releases: { ...raw.releases, '48.0.11': { ...raw.releases['48.0.2']!, sources: [] } } };
  assert.throws(() => readAfter(unsourced, () => undefined, []), /48\.0\.11: no source/);
  const noEvidence: RawAfter = { ...raw, releases: { ...raw.releases, '49.0.0': { ...raw.releases['49.0.0']!, feature_changes: [] } } };
  assert.throws(() => readAfter(noEvidence, () => undefined, []), /no feature_changes entry for wasmtime-wasi-http `p3`/);
});

test('index data from --refresh wins over the derived versions, and a mismatch is a warning', () => {
  const line = (name: string, vers: string): string => JSON.stringify({ name, vers, deps: [], features: { default: [] }, yanked: false, rust_version: '1.97.0', v: 2 });
  const overlay = new Map<string, readonly IndexRelease[]>([
    ['wasmtime', parseIndexLines([line('wasmtime', '50.0.0'), line('wasmtime', '50.0.1')].join('\n'))],
    // The registry has 0.137.0 and 0.137.5 for the 50 line: the derived 0.137.1 .. 0.137.3 are not there.
    ['cranelift-codegen', parseIndexLines([line('cranelift-codegen', '0.137.0'), line('cranelift-codegen', '0.137.5')].join('\n'))],
  ]);
  const d = withOverlay(data, overlay);
  assert.equal(d.release('wasmtime', '50.0.0')?.source, 'cache');
  assert.equal(d.msrv('50.0.0'), '1.97.0', 'observed wins');
  assert.equal(d.release('cranelift-codegen', '0.137.0')?.source, 'cache');
  assert.deepEqual(d.problems(), [
    'cranelift-codegen: the registry index lacks 0.137.1 (wasmtime 50.0.1), 0.137.2 (wasmtime 50.0.2), 0.137.3 (wasmtime 50.0.3), which the release data derives from its numbering, but has later releases of those lines; the index is used',
  ]);
  // An index that merely ends earlier (a stale mirror) contradicts nothing.
  const stale = withOverlay(data, new Map([['cranelift-codegen', parseIndexLines(line('cranelift-codegen', '0.136.0'))]]));
  assert.deepEqual(stale.problems(), []);
  assert.deepEqual(data.problems(), []);
});

test('the age of the data is counted to an injectable today', () => {
  assert.equal(age('2026-11-30', '2026-12-10'), '10 days old');
  assert.equal(age('2026-11-30', '2026-12-01'), '1 day old');
  assert.equal(age('2026-11-30', '2026-11-30'), 'from today');
});

/** A package on `wasmtime` (and wasmtime-wasi, cranelift-codegen) at `v`, `rust-version` 1.90. */
function workspace(v: string, extra = ''): string {
  const dir = tempDir('after-snapshot');
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src', 'lib.rs'), '');
  fs.writeFileSync(
    path.join(dir, 'Cargo.toml'),
    `[package]\nname = "a"\nversion = "0.1.0"\nedition = "2021"\nrust-version = "1.90"\n\n[dependencies]\nwasmtime = "${v}"\nwasmtime-wasi = { version = "${v}", default-features = false, features = ["p2"] }\nwasmtime-wasi-http = "${v}"\n${extra}`,
  );
  return dir;
}

test('--to latest offline is 51.0.0, says which data that comes from and how old, and that features are unchecked', () => {
  const dir = workspace('48.0.0');
  const r = runCli(['--to', 'latest'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^note: latest known release is 51\\.0\\.0 \\(embedded release data, collected ${file.after!.collected}, ${age(file.after!.collected, TEST_TODAY)}; run with --refresh for newer\\)$`, 'm'));
  assert.match(r.stderr, /wasmtime family at 51\.0\.0 \(--to\)/);
  assert.match(r.stderr, /warning: Cargo\.toml: features of wasmtime 51\.0\.0 could not be checked offline \(the release data has no feature list for it; features are kept as written\); run with --refresh to check them/);
  assert.match(r.stdout, /^\+wasmtime = "51\.0\.0"$/m);
  // The MSRV of 51.0.0 is not known: 49.0.0's applies, and the warning says so.
  assert.match(r.stderr, /`rust-version = "1\.90"` is below 1\.96, the minimum Rust version of wasmtime 51\.0\.0 \(51\.0\.0's own minimum is not in the data; 1\.96\.0 is 49\.0\.0's\)/);
  // p3 joined the defaults: reported for the entry with default features, nothing added without them.
  assert.match(r.stderr, /`wasmtime-wasi-http`: crossing 49\.0\.0, `p3` became a default feature, so this entry now builds it/);
  assert.doesNotMatch(r.stderr, /`wasmtime-wasi`: crossing 49\.0\.0/);
  assert.match(r.stdout, /^\+wasmtime-wasi = \{ version = "51\.0\.0", default-features = false, features = \["p2"\] \}$/m);
});

test('--to 50 offline is 50.0.3; --to 49.0.0 and a release candidate named exactly are accepted', () => {
  const dir = workspace('48.0.0');
  const r50 = runCli(['--to', '50'], dir);
  assert.equal(r50.status, 0, r50.stderr);
  assert.match(r50.stderr, /wasmtime family at 50\.0\.3 \(--to\)/);
  const r49 = runCli(['--to', '49.0.0', '--exact'], dir);
  assert.equal(r49.status, 0, r49.stderr);
  assert.match(r49.stderr, /wasmtime family at =49\.0\.0/);
  assert.match(r49.stderr, /below 1\.96, the minimum Rust version of wasmtime 49\.0\.0 \(--bump/);
  assert.match(r49.stderr, /warning: Cargo\.toml: wasmtime 49\.0\.0 is older than security fixes on its line: 49\.0\.1, 49\.0\.2, 49\.0\.3, 49\.0\.4, 49\.0\.5, 49\.0\.6, 49\.0\.7 \(\d+ advisories\); the requirement =49\.0\.0 excludes them: --to 49\.0\.7 takes the newest/);
  const rc = runCli(['--to', '51.0.0-rc.1'], dir);
  assert.equal(rc.status, 0, rc.stderr);
  assert.match(rc.stdout, /^\+cranelift-codegen|^\+wasmtime = "51\.0\.0-rc\.1"$/m);
  const unknown = runCli(['--to', '52.0.0'], dir);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /the release data knows wasmtime up to 51\.0\.0/);
});

test('a workspace on 48.0.0 is told that 48.0.10 carries security fixes: summary, notes and doctor', () => {
  const dir = workspace('48.0.0');
  const bare = runCli([], dir);
  assert.equal(bare.status, 0, bare.stderr);
  assert.match(bare.stderr, /note: Cargo\.toml: wasmtime 48\.0\.0 is older than security fixes on its line: 48\.0\.4, 48\.0\.6, 48\.0\.7, 48\.0\.8, 48\.0\.9, 48\.0\.10 \(\d+ advisories\); the requirement 48\.0\.0 admits them \(`cargo update` takes 48\.0\.10; --to 48\.0\.10 requires it\)/);
  const notes = runCli(['notes', '--to', '48.0.0'], dir);
  assert.equal(notes.status, 0, notes.stderr);
  assert.match(notes.stdout, /\*\*Security:\*\* wasmtime 48\.0\.0 is older than security fixes on its line: .*48\.0\.10 .*--to 48\.0\.10 takes the newest\./);
  const json = JSON.parse(runCli(['notes', '--to', '48.0.0', '--json'], dir).stdout) as { roots: { security: string | null }[] };
  assert.match(json.roots[0]!.security ?? '', /48\.0\.10/);
  fs.writeFileSync(
    path.join(dir, 'Cargo.lock'),
    ['version = 4', '', '[[package]]', 'name = "a"', 'version = "0.1.0"', 'dependencies = ["wasmtime"]', '', '[[package]]', 'name = "wasmtime"', 'version = "48.0.0"', 'source = "registry+https://github.com/rust-lang/crates.io-index"', ''].join('\n'),
  );
  const doctor = runCli(['doctor'], dir);
  assert.equal(doctor.status, 1);
  assert.match(doctor.stdout, /warning: Cargo\.lock: locked wasmtime 48\.0\.0 is older than security fixes on its line: .*48\.0\.10 .*`cargo update` takes 48\.0\.10/);
  const report = JSON.parse(runCli(['doctor', '--json'], dir).stdout) as { roots: { drift: { kind: string; release?: string; fixes?: { version: string }[] }[] }[] };
  const sec = report.roots[0]!.drift.find((f) => f.kind === 'security');
  assert.equal(sec?.release, '48.0.0');
  assert.equal(sec?.fixes?.at(-1)?.version, '48.0.10');
});

test('notes across the new releases: their notes, and what was not found', () => {
  const dir = workspace('48.0.10');
  const r = runCli(['notes', '--to', 'latest'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /## 49\.0\.0 \(2026-09-21\)[\s\S]*The `wasmtime-wasi-http` crate now has the `p3` feature enabled by default/);
  assert.match(r.stdout, /## 49\.0\.3 \(2026-10-14\)\n\n_notes not found_/);
  assert.match(r.stdout, /## 51\.0\.0 \(2026-11-20\)\n\n_notes partial: /);
  assert.doesNotMatch(r.stdout, /rc\.1/, 'release candidates are not crossed');
});

test('a workspace already on 49 is aligned (not "not in the release data")', () => {
  const dir = workspace('49.0.2', 'cranelift-codegen = "0.136.0"\n');
  const r = runCli([], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /not in the release data/);
  assert.match(r.stderr, /wasmtime family at 49\.0\.2 \(newest requested\)/);
  assert.match(r.stderr, /features of wasmtime 49\.0\.2 could not be checked offline/);
});

test('going down from 51 to 48 keeps p3 for entries with default features (applied)', () => {
  const dir = workspace('51.0.0');
  const r = runCli(['--to', '48.0.10'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\+wasmtime-wasi-http = \{ version = "48\.0\.10", features = \["p3"\] \}$/m);
});

test('the cargo oracle on --to 49.0.0, 51.0.0 and latest (features unchecked, kept as written)', (t) => {
  for (const to of ['49.0.0', '51.0.0', 'latest']) {
    const dir = workspace('48.0.0', 'cranelift-codegen = "0.135.0"\n');
    const { changedFiles } = checkWorkspaceRun(t, dir, ['--to', to]);
    assert.equal(changedFiles, 1, to);
  }
});
