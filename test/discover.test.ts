import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discover, type Discovery } from '../src/discover/index.js';
import { UserError } from '../src/errors.js';
import { corpusDir } from './paths.js';

// ---------- cargo as the oracle ----------

const STABLE = { ...process.env, RUSTUP_TOOLCHAIN: 'stable' };
const hasCargo = spawnSync('cargo', ['--version'], { env: STABLE }).status === 0;
const hasNightly =
  hasCargo && /^nightly/m.test(spawnSync('rustup', ['toolchain', 'list'], { encoding: 'utf8' }).stdout ?? '');

type CargoResult = { ok: true; members: string[] } | { ok: false; stderr: string };

function metadataArgs(manifest: string): string[] {
  return ['metadata', '--no-deps', '--offline', '--format-version', '1', '--manifest-path', manifest];
}

function parseMetadata(stdout: string): string[] {
  const meta = JSON.parse(stdout) as {
    packages: { id: string; manifest_path: string }[];
    workspace_members: string[];
  };
  const byId = new Map(meta.packages.map((p) => [p.id, p.manifest_path]));
  return meta.workspace_members.map((id) => byId.get(id) ?? `?${id}`).sort();
}

/** `cargo metadata --no-deps` writes nothing (checked on a writable copy), so it runs on the corpus in place. */
function cargoAsync(manifest: string, nightly = false): Promise<CargoResult> {
  const args = nightly ? ['-Zbindeps', ...metadataArgs(manifest)] : metadataArgs(manifest);
  const env = nightly ? { ...process.env, RUSTUP_TOOLCHAIN: 'nightly' } : STABLE;
  return new Promise((resolve) => {
    execFile('cargo', args, { env, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve(err ? { ok: false, stderr } : { ok: true, members: parseMetadata(stdout) });
    });
  });
}

function cargoSync(manifest: string): CargoResult {
  const r = spawnSync('cargo', metadataArgs(manifest), { env: STABLE, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return r.status === 0 ? { ok: true, members: parseMetadata(r.stdout) } : { ok: false, stderr: r.stderr };
}

async function pool<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await run(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

// ---------- corpus ----------

interface StubLine {
  readonly manifest: string;
  readonly ok: boolean;
  readonly members?: number;
}

function readStubs(repoDir: string): StubLine[] {
  const text = fs.readFileSync(path.join(repoDir, 'STUBS.txt'), 'utf8');
  const lines: StubLine[] = [];
  for (const m of text.matchAll(/^(\S*Cargo\.toml): (OK|FAIL)(?: members=(\d+))?/gm)) {
    lines.push({ manifest: m[1] as string, ok: m[2] === 'OK', ...(m[3] ? { members: Number(m[3]) } : {}) });
  }
  return lines;
}

const ENARX = 'enarx+enarx';
const ENARX_MEMBERS = 10;

test('corpus: discover equals cargo metadata on every repo', async (t) => {
  const repos = fs
    .readdirSync(corpusDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  assert.equal(repos.length, 20);

  const t0 = performance.now();
  const found = new Map(repos.map((r) => [r, discover([path.join(corpusDir, r)])]));
  t.diagnostic(`discover on 20 repos: ${(performance.now() - t0).toFixed(0)} ms`);

  for (const repo of repos) {
    await t.test(`${repo}: roots and warnings match STUBS.txt`, () => {
      const dir = path.join(corpusDir, repo);
      const d = found.get(repo) as Discovery;
      const stubs = readStubs(dir);
      // enarx's root FAILs on stable only for `-Z bindeps`; it is still a root.
      const expectedRoots = stubs.filter((s) => s.ok || repo === ENARX).map((s) => s.manifest);
      const orphans = stubs.filter((s) => !s.ok && repo !== ENARX).map((s) => s.manifest);
      const rel = (f: string) => path.relative(dir, f);
      assert.deepEqual(d.roots.map((r) => rel(r.manifest.path)).sort(), expectedRoots.sort());
      assert.deepEqual(d.warnings.map((w) => rel(w.file)).sort(), orphans.sort());
      for (const w of d.warnings) assert.match(w.message, /not a member of the workspace at .*cargo rejects it/);
      for (const s of stubs) {
        const root = d.roots.find((r) => rel(r.manifest.path) === s.manifest);
        const count = root?.kind === 'workspace' ? root.members.length : 1;
        const want = s.members ?? (repo === ENARX ? ENARX_MEMBERS : undefined);
        if (root && want !== undefined) assert.equal(count, want, s.manifest);
      }
    });
  }

  if (!hasCargo) {
    await t.test('cargo metadata comparison', { skip: 'cargo is not on PATH: members not compared with cargo' }, () => {});
    return;
  }

  const jobs = repos.flatMap((repo) => (found.get(repo) as Discovery).roots.map((root) => ({ repo, root })));
  const skipEnarx = !hasNightly;
  const t1 = performance.now();
  const results = await pool(jobs, 2, ({ repo, root }) =>
    repo === ENARX && skipEnarx ? Promise.resolve(undefined) : cargoAsync(root.manifest.path, repo === ENARX),
  );
  t.diagnostic(`cargo metadata on ${jobs.length} roots (concurrency 2): ${(performance.now() - t1).toFixed(0)} ms`);

  let matched = 0;
  for (const repo of repos) {
    await t.test(`${repo}: members equal cargo's workspace_members`, (st) => {
      jobs.forEach(({ repo: r, root }, i) => {
        if (r !== repo) return;
        const ours = (root.kind === 'workspace' ? root.members.map((m) => m.path) : [root.manifest.path]).sort();
        const theirs = results[i];
        if (theirs === undefined) {
          st.diagnostic(`SKIP cargo check of ${root.manifest.path}: needs nightly cargo for -Z bindeps; compared with STUBS.txt only`);
          assert.equal(ours.length, ENARX_MEMBERS);
          return;
        }
        assert.ok(theirs.ok, `cargo failed on ${root.manifest.path}:\n${theirs.ok ? '' : theirs.stderr}`);
        assert.deepEqual(ours, theirs.members, root.manifest.path);
        matched++;
      });
    });
  }
  t.diagnostic(`${matched} of ${jobs.length} roots matched cargo exactly`);
});

// ---------- small workspaces in temp dirs ----------

const tmpDirs: string[] = [];
after(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Writes `files` (a key ending in `/` makes an empty dir); packages get a `src/lib.rs` so cargo accepts them. */
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'discover-'));
  tmpDirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    const full = path.join(root, rel);
    if (rel.endsWith('/')) {
      fs.mkdirSync(full, { recursive: true });
      continue;
    }
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text);
    if (path.basename(rel) === 'Cargo.toml' && text.includes('[package]')) {
      fs.mkdirSync(path.join(path.dirname(full), 'src'), { recursive: true });
      fs.writeFileSync(path.join(path.dirname(full), 'src', 'lib.rs'), '');
    }
  }
  return root;
}

function pkg(name: string, extra = ''): string {
  return `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n${extra}\n`;
}

/** Roots and members relative to `dir`; with cargo present, every root is also checked against cargo. */
function summary(dir: string, d: Discovery) {
  const rel = (f: string) => path.relative(dir, path.dirname(f)) || '.';
  if (hasCargo) {
    for (const r of d.roots) {
      const c = cargoSync(r.manifest.path);
      assert.ok(c.ok, `cargo rejects ${r.manifest.path}: ${c.ok ? '' : c.stderr}`);
      const ours = r.kind === 'workspace' ? r.members.map((m) => m.path) : [r.manifest.path];
      assert.deepEqual([...ours].sort(), c.members, `cargo disagrees on ${r.manifest.path}`);
    }
  }
  return {
    roots: Object.fromEntries(
      d.roots.map((r) => [rel(r.manifest.path), r.kind === 'workspace' ? r.members.map((m) => rel(m.path)) : 'standalone']),
    ),
    warnings: d.warnings.map((w) => rel(w.file)),
  };
}

/** Discovery must throw a UserError matching `re`; with cargo present, cargo must reject the root too. */
function assertRejected(dir: string, re: RegExp, rootRel = 'Cargo.toml') {
  assert.throws(
    () => discover([dir]),
    (e: unknown) => e instanceof UserError && re.test(e.message),
  );
  if (hasCargo) assert.equal(cargoSync(path.join(dir, rootRel)).ok, false, 'cargo accepted it');
}

test('glob skips a matched file and takes a dot-directory; duplicates are merged', () => {
  const dir = tree({
    'Cargo.toml': '[workspace]\nmembers = ["crates/*", "crates/a", "README.md"]\n',
    'README.md': '',
    'crates/file.txt': '',
    'crates/a/Cargo.toml': pkg('a'),
    'crates/.hidden/Cargo.toml': pkg('hidden'),
  });
  assert.deepEqual(summary(dir, discover([dir])), {
    roots: { '.': ['crates/.hidden', 'crates/a'] },
    warnings: [],
  });
});

test('a globbed directory without Cargo.toml is an error unless excluded', () => {
  const files = {
    'crates/a/Cargo.toml': pkg('a'),
    'crates/empty/': '',
  };
  const bad = tree({ ...files, 'Cargo.toml': '[workspace]\nmembers = [\n  "crates/*",\n]\n' });
  assert.throws(
    () => discover([bad]),
    (e: unknown) =>
      e instanceof UserError &&
      /failed to load manifest for workspace member `.*crates\/empty` referenced via `crates\/\*` by workspace at/.test(e.message) &&
      e.location?.line === 3 &&
      e.location?.column === 3,
  );
  if (hasCargo) assert.equal(cargoSync(path.join(bad, 'Cargo.toml')).ok, false);
  const good = tree({ ...files, 'Cargo.toml': '[workspace]\nmembers = ["crates/*"]\nexclude = ["crates/empty"]\n' });
  assert.deepEqual(summary(good, discover([good])).roots, { '.': ['crates/a'] });
});

test('exclude is a path prefix by components, not a glob', () => {
  const files = {
    'crates/no/Cargo.toml': pkg('no'),
    'crates/nope/Cargo.toml': pkg('nope'),
    'crates/empty/': '',
  };
  // `crates/no` excludes crates/no (and its subtree) but not crates/nope; a glob in exclude does nothing.
  const prefix = tree({ ...files, 'Cargo.toml': '[workspace]\nmembers = ["crates/*"]\nexclude = ["crates/no", "crates/empty/"]\n' });
  assert.deepEqual(summary(prefix, discover([prefix])), {
    roots: { '.': ['crates/nope'], 'crates/no': 'standalone' },
    warnings: [],
  });
  const glob = tree({ ...files, 'Cargo.toml': '[workspace]\nmembers = ["crates/*"]\nexclude = ["crates/e*"]\n' });
  assertRejected(glob, /crates\/empty/);
  // An explicit member path beats a covering exclude.
  const explicit = tree({ ...files, 'Cargo.toml': '[workspace]\nmembers = ["crates/no"]\nexclude = ["crates"]\n' });
  assert.deepEqual(summary(explicit, discover([explicit])).roots, {
    '.': ['crates/no'],
    'crates/nope': 'standalone',
  });
});

test('an explicit member that does not exist is an error naming it', () => {
  const dir = tree({ 'Cargo.toml': '[workspace]\nmembers = ["a", "missing"]\n', 'a/Cargo.toml': pkg('a') });
  assertRejected(dir, /failed to load manifest for workspace member `[^`]*missing` referenced by workspace at `[^`]*Cargo.toml`/);
});

test('a member outside the root needs a package.workspace pointer', () => {
  const without = tree({ 'ws/Cargo.toml': '[workspace]\nmembers = ["../out"]\n', 'out/Cargo.toml': pkg('out') });
  assertRejected(
    path.join(without, 'ws'),
    /workspace member `[^`]*out\/Cargo.toml` is not hierarchically below the workspace root `[^`]*ws\/Cargo.toml`/,
  );
  const withPtr = tree({
    'ws/Cargo.toml': '[workspace]\nmembers = ["../out"]\n',
    'out/Cargo.toml': pkg('out', 'workspace = "../ws"'),
  });
  const want = { roots: { ws: ['out'] }, warnings: [] };
  assert.deepEqual(summary(withPtr, discover([path.join(withPtr, 'ws')])), want);
  // Found from the member's side, it is the same workspace.
  assert.deepEqual(summary(withPtr, discover([path.join(withPtr, 'out')])), want);
});

test('path dependencies inside the root become members transitively, outside ones do not', () => {
  const dir = tree({
    'ws/Cargo.toml': '[workspace]\nmembers = ["crates/a"]\n',
    'ws/crates/a/Cargo.toml': pkg(
      'a',
      '[dependencies]\nb = { path = "../b" }\n' +
        "[target.'cfg(unix)'.dev_dependencies]\nt = { path = \"../t\" }\n" +
        '[build-dependencies]\nout = { path = "../../../out" }',
    ),
    'ws/crates/b/Cargo.toml': pkg('b', '[dependencies.c]\npath = "../c"'),
    'ws/crates/c/Cargo.toml': pkg('c'),
    'ws/crates/t/Cargo.toml': pkg('t'),
    'out/Cargo.toml': pkg('out'),
  });
  assert.deepEqual(summary(dir, discover([dir])), {
    roots: { out: 'standalone', ws: ['ws/crates/a', 'ws/crates/b', 'ws/crates/c', 'ws/crates/t'] },
    warnings: [],
  });
});

test('an inherited workspace path dependency becomes a member; an unused entry does not', () => {
  const dir = tree({
    'Cargo.toml':
      pkg('root', '[dependencies]\nw.workspace = true') +
      '[workspace]\n[workspace.dependencies]\nw = { path = "crates/w" }\nunused = { path = "crates/unused" }\n',
    'crates/w/Cargo.toml': pkg('w'),
    'crates/unused/Cargo.toml': pkg('unused'),
  });
  const d = discover([dir]);
  assert.deepEqual(summary(dir, d), { roots: { '.': ['.', 'crates/w'] }, warnings: ['crates/unused'] });
});

test('a nested [workspace] is its own workspace; target/ is not scanned', () => {
  const dir = tree({
    'Cargo.toml': '[workspace]\nmembers = ["crates/*"]\n',
    'crates/a/Cargo.toml': pkg('a'),
    'examples/ex/Cargo.toml': pkg('ex') + '[workspace]\n',
    'target/package/stale-0.1.0/Cargo.toml': 'this is = = not toml',
    'crates/a/target/x/Cargo.toml': 'neither',
  });
  assert.deepEqual(summary(dir, discover([dir])), {
    roots: { '.': ['crates/a'], 'examples/ex': ['examples/ex'] },
    warnings: [],
  });
});

test('a package inside a root that does not list it is skipped with a warning', () => {
  const dir = tree({
    'Cargo.toml': '[workspace]\nmembers = ["a"]\n',
    'a/Cargo.toml': pkg('a'),
    'tests/helper/Cargo.toml': pkg('helper'),
  });
  const d = discover([dir]);
  assert.deepEqual(summary(dir, d), { roots: { '.': ['a'] }, warnings: ['tests/helper'] });
  assert.match(d.warnings[0]?.message ?? '', /not a member of the workspace at .*Cargo\.toml.*cargo rejects it.*left alone/);
  if (hasCargo) assert.equal(cargoSync(path.join(dir, 'tests/helper/Cargo.toml')).ok, false);
});

test("a member's Cargo.toml or directory yields its whole workspace", () => {
  const dir = tree({
    'Cargo.toml': pkg('root') + '[workspace]\nmembers = ["crates/*"]\n',
    'crates/a/Cargo.toml': pkg('a'),
    'crates/b/Cargo.toml': pkg('b'),
  });
  const want = { roots: { '.': ['.', 'crates/a', 'crates/b'] }, warnings: [] };
  assert.deepEqual(summary(dir, discover([path.join(dir, 'crates/a/Cargo.toml')])), want);
  assert.deepEqual(summary(dir, discover([path.join(dir, 'crates/b')])), want);
  assert.deepEqual(summary(dir, discover([path.join(dir, 'crates/a'), dir])), want);
});

test('members that are not an array of strings is a located UserError; bad TOML propagates', () => {
  const dir = tree({ 'Cargo.toml': '[workspace]\nmembers = ["a", 3]\n', 'a/Cargo.toml': pkg('a') });
  assert.throws(
    () => discover([dir]),
    (e: unknown) =>
      e instanceof UserError && /workspace\.members/.test(e.message) && e.location?.line === 2 && e.location?.column === 17,
  );
  const bad = tree({ 'Cargo.toml': '[workspace\n' });
  assert.throws(() => discover([bad]), (e: unknown) => e instanceof UserError && /invalid TOML/.test(e.message));
});

// ---------- vendored crates ----------

const CHECKSUM = '{"files":{},"package":"0000"}\n';

test('vendored crates (.cargo-checksum.json) are skipped whole; cargo agrees on every root reported, with and without exclude', () => {
  for (const ws of ['', '[workspace]\n', '[workspace]\nexclude = ["vendor"]\n']) {
    const dir = tree({
      'Cargo.toml': pkg('app', '[dependencies]\nwasmtime-wasi = "25.0.0"') + ws,
      'vendor/wasmtime-wasi/Cargo.toml': pkg('wasmtime-wasi', '[dependencies]\nwasmtime = "=25.0.0"'),
      'vendor/wasmtime-wasi/.cargo-checksum.json': CHECKSUM,
      // Below a vendored crate everything is skipped too.
      'vendor/wasmtime-wasi/tests/fixture/Cargo.toml': pkg('fixture'),
      'vendor/wiggle/Cargo.toml': pkg('wiggle'),
      'vendor/wiggle/.cargo-checksum.json': CHECKSUM,
    });
    const d = discover([dir]);
    assert.deepEqual(summary(dir, d), { roots: { '.': ws ? ['.'] : 'standalone' }, warnings: [] }, ws);
    assert.deepEqual(d.vendored.map((v) => [path.relative(dir, v.dir), v.crates, v.config]), [['vendor', 2, undefined]]);
    if (hasCargo) {
      // Cargo on a vendored crate alone: its own package when no workspace claims it or the workspace excludes it,
      // "believes it's in a workspace when it's not" otherwise. It is never a member; it is never the user's either.
      assert.equal(cargoSync(path.join(dir, 'vendor/wasmtime-wasi/Cargo.toml')).ok, ws !== '[workspace]\n', ws);
    }
  }
});

test('directory sources of cargo configs (in the path, above it or below it; config.toml or config) are skipped whole', () => {
  const dir = tree({
    '.cargo/config.toml': '[source.crates-io]\nreplace-with = "vendored"\n\n[source.vendored]\ndirectory = "repo/third_party"\n',
    'repo/Cargo.toml': '[workspace]\nmembers = ["host"]\nexclude = ["third_party", "sub"]\n',
    'repo/host/Cargo.toml': pkg('host'),
    'repo/third_party/wasmtime/Cargo.toml': pkg('wasmtime'),
    'repo/third_party/wiggle/Cargo.toml': pkg('wiggle'),
    'repo/third_party/README.md': '',
    'repo/sub/.cargo/config': '[source.v]\ndirectory = "vendor"\n',
    'repo/sub/vendor/cranelift-codegen/Cargo.toml': pkg('cranelift-codegen'),
  });
  const rel = (p: string) => path.relative(dir, p);
  const repo = path.join(dir, 'repo');
  const d = discover([repo]);
  assert.deepEqual(summary(dir, d), { roots: { repo: ['repo/host'] }, warnings: [] });
  assert.deepEqual(
    d.vendored.map((v) => [rel(v.dir), v.crates, v.config && rel(v.config.file), v.config?.source]),
    [
      ['repo/sub/vendor', 1, 'repo/sub/.cargo/config', 'v'],
      ['repo/third_party', 2, '.cargo/config.toml', 'vendored'],
    ],
  );
  // A path inside a directory source, or inside a vendored crate, stands for nothing but the note.
  for (const inside of ['repo/third_party/wasmtime/Cargo.toml', 'repo/third_party']) {
    const d2 = discover([path.join(dir, inside)]);
    assert.deepEqual([d2.roots, d2.vendored.map((v) => rel(v.dir))], [[], ['repo/third_party']], inside);
  }
});

test('a cargo config that is not valid TOML is a located warning, and the run goes on', () => {
  const dir = tree({ '.cargo/config.toml': '[source.v]\ndirectory = "vendor\n', 'Cargo.toml': pkg('app'), 'vendor/x/Cargo.toml': pkg('x') });
  const d = discover([dir]);
  assert.deepEqual(summary(dir, d).roots, { '.': 'standalone', 'vendor/x': 'standalone' });
  assert.equal(d.warnings.length, 1);
  assert.equal(d.warnings[0]?.file, path.join(dir, '.cargo/config.toml'));
  assert.equal(d.warnings[0]?.line, 2);
  assert.match(d.warnings[0]?.message ?? '', /^cannot read this cargo config \(invalid TOML: .*\); directory sources it may name are not skipped$/);
});
