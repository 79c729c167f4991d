import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import semver from 'semver';
import { parseIndexLines, type IndexRelease } from '../src/family/index-lines.js';
import { embeddedReleaseData, withOverlay } from '../src/family/release-data.js';
import { tempDir } from './helpers.js';
import { repoRoot, sharedDir } from './paths.js';

const sharedData = path.join(sharedDir, 'data');
const haveShared = fs.existsSync(path.join(sharedData, 'wasmtime-family', 'feature-history.json'));
const noShared = haveShared ? false : `${sharedData} is absent: cannot compare with the sources`;
const dataFile = path.join(repoRoot, 'data', 'release-data.json');
const generator = path.join(repoRoot, 'dist', 'scripts', 'gen-data.js');
const data = embeddedReleaseData();

test('the generator is deterministic and data/release-data.json is up to date (npm run gen:data)', { skip: noShared }, () => {
  const dir = tempDir('gen-data');
  const outs = ['a.json', 'b.json'].map((f) => path.join(dir, f));
  for (const out of outs) {
    const r = spawnSync(process.execPath, [generator, '--shared', sharedData, '--out', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /107 crates, \d+ versions, \d+ bytes/);
  }
  const [a, b] = outs.map((f) => fs.readFileSync(f));
  assert.ok(a!.equals(b!), 'two runs give the same bytes');
  assert.ok(a!.equals(fs.readFileSync(dataFile)), 'data/release-data.json differs from a fresh generation: run npm run gen:data');
});

test('data/release-notes.json is up to date, and release-data.json counts the breaking notes of each release (npm run gen:data)', { skip: noShared }, () => {
  const dir = tempDir('gen-notes');
  const notesOut = path.join(dir, 'notes.json');
  const r = spawnSync(process.execPath, [generator, '--shared', sharedData, '--out', path.join(dir, 'data.json'), '--notes-out', notesOut], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.readFileSync(notesOut).equals(fs.readFileSync(path.join(repoRoot, 'data', 'release-notes.json'))), 'data/release-notes.json differs from a fresh generation: run npm run gen:data');
  const source = JSON.parse(fs.readFileSync(path.join(sharedData, 'wasmtime-family', 'release-notes.json'), 'utf8')) as Record<string, { sections: Record<string, string> }>;
  const embedded = JSON.parse(fs.readFileSync(notesOut, 'utf8')) as { releases: Record<string, { sections: [string, string][] }> };
  // 186 releases of the snapshot's notes, 34 after it (releases-after-snapshot.json, some with `notes not found`).
  assert.equal(Object.keys(embedded.releases).length, 186 + 34);
  // The sections keep the release notes' own order.
  for (const [v, rel] of Object.entries(source)) assert.deepEqual(embedded.releases[v]!.sections.map(([s]) => s), Object.keys(rel.sections), v);
  assert.equal(data.breakingNotes().get('25.0.0'), 9);
  assert.equal(data.breakingNotes().get('26.0.0'), 11);
  assert.equal(data.breakingNotes().has('25.0.1'), false, 'a release with only Added notes has no breaking ones');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the data file is under 1 MB and ships in the package', () => {
  assert.ok(fs.statSync(dataFile).size < 1024 * 1024, `${fs.statSync(dataFile).size} bytes`);
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  // dist/src/family/release-data.js finds it at ../../../data, in the repository and in node_modules alike
  assert.ok(files.includes('data/release-data.json'));
  assert.ok(files.includes('dist/src/family/release-data.js'));
});

test('spot checks against the release history', () => {
  assert.equal(data.snapshot, '2025-09-28');
  const w = data.release('wasmtime', '37.0.1')!;
  assert.equal(w.source, 'index');
  assert.ok(w.features.has('wat') && w.implicitFeatures.includes('wat') && !w.explicitFeatures.includes('wat'));
  assert.ok(w.features.has('component-model') && w.explicitFeatures.includes('component-model'));
  assert.ok(!w.features.has('default'));
  if (haveShared) {
    const line = fs
      .readFileSync(path.join(sharedData, 'crates-index/wa/sm/wasmtime'), 'utf8')
      .split('\n')
      .find((l) => l.includes('"vers":"37.0.1"'))!;
    const raw = JSON.parse(line) as { features: Record<string, string[]>; features2?: Record<string, string[]> };
    assert.deepEqual(w.defaultFeatures, { ...raw.features, ...raw.features2 }.default); // here `default` sits in features2
  }
  for (const r of data.versions('wasmtime-wasi').filter((r) => r.version.startsWith('36.0.'))) assert.ok(r.features.has('preview1'), r.version);
  const wasi37 = data.release('wasmtime-wasi', '37.0.0')!;
  assert.ok(wasi37.features.has('p1') && wasi37.features.has('p2') && !wasi37.features.has('preview1'));
  assert.ok(wasi37.featureDefs?.p1?.includes('p2'), 'p1 implies p2');
  assert.equal(data.release('wasmtime', '37.0.1')!.featureDefs, undefined, 'featureDefs only for the wasi crates');

  const w48 = data.release('wasmtime', '48.0.0')!;
  assert.equal(w48.source, 'git');
  assert.equal(w48.rustVersion, '1.95.0');
  assert.equal(data.release('wasmtime', '0.38.2')!.yanked, true);
  assert.equal(data.release('wasmtime', '0.38.3')!.yanked, false);
  assert.deepEqual(
    data.crates().flatMap((c) => data.versions(c).filter((r) => r.yanked).map((r) => `${c} ${r.version}`)),
    ['cranelift-codegen 0.73.0', 'wasmtime 0.38.2', 'wasmtime 0.39.0'],
  );
  assert.equal(data.release('wasmtime', '99.0.0'), undefined);
  assert.deepEqual(data.versions('no-such-crate'), []);

  const versions = data.versions('wasmtime').map((r) => r.version);
  assert.deepEqual(versions, [...versions].sort(semver.compare));
  assert.equal(data.resolveLine('wasmtime', '26')?.version, '26.0.1');
  assert.equal(data.resolveLine('wasmtime', '26.0')?.version, '26.0.1');
  assert.equal(data.resolveLine('wasmtime', 'latest')?.version, '51.0.0', 'releases after the snapshot (after-snapshot.test.ts)');
  assert.equal(data.resolveLine('wasmtime', '24')?.version, '24.0.13');
  assert.equal(data.resolveLine('wasmtime', '36')?.version, '36.0.22');
  assert.equal(data.resolveLine('wasmtime', '0.39')?.version, '0.39.1');
  assert.equal(data.resolveLine('wasmtime', '0.39.0'), undefined, 'yanked');
  assert.equal(data.resolveLine('wasmtime', '52'), undefined);
  assert.equal(data.resolveLine('wasmtime', '^26'), undefined);
  assert.equal(data.resolveLine('cranelift-codegen', '0.17')?.version, '0.17.0');
  assert.equal(data.resolveLine('cranelift-codegen', '0.17.0', { prerelease: true })?.version, '0.17.0');
  assert.deepEqual(data.nearest('wasmtime', '26.0.9'), ['26.0.1', '26.0.0', '25.0.3']);
  assert.deepEqual(data.nearest('wasmtime', '52.0.0', 2), ['51.0.0', '50.0.0'], 'release candidates are not suggested');

  assert.equal(data.versionAt('cranelift-codegen', '26.0.1'), '0.113.1');
  assert.equal(data.versionAt('cranelift-codegen', '0.26.1'), '0.73.1');
  assert.equal(data.versionAt('cranelift-codegen', '23.0.0'), undefined, 'cranelift-codegen 0.110.0 was never published');
  assert.equal(data.versionAt('cranelift-wasm', '30.0.0'), undefined, 'gone after 0.112.3');
  assert.equal(data.versionAt('pulley-interpreter', '30.0.2'), '30.0.2');
  // cranelift-codegen 0.112.x pins pulley-interpreter 0.1.x, but on one wasmtime line only: its own numbering.
  assert.equal(data.versionAt('pulley-interpreter', '25.0.3'), undefined);
  assert.equal(data.versionAt('pulley-interpreter', '0.0.0'), undefined, '0.0.0 is a coincidence, not lockstep');
  assert.equal(data.versionAt('pulley-macros', '33.0.0'), undefined);
  assert.equal(data.versionAt('pulley-macros', '34.0.0'), '34.0.0');
  assert.equal(data.versionAt('winch-codegen', '3.0.0'), '0.1.0');
  assert.equal(data.versionAt('winch-codegen', '24.0.13'), '0.22.13');
  assert.equal(data.versionAt('winch-codegen', '26.0.0'), '26.0.0');
  assert.equal(data.versionAt('winch-codegen', '2.0.0'), undefined);
  assert.equal(data.versionAt('wasmtime-wasi', '37.0.1'), '37.0.1');
  assert.equal(data.msrv('37.0.1'), '1.87.0');
  assert.equal(data.msrv('36.0.16'), '1.86.0', 'a later patch of a known line');
  assert.equal(data.msrv('4.0.0'), undefined);

  const m = data.migrations();
  assert.equal(m.rules.length, 54 + 3, 'migrations.json, and the p3 default rules of 49.0.0 (releases-after-snapshot.json)');
  assert.equal(m.crateRules.length, 18);
  const preview1 = m.rules.find((r) => r.crate === 'wasmtime-wasi' && r.feature === 'preview1')!;
  assert.deepEqual([preview1.removedIn, preview1.lastPresentIn, preview1.action, preview1.to], ['37.0.0', '36.0.14', 'rename', ['p1']]);
  assert.ok(preview1.evidence.some((e) => e.pr === 11380));
  assert.equal(m.rules.find((r) => r.crate === 'wasmtime' && r.feature === 'backtrace')?.reappearsIn, '42.0.0');
  const wasmTypes = m.crateRules.find((r) => r.crates.includes('cranelift-wasm'))!;
  assert.equal(wasmTypes.replacedIn, '26.0.0');
  assert.equal(m.crateRules.find((r) => r.crates.includes('wasmtime-fiber'))?.crates.length, 16);
});

test('every crate in the data is family, with its numbering, or excluded with the reason', () => {
  const family = new Set(data.familyNames());
  for (const crate of data.crates()) {
    const f = data.family(crate);
    if (f === undefined) assert.ok(data.excluded().get(crate), `${crate}: neither family nor excluded with a reason`);
    else assert.ok(family.has(crate) && !data.excluded().has(crate), crate);
  }
  assert.equal(family.size + data.excluded().size, data.crates().length);
  // The crates a hand-written list once missed, each on wasmtime's numbering.
  const internal = data.crates().filter((c) => c.startsWith('wasmtime-internal-'));
  assert.ok(internal.length >= 20, `${internal.length} internal crates`);
  for (const crate of ['wasmtime-wizer', 'wasmtime-c-api-impl', 'wasmtime-wit-bindgen', 'wasmtime-wasi-tls-nativetls', 'wasmtime-wasi-tls-openssl', 'wasmtime-wasi-crypto', 'wasmtime-cli', ...internal]) {
    assert.deepEqual(data.family(crate)?.numbering, { kind: 'wasmtime' }, crate);
  }
  for (const crate of data.crates().filter((c) => c.startsWith('cranelift-') && c !== 'cranelift-faerie' && c !== 'cranelift-simplejit')) {
    assert.deepEqual(data.family(crate)?.numbering, { kind: 'companion', offset: 87 }, crate);
  }
  assert.deepEqual(data.family('winch-codegen')?.numbering, { kind: 'wasmtime' }, 'on wasmtime numbers from 26');
  assert.equal(data.releaseOf('winch-codegen', '0.22.13'), '24.0.13', 'before 26: 0.(major-2).patch');
  assert.equal(data.releaseOf('cranelift-codegen', '0.113.1'), '26.0.1');
  assert.equal(data.releaseOf('cranelift-codegen', '0.139.2'), '52.0.2', 'a release newer than the data follows the numbering');
  assert.equal(data.releaseOf('wasmtime-wasi', '52.0.0-dev'), '52.0.0-dev');
  assert.equal(data.releaseOf('wasi-common', '0.5.0'), undefined, 'its own numbering, before it joined');
  for (const name of ['wasmtime-provider', 'wasmtime-jni', 'wasi-nn', 'hyper']) assert.equal(data.family(name), undefined, name);
  assert.deepEqual(data.exactPins('wasi-common', '36.0.0'), ['wiggle']);
  assert.ok(data.exactPins('wasmtime-wasi', '17.0.3').includes('wasi-common'));
  assert.ok(!data.exactPins('wasmtime-wasi', '37.0.1').includes('wasi-common'));
  assert.ok(data.exactPins('wasmtime', '36.0.2').includes('wasmtime-environ'));
  // Requirements on one compatible line without `=` (the data's `ties`, for --exclude).
  assert.ok(data.lockstepTies('cranelift-wasm', '0.112.3').includes('cranelift-codegen'));
  assert.ok(data.lockstepTies('wasi-common', '36.0.0').includes('wasmtime'));
  assert.ok(!data.lockstepTies('wasi-common', '36.0.0').includes('wiggle'), 'an `=` pin is a pin, not a tie');
});

test('companion versions hold for every wasmtime release in the data', () => {
  const misses: string[] = [];
  for (const { version: w } of data.versions('wasmtime')) {
    const v = semver.parse(w)!;
    if (v.major >= 1) {
      const c = data.versionAt('cranelift-codegen', w);
      const pre = v.prerelease.length > 0 ? `-${v.prerelease.join('.')}` : ''; // 49.0.0-rc.1 -> 0.136.0-rc.1
      if (c !== `0.${v.major + 87}.${v.patch}${pre}`) misses.push(`cranelift-codegen ${w} -> ${c}`);
    }
    if (v.major >= 26 && data.versionAt('pulley-interpreter', w) !== w) misses.push(`pulley-interpreter ${w}`);
    if (v.major >= 26 && data.versionAt('winch-codegen', w) !== w) misses.push(`winch-codegen ${w}`);
  }
  assert.deepEqual(misses, ['cranelift-codegen 23.0.0 -> undefined']);
  // and back: every cranelift-codegen >= 0.88 belongs to some wasmtime release
  const mapped = new Set(data.versions('wasmtime').map((r) => data.versionAt('cranelift-codegen', r.version)));
  const orphans = data.versions('cranelift-codegen').filter((r) => semver.gte(r.version, '0.88.0') && !mapped.has(r.version));
  assert.deepEqual(orphans.map((r) => r.version), []);
});

test('every version of feature-history.json is in the data with the same features', { skip: noShared }, () => {
  interface V {
    vers: string;
    source: string;
    yanked: boolean | null;
    rust_version: string | null;
    features: string[];
    implicit_features: string[];
    default: string[] | null;
  }
  const history = JSON.parse(fs.readFileSync(path.join(sharedData, 'wasmtime-family', 'feature-history.json'), 'utf8')) as {
    crates: Record<string, { versions: V[] }>;
  };
  const sorted = (xs: readonly string[]): string[] => [...xs].sort();
  const problems: string[] = [];
  let checked = 0;
  for (const [crate, { versions }] of Object.entries(history.crates)) {
    for (const h of versions) {
      checked++;
      const r = data.release(crate, h.vers);
      if (r === undefined) {
        problems.push(`${crate} ${h.vers}: missing`);
        continue;
      }
      const diff = (what: string, got: unknown, want: unknown): void => {
        if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`${crate} ${h.vers} ${what}: ${JSON.stringify(got)} != ${JSON.stringify(want)}`);
      };
      diff('features', sorted(r.explicitFeatures), sorted(h.features.filter((f) => f !== 'default')));
      diff('implicit', sorted(r.implicitFeatures), sorted(h.implicit_features));
      diff('default', r.defaultFeatures, h.default ?? []);
      diff('rust_version', r.rustVersion ?? null, h.rust_version);
      diff('yanked', r.yanked, h.yanked === true);
      diff('source', r.source, h.source.startsWith('git-tag:') ? 'git' : 'index');
    }
  }
  assert.deepEqual(problems.slice(0, 30), [], `${problems.length} mismatches in ${checked} versions`);
  assert.equal(
    data.crates().reduce((n, c) => n + data.versions(c).filter((r) => r.source !== 'derived').length, 0),
    checked,
    'and nothing else',
  );
});

test('an overlay of newer index lines replaces and extends the embedded versions', () => {
  const line = (vers: string, yanked: boolean): string =>
    JSON.stringify({ name: 'wasmtime', vers, deps: [], features: { default: ['std'], std: [] }, yanked, rust_version: '1.96.0', v: 2 });
  const overlay = new Map<string, readonly IndexRelease[]>([['wasmtime', parseIndexLines([line('0.38.2', false), line('49.0.0', false), line('52.0.0', false)].join('\n'))]]);
  const d = withOverlay(data, overlay);
  assert.equal(d.snapshot, data.snapshot);
  // 49.0.0 replaces the derived release of the same number; 52.0.0 is new.
  assert.equal(d.versions('wasmtime').length, data.versions('wasmtime').length + 1);
  assert.equal(data.release('wasmtime', '49.0.0')?.source, 'derived');
  assert.equal(d.release('wasmtime', '49.0.0')?.source, 'cache');
  assert.equal(d.release('wasmtime', '0.38.2')?.yanked, false);
  assert.equal(d.release('wasmtime', '0.38.2')?.source, 'cache');
  assert.equal(d.release('wasmtime', '48.0.0')?.source, 'git', 'versions the overlay lacks stay');
  assert.equal(d.resolveLine('wasmtime', 'latest')?.version, '52.0.0');
  assert.equal(d.msrv('52.0.0'), '1.96.0');
  assert.equal(d.versionAt('cranelift-codegen', '52.0.0'), undefined, 'unknown until the overlay has it');
  assert.equal(d.versionAt('cranelift-codegen', '49.0.0'), '0.136.0', 'derived from the numbering');
  assert.deepEqual(d.versions('wasmtime-wasi'), data.versions('wasmtime-wasi'));
  assert.equal(data.release('wasmtime', '0.38.2')?.yanked, true, 'the base is untouched');
});

test('an overlay brings new family crates in by the same rule, and leaves other projects out', () => {
  const line = (name: string, vers: string, deps: [string, string][] = []): string =>
    JSON.stringify({ name, vers, deps: deps.map(([n, req]) => ({ name: n, req, kind: 'normal' })), features: {}, yanked: false, v: 2 });
  const overlay = new Map<string, readonly IndexRelease[]>([
    ['wasmtime', parseIndexLines(line('wasmtime', '49.0.0', [['wasmtime-internal-newcrate', '=49.0.0'], ['cranelift-codegen', '^0.136.0'], ['http-body-util', '=0.1.0']]))],
    ['wasmtime-internal-newcrate', parseIndexLines(line('wasmtime-internal-newcrate', '49.0.0'))],
    ['cranelift-codegen', parseIndexLines(line('cranelift-codegen', '0.136.0', [['cranelift-newpart', '=0.136.0']]))],
    ['cranelift-newpart', parseIndexLines(line('cranelift-newpart', '0.136.0'))],
    // Other projects: their own numbers, whatever they depend on.
    ['wasmtime-provider', parseIndexLines(line('wasmtime-provider', '2.13.0', [['wasmtime', '^48.0.0']]))],
    ['wasi-nn', parseIndexLines(line('wasi-nn', '0.6.0'))],
    ['http-body-util', parseIndexLines([line('http-body-util', '0.1.0'), line('http-body-util', '0.1.1')].join('\n'))],
    ['wasmtime-wasi-http', parseIndexLines(line('wasmtime-wasi-http', '50.0.0', [['http-body-util', '=0.1.0']]))],
  ]);
  const d = withOverlay(data, overlay);
  assert.deepEqual(d.family('wasmtime-internal-newcrate')?.numbering, { kind: 'wasmtime' });
  assert.equal(d.releaseOf('wasmtime-internal-newcrate', '49.0.0'), '49.0.0');
  assert.deepEqual(d.family('cranelift-newpart')?.numbering, { kind: 'companion', offset: 87 });
  assert.equal(d.versionAt('cranelift-newpart', '49.0.0'), '0.136.0');
  assert.equal(d.family('wasmtime-provider'), undefined);
  assert.match(d.excluded().get('wasmtime-provider') ?? '', /pins a family release/);
  assert.equal(d.family('wasi-nn'), undefined);
  assert.match(d.excluded().get('http-body-util') ?? '', /^pinned at a number of its own \(http-body-util 0\.1\.0 by wasmtime 49\.0\.0\)/);
  assert.ok(d.familyNames().includes('wasmtime-internal-newcrate') && !d.familyNames().includes('wasi-nn'));
  assert.ok(d.exactPins('wasmtime', '49.0.0').includes('wasmtime-internal-newcrate'));
});
