/** The one staleness check of Cargo.lock (src/lock/staleness.ts) on lock texts written out here. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { doctor } from '../src/doctor/index.js';
import { parseLock } from '../src/doctor/lock.js';
import { LockView, type LockAsk, type StalenessOptions } from '../src/lock/staleness.js';
import { tempDir, writeTree } from './helpers.js';

const REGISTRY = 'registry+https://github.com/rust-lang/crates.io-index';

/** `name version` of a member (path package) or `name version` of a registry package, with its dependencies. */
interface Pkg {
  readonly id: string;
  readonly path?: boolean;
  readonly deps?: readonly string[];
}

function lockOf(pkgs: readonly Pkg[]): ReturnType<typeof parseLock> {
  const text = [
    'version = 4',
    '',
    ...pkgs.map((p) => {
      const [name, version] = p.id.split(' ');
      const source = p.path ? '' : `source = "${REGISTRY}"\nchecksum = "${'0'.repeat(64)}"\n`;
      const deps = p.deps && p.deps.length > 0 ? `dependencies = [\n${p.deps.map((d) => ` "${d}",\n`).join('')}]\n` : '';
      return `[[package]]\nname = "${name}"\nversion = "${version}"\n${source}${deps}`;
    }),
  ].join('\n');
  return parseLock('/ws/Cargo.lock', text);
}

const FAMILY = new Set(['wasmtime', 'wasmtime-wasi', 'wasmtime-environ', 'wasmtime-cranelift', 'cranelift-codegen']);
const isFamily = (name: string): boolean => FAMILY.has(name);
const opts: StalenessOptions = {
  manifestPath: 'Cargo.toml',
  published: () => true,
  companion: (crate) => crate.startsWith('cranelift-'),
};

function check(pkgs: readonly Pkg[], asks: readonly LockAsk[], members: readonly string[] = ['a', 'b'], o: StalenessOptions = opts) {
  return new LockView(lockOf(pkgs), members, isFamily).staleness(asks, o);
}

const cmd = (...rest: string[]): string[] => ['update', '--manifest-path', 'Cargo.toml', ...rest];

test('a lift that changes no version: the locked 14.0.2 meets "14.0.2" and "=14.0.2", nothing is suggested', () => {
  const pkgs = [{ id: 'a 0.1.0', path: true, deps: ['wasmtime'] }, { id: 'b 0.1.0', path: true, deps: ['wasmtime'] }, { id: 'wasmtime 14.0.2' }];
  const r = check(pkgs, [
    { member: 'a', crate: 'wasmtime', requirement: '14.0.2' },
    { member: 'b', crate: 'wasmtime', requirement: '=14.0.2' },
  ]);
  assert.deepEqual(r, { file: '/ws/Cargo.lock', stale: [], commands: [] });
});

test('25 -> 26: the member copy is named, re-resolved, then pinned to the version the requirement names', () => {
  const pkgs = [{ id: 'a 0.1.0', path: true, deps: ['wasmtime'] }, { id: 'wasmtime 25.0.0', deps: ['wasmtime-environ'] }, { id: 'wasmtime-environ 25.0.0' }];
  const r = check(pkgs, [{ member: 'a', crate: 'wasmtime', requirement: '26.0.1' }]);
  assert.deepEqual(r.stale, [{ name: 'wasmtime', locked: '25.0.0', required: '26.0.1', own: true, members: ['a'], pulledBy: [] }]);
  assert.deepEqual(r.commands, [cmd('--workspace'), cmd('-p', 'wasmtime@26', '--precise', '26.0.1')]);
  // `=26.0.1` needs no --precise: the refresh can only take 26.0.1; a version the registry lacks is never named.
  assert.deepEqual(check(pkgs, [{ member: 'a', crate: 'wasmtime', requirement: '=26.0.1' }]).commands, [cmd('--workspace')]);
  assert.deepEqual(check(pkgs, [{ member: 'a', crate: 'wasmtime', requirement: '26.0.1' }], ['a'], { ...opts, published: () => false }).commands, [cmd('--workspace')]);
  // A line (`26.0`) names no version: the newest compatible one is what the requirement means.
  assert.deepEqual(check(pkgs, [{ member: 'a', crate: 'wasmtime', requirement: '26.0' }]).commands, [cmd('--workspace')]);
});

test('two copies: the member\'s is refreshed, the one a third-party crate pulls in is named as such and stays', () => {
  const pkgs = [
    { id: 'a 0.1.0', path: true, deps: ['wasmtime 25.0.0'] },
    { id: 'b 0.1.0', path: true, deps: ['host'] },
    { id: 'host 1.2.0', deps: ['wasmtime 24.0.2'] },
    { id: 'wasmtime 24.0.2' },
    { id: 'wasmtime 25.0.0' },
  ];
  const r = check(pkgs, [{ member: 'a', crate: 'wasmtime', requirement: '26.0.1' }]);
  assert.deepEqual(r.stale, [
    { name: 'wasmtime', locked: '25.0.0', required: '26.0.1', own: true, members: ['a'], pulledBy: [] },
    { name: 'wasmtime', locked: '24.0.2', required: '26.0.1', own: false, members: [], pulledBy: ['host 1.2.0'] },
  ]);
  assert.deepEqual(r.commands, [cmd('--workspace'), cmd('-p', 'wasmtime@26', '--precise', '26.0.1')]);
});

test('a copy the member shares with a third-party crate: refreshed for the member, kept for that crate', () => {
  const pkgs = [
    { id: 'a 0.1.0', path: true, deps: ['wasmtime', 'host'] },
    { id: 'host 1.2.0', deps: ['wasmtime'] },
    { id: 'wasmtime 25.0.0', deps: ['wasmtime-environ'] },
    { id: 'wasmtime-environ 25.0.0' },
  ];
  const r = check(pkgs, [{ member: 'a', crate: 'wasmtime', requirement: '26.0.1' }], ['a']);
  assert.deepEqual(r.stale, [{ name: 'wasmtime', locked: '25.0.0', required: '26.0.1', own: true, members: ['a'], pulledBy: ['host 1.2.0'] }]);
});

test('companions: one command per version, the release first; a companion pinned exactly under it in the lock follows it', () => {
  const pkgs = [
    { id: 'a 0.1.0', path: true, deps: ['wasmtime', 'cranelift-codegen', 'wasmtime-wasi'] },
    { id: 'wasmtime 25.0.0', deps: ['wasmtime-cranelift'] },
    { id: 'wasmtime-wasi 25.0.0', deps: ['wasmtime'] },
    { id: 'wasmtime-cranelift 25.0.0', deps: ['cranelift-codegen'] },
    { id: 'cranelift-codegen 0.112.0' },
  ];
  const asks = [
    { member: 'a', crate: 'wasmtime', requirement: '26.0.1' },
    { member: 'a', crate: 'wasmtime-wasi', requirement: '26.0.1' },
    { member: 'a', crate: 'cranelift-codegen', requirement: '0.113.1' },
  ];
  const r = check(pkgs, asks, ['a']);
  assert.deepEqual(r.stale.map((c) => `${c.name} ${c.locked} ${c.required}`), ['cranelift-codegen 0.112.0 0.113.1', 'wasmtime 25.0.0 26.0.1', 'wasmtime-wasi 25.0.0 26.0.1']);
  // wasmtime's crates ask for cranelift with `^`: cranelift gets its own command, after theirs.
  assert.deepEqual(r.commands, [cmd('--workspace'), cmd('-p', 'wasmtime@26', '-p', 'wasmtime-wasi@26', '--precise', '26.0.1'), cmd('-p', 'cranelift-codegen@0.113', '--precise', '0.113.1')]);
  // Where the release pins it exactly (and the lock shows it under wasmtime), it comes along.
  const pins = (crate: string): string[] => (crate === 'wasmtime' ? ['wasmtime-cranelift', 'cranelift-codegen'] : []);
  assert.deepEqual(check(pkgs, asks, ['a'], { ...opts, pins }).commands, [cmd('--workspace'), cmd('-p', 'wasmtime@26', '-p', 'wasmtime-wasi@26', '--precise', '26.0.1')]);
});

test('a crate the lock does not hold yet is stale (locked null); a copy no requirement asks for any more is dropped by the refresh', () => {
  const pkgs = [{ id: 'b 0.1.0', path: true, deps: ['wasmtime 25.0.3', 'wasmtime 26.0.1'] }, { id: 'wasmtime 25.0.3' }, { id: 'wasmtime 26.0.1' }];
  const asks = [
    { member: 'b', crate: 'wasmtime', requirement: '26.0.1' },
    { member: 'b', crate: 'wasmtime-wasi', requirement: '26.0.1' },
  ];
  const r = check(pkgs, asks, ['b']);
  assert.deepEqual(r.stale, [
    { name: 'wasmtime', locked: '25.0.3', required: null, own: true, members: ['b'], pulledBy: [] },
    { name: 'wasmtime-wasi', locked: null, required: '26.0.1', own: true, members: ['b'], pulledBy: [] },
  ]);
  assert.deepEqual(r.commands, [cmd('--workspace'), cmd('-p', 'wasmtime-wasi@26', '--precise', '26.0.1')]);
  // A second line kept on purpose (`wt25 = { package = "wasmtime", version = "25" }`) accounts for its copy.
  assert.deepEqual(check(pkgs, [...asks.slice(0, 1), { member: 'b', crate: 'wasmtime', requirement: '25' }], ['b']), { file: '/ws/Cargo.lock', stale: [], commands: [] });
  // So does a requirement in a generated (hakari) section, which is itself not checked.
  assert.deepEqual(check(pkgs, [...asks.slice(0, 1), { member: 'b', crate: 'wasmtime', requirement: '25.0.3', generated: true }, { member: 'b', crate: 'wasmtime', requirement: '27', generated: true }], ['b']).stale, []);
});

test('verdict: a member is judged by its own locked copies, not by a copy another package holds', () => {
  const pkgs = [{ id: 'a 0.1.0', path: true, deps: ['wasmtime 25.0.0', 'host'] }, { id: 'host 1.0.0', deps: ['wasmtime 26.0.1'] }, { id: 'wasmtime 25.0.0' }, { id: 'wasmtime 26.0.1' }];
  const view = new LockView(lockOf(pkgs), ['a'], isFamily);
  const v = view.verdict({ member: 'a', crate: 'wasmtime', requirement: '26' });
  assert.equal(v.satisfied, false);
  assert.deepEqual(v.locked.map((p) => p.version), ['25.0.0']);
  // A member the lock does not know yet is judged by every copy.
  assert.equal(view.verdict({ member: 'new', crate: 'wasmtime', requirement: '26' }).satisfied, true);
});

test('doctor: a stale lock for a companion, although another package holds a copy that would do', () => {
  const dir = tempDir('doctor-companion');
  writeTree(dir, {
    'Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = "26.0.1"\ncranelift-codegen = "0.113.1"\n',
    'Cargo.lock': [
      'version = 4',
      '',
      '[[package]]\nname = "app"\nversion = "0.1.0"\ndependencies = [\n "cranelift-codegen 0.112.0",\n "wasmtime",\n]\n',
      ...[['cranelift-codegen', '0.112.0', []], ['cranelift-codegen', '0.113.1', []], ['wasmtime', '26.0.1', ['cranelift-codegen 0.113.1']]].map(
        ([n, v, deps]) => `[[package]]\nname = "${n}"\nversion = "${v}"\nsource = "${REGISTRY}"\n${(deps as string[]).length > 0 ? `dependencies = [\n${(deps as string[]).map((d) => ` "${d}",\n`).join('')}]\n` : ''}`,
      ),
    ].join('\n'),
  });
  const report = doctor([dir], { cargoHome: null });
  const stale = report.roots[0]!.drift.filter((f) => f.kind === 'stale-lock');
  assert.deepEqual(
    stale.map((f) => f.message),
    ['stale Cargo.lock: `cranelift-codegen` of app asks for cranelift-codegen "0.113.1", but the lock has cranelift-codegen 0.112.0: the next cargo build re-resolves it, and --locked fails'],
  );
});

test('a version below a security fix on its line is not pinned: the refresh keeps the newest compatible one', () => {
  const pkgs = [{ id: 'a 0.1.0', path: true, deps: ['wasmtime'] }, { id: 'wasmtime 47.0.2' }];
  const asks = [{ member: 'a', crate: 'wasmtime', requirement: '47.0.3' }];
  const fixed = check(pkgs, asks, ['a'], { ...opts, securityFixAbove: (crate, version) => crate === 'wasmtime' && version === '47.0.3' });
  assert.deepEqual(fixed.commands, [cmd('--workspace')]);
  assert.deepEqual(check(pkgs, asks, ['a']).commands, [cmd('--workspace'), cmd('-p', 'wasmtime@47', '--precise', '47.0.3')]);
});
