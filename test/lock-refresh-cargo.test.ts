/**
 * The Cargo.lock refresh, run by cargo itself: a local registry (cargo's `local-registry` source, offline) with
 * wasmtime 25.0.0, 26.0.1 and 26.0.2 and their companions, a workspace locked on 25, a third-party crate that
 * holds wasmtime 25. `--write --update-lock --to 26.0.1` must leave a lock that `cargo metadata --locked`
 * accepts, holding exactly the versions the manifests name (not the newest 26.0.2), with the third-party copy
 * kept; the check then finds nothing stale. Skipped without cargo.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cargoStatus } from './oracle.js';
import { runCli, tempDir, writeTree } from './helpers.js';

interface Crate {
  readonly name: string;
  readonly version: string;
  readonly deps: readonly (readonly [string, string])[];
}

/** A registry the way `cargo local-registry` lays it out: `index/` and the `.crate` files beside it. */
function localRegistry(dir: string, crates: readonly Crate[]): void {
  const work = tempDir('crate-src');
  fs.mkdirSync(dir, { recursive: true });
  for (const c of crates) {
    const base = `${c.name}-${c.version}`;
    const toml = `[package]\nname = "${c.name}"\nversion = "${c.version}"\nedition = "2021"\n\n[dependencies]\n${c.deps.map(([n, r]) => `${n} = "${r}"\n`).join('')}`;
    writeTree(path.join(work, base), { 'Cargo.toml': toml, 'src/lib.rs': '' });
    const file = path.join(dir, `${base}.crate`);
    const tar = spawnSync('tar', ['-czf', file, '-C', work, base]);
    assert.equal(tar.status, 0, String(tar.stderr));
    const entry = {
      name: c.name,
      vers: c.version,
      deps: c.deps.map(([name, req]) => ({ name, req, features: [], optional: false, default_features: true, target: null, kind: 'normal' })),
      cksum: createHash('sha256').update(fs.readFileSync(file)).digest('hex'),
      features: {},
      yanked: false,
    };
    const index = path.join(dir, 'index', c.name.slice(0, 2), c.name.slice(2, 4), c.name);
    fs.mkdirSync(path.dirname(index), { recursive: true });
    fs.appendFileSync(index, `${JSON.stringify(entry)}\n`);
  }
}

const release = (v: string, cranelift: string): Crate[] => [
  { name: 'wasmtime', version: v, deps: [['wasmtime-environ', `=${v}`]] },
  // wasmtime's crates ask for their companions with `^`, and for each other with `^` or `=`, as the real ones do.
  { name: 'wasmtime-environ', version: v, deps: [['cranelift-codegen', `^${cranelift}`]] },
  { name: 'wasmtime-wasi', version: v, deps: [['wasmtime', `^${v}`]] },
  { name: 'cranelift-codegen', version: cranelift, deps: [] },
];

test('--update-lock with cargo: the lock holds exactly the named versions, companions included, and the third-party copy stays', { skip: !cargoStatus().available && 'cargo is not available' }, () => {
  const dir = tempDir('lock-refresh-cargo');
  const registry = path.join(dir, 'registry');
  localRegistry(registry, [...release('25.0.0', '0.112.0'), ...release('26.0.1', '0.113.1'), ...release('26.0.2', '0.113.2'), { name: 'host', version: '1.0.0', deps: [['wasmtime', '^25']] }]);
  const ws = path.join(dir, 'ws');
  writeTree(ws, {
    '.cargo/config.toml': `[source.crates-io]\nreplace-with = "local"\n\n[source.local]\nlocal-registry = ${JSON.stringify(registry)}\n`,
    'Cargo.toml': '[workspace]\nmembers = ["a", "b"]\nresolver = "2"\n',
    'a/Cargo.toml': '[package]\nname = "a"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = "25.0.0"\nwasmtime-wasi = "25.0.0"\ncranelift-codegen = "0.112.0"\n',
    'a/src/lib.rs': '',
    'b/Cargo.toml': '[package]\nname = "b"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nhost = "1"\n',
    'b/src/lib.rs': '',
  });
  const env = { CARGO_HOME: path.join(dir, 'cargo-home'), CARGO_NET_OFFLINE: 'true', RUSTUP_TOOLCHAIN: 'stable', RUSTUP_AUTO_INSTALL: '0', CARGO_TERM_COLOR: 'never' };
  const cargo = (...args: string[]) => spawnSync('cargo', args, { cwd: ws, env: { ...process.env, ...env }, encoding: 'utf8' });
  const gen = cargo('generate-lockfile');
  assert.equal(gen.status, 0, gen.stderr);

  const r = runCli(['--write', '--update-lock', '--to', '26.0.1'], ws, env);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /note: Cargo\.lock no longer matches the manifests \(cranelift-codegen 0\.112\.0 for "0\.113\.1"; wasmtime 25\.0\.0 for "26\.0\.1"; wasmtime-wasi 25\.0\.0 for "26\.0\.1"\); refreshing it\n/);
  assert.match(r.stderr, /note: Cargo\.lock: wasmtime 25\.0\.0 stays for host 1\.0\.0, which pulls it in; it is not updated\n/);

  const locked = [...fs.readFileSync(path.join(ws, 'Cargo.lock'), 'utf8').matchAll(/name = "([^"]+)"\nversion = "([^"]+)"/g)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(locked, [
    'a 0.1.0',
    'b 0.1.0',
    'cranelift-codegen 0.112.0',
    'cranelift-codegen 0.113.1',
    'host 1.0.0',
    'wasmtime 25.0.0',
    'wasmtime 26.0.1',
    'wasmtime-environ 25.0.0',
    'wasmtime-environ 26.0.1',
    'wasmtime-wasi 26.0.1',
  ]);
  const meta = cargo('metadata', '--locked', '--format-version', '1');
  assert.equal(meta.status, 0, meta.stderr);
  const report = JSON.parse(runCli(['--json'], ws, env).stdout) as { roots: { lock: unknown }[] };
  assert.deepEqual(report.roots[0]!.lock, { file: 'Cargo.lock', stale: [], commands: [] });
});
