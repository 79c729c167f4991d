/**
 * Edge cases: odd TOML spellings, table layouts, default-features interplay, options, and file-system quirks.
 *
 * Every case runs the built CLI on a temporary tree and checks, besides what the case itself asserts:
 *   - the dry run exits 0 (no internal error, no stack trace) and writes nothing;
 *   - --write exits 0, and a second run (--check) changes nothing;
 *   - `git apply` of the dry-run diff on a fresh copy gives exactly the tree --write gave;
 *   - the cargo oracle: `cargo metadata` before and after agree (family requirements may move only to the
 *     requirement the --json report names), and `cargo fetch --offline` prints no new `warning:` lines
 *     (cargo-rules.md sections 0 and 15).
 * Cases that exercise a known bug keep asserting the correct behaviour; they fail until the tool is fixed.
 */
import { embeddedReleaseData } from '../src/family/release-data.js';
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyTree, gitApply, metadataReq, readTree, runCli, tempDir, treeDifferences, writeTree, type CliResult } from './helpers.js';
import { cargoStatus, compareSnapshots, fetchWarnings, snapshot } from './oracle.js';

const cargo = cargoStatus();

type Files = Record<string, string>;

const pkg = (name: string, edition = '2021'): string => `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "${edition}"\n`;
const virtualRoot = (members: readonly string[], rest = ''): string =>
  `[workspace]\nmembers = [${members.map((m) => JSON.stringify(m)).join(', ')}]\nresolver = "2"\n${rest}`;


interface Outcome {
  readonly dry: CliResult;
  readonly write: CliResult | undefined;
  readonly orig: string;
  readonly work: string;
  /** Every violated invariant, one line each; [] when the run was clean. */
  readonly problems: string[];
  /** A file of the tree after --write. */
  after(rel: string): string;
  before(rel: string): string;
}

interface RunOptions {
  /** Extra set-up on the original tree (symlinks, ...). */
  readonly prepare?: (dir: string) => void;
  /** False when cargo itself rejects the input, so there is no meaning to compare. */
  readonly oracle?: boolean;
}

const INTERNAL = /internal error|this is a bug in wasmtime-align|\n\s+at .+:\d+:\d+\)?\n/;

/** Runs the CLI (dry run, --write, --check again), git apply and the cargo oracle; collects every problem. */
function runCase(t: TestContext, files: Files, args: readonly string[] = [], opts: RunOptions = {}): Outcome {
  const base = tempDir('edge');
  t.after(() => fs.rmSync(base, { recursive: true, force: true }));
  const orig = writeTree(path.join(base, 'orig'), files);
  opts.prepare?.(orig);
  const work = copyTree(orig, path.join(base, 'work'));
  const patched = copyTree(orig, path.join(base, 'patched'));
  const pristine = readTree(orig);
  const problems: string[] = [];
  const outcome = (write: CliResult | undefined, dry: CliResult): Outcome => ({
    dry,
    write,
    orig,
    work,
    problems,
    after: (rel) => fs.readFileSync(path.join(work, rel), 'utf8'),
    before: (rel) => fs.readFileSync(path.join(orig, rel), 'utf8'),
  });

  const dry = runCli(args, work);
  if (INTERNAL.test(dry.stderr)) problems.push(`dry run: internal error: ${dry.stderr.trim()}`);
  if (dry.status !== 0) {
    problems.push(`dry run exited ${dry.status}: ${dry.stderr.trim()}`);
    return outcome(undefined, dry);
  }
  const dryWrote = treeDifferences(readTree(work), pristine);
  if (dryWrote.length > 0) problems.push(`the dry run wrote ${dryWrote.join(', ')}`);

  const write = runCli([...args, '--write'], work);
  if (write.status !== 0 || INTERNAL.test(write.stderr)) {
    problems.push(`--write exited ${write.status}: ${write.stderr.trim()}`);
    return outcome(write, dry);
  }
  const again = runCli([...args, '--check'], work);
  if (again.status !== 0 || again.stdout !== '') problems.push(`a second run changes something (exit ${again.status}):\n${again.stdout}`);

  try {
    gitApply(patched, dry.stdout);
    const differ = treeDifferences(readTree(patched), readTree(work));
    if (differ.length > 0) problems.push(`git apply of the dry-run diff differs from --write in ${differ.join(', ')}`);
  } catch (e) {
    problems.push(`git apply of the dry-run diff: ${(e as Error).message.trim()}`);
  }

  if (opts.oracle === false) t.diagnostic('cargo oracle not applicable: cargo rejects the input');
  else if (!cargo.available) t.diagnostic(`cargo oracle skipped: ${cargo.reason}`);
  else problems.push(...oracle(orig, work, args));
  return outcome(write, dry);
}

/** cargo metadata before/after (family requirements may change only to the planned one) and no new fetch warnings. */
function oracle(orig: string, work: string, args: readonly string[]): string[] {
  const json = runCli([...args, '--json'], orig);
  let report: { roots: { manifest: string; target: { requirement: string } | null }[] };
  try {
    report = JSON.parse(json.stdout) as typeof report;
  } catch {
    return [`--json printed no report (exit ${json.status}): ${json.stderr.trim()}`];
  }
  const allowedReqs = new Set(report.roots.flatMap((r) => (r.target ? [metadataReq(r.target.requirement)] : [])));
  const out: string[] = [];
  for (const root of report.roots) {
    let before;
    let after;
    try {
      before = snapshot(path.join(orig, root.manifest));
    } catch (e) {
      out.push(`cargo rejects the input ${root.manifest} (the case is wrong): ${(e as Error).message}`);
      continue;
    }
    try {
      after = snapshot(path.join(work, root.manifest));
    } catch (e) {
      out.push(`cargo rejects the rewritten ${root.manifest}: ${(e as Error).message}`);
      continue;
    }
    out.push(...compareSnapshots(before, after, { family: new Set(embeddedReleaseData().familyNames()), allowedReqs }).map((d) => `cargo metadata: ${d}`));
    const warnedBefore = new Set(fetchWarnings(path.join(orig, root.manifest)));
    for (const w of fetchWarnings(path.join(work, root.manifest))) {
      if (!warnedBefore.has(w)) out.push(`new cargo warning: ${w}`);
    }
  }
  return out;
}

/** The text of `file` with one line replaced (the line must exist exactly once). */
function replaceLine(text: string, from: string, to: string): string {
  assert.equal(text.split(from).length, 2, `expected exactly one ${JSON.stringify(from)} in the input`);
  return text.replace(from, to);
}

// ---------------------------------------------------------------------------------------------------------
// Key spellings and entry styles
// ---------------------------------------------------------------------------------------------------------

test('quoted keys: "wasmtime" = ..., \'wasmtime-wasi\'.version, [dependencies."wasmtime"], [target."cfg(unix)".dependencies]', (t) => {
  const files: Files = {
    'Cargo.toml': virtualRoot(['a', 'b']),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\n"wasmtime" = "25.0.0"\n'wasmtime-wasi'.version = "25.0.0"\n`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies."wasmtime"]\nversion = "25.0.0"\n\n[target."cfg(unix)".dependencies]\nwiggle = {version="25.0.0",features=["tracing_log"]}\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  assert.equal(o.after('Cargo.toml'), `${files['Cargo.toml']}\n[workspace.dependencies]\nwasmtime = "25.0.0"\nwasmtime-wasi = "25.0.0"\nwiggle = "25.0.0"\n`);
  assert.equal(o.after('a/Cargo.toml'), `${pkg('a')}\n[dependencies]\n"wasmtime" = { workspace = true }\n'wasmtime-wasi'.workspace = true\n`);
  assert.equal(o.after('b/Cargo.toml'), `${pkg('b')}\n[dependencies."wasmtime"]\nworkspace = true\n\n[target."cfg(unix)".dependencies]\nwiggle = {workspace = true,features=["tracing_log"]}\n`);
});

test('CRLF, tabs, odd inline spacing, literal strings, multi-line arrays with comments, a file without a final newline', (t) => {
  const crlf = (s: string): string => s.replace(/\n/g, '\r\n');
  const a =
    `${pkg('a')}\n[dependencies]\n\twasmtime = {version='25.0.0',features=[\n\t\t"async", # why\n\t]} # trailing\n` +
    `\t'wasmtime-wasi'.version =  '25.0.0'\n\t'wasmtime-wasi'.default_features = false\n[dependencies.wt]\npackage = "wasmtime"\nversion = "25.0.0"`;
  const files: Files = {
    'Cargo.toml': crlf(virtualRoot(['a', 'b'])),
    'a/Cargo.toml': crlf(a),
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nwt = { package = "wasmtime", version = "25.0.0" }\nwasmtime = "25.0.0"\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  assert.equal(
    o.after('Cargo.toml'),
    crlf(`${virtualRoot(['a', 'b'])}\n[workspace.dependencies]\nwasmtime = "25.0.0"\nwasmtime-wasi = { version = "25.0.0", default-features = false }\nwt = { version = "25.0.0", package = "wasmtime" }\n`),
  );
  assert.equal(
    o.after('a/Cargo.toml'),
    crlf(
      `${pkg('a')}\n[dependencies]\n\twasmtime = {workspace = true,features=[\n\t\t"async", # why\n\t]} # trailing\n` +
        `\t'wasmtime-wasi'.workspace = true\n\t'wasmtime-wasi'.default_features = false\n[dependencies.wt]\nworkspace = true`,
    ),
  );
});

test('non-ASCII text around the edited entries (multi-byte and astral characters shift no offsets)', (t) => {
  const files: Files = {
    'Cargo.toml': `[workspace]\nmembers = ["a", "b"]\n# 🦀🦀 crabs 𝔘𝔫𝔦𝔠𝔬𝔡𝔢\nresolver = "2"\n`,
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\n"ünïcödé" = { version = "1", package = "serde" } # 🦀\nwasmtime = { version = "25.0.0", features = ["async"] } # 🦀 host\n"wasmtime-wasi" = "25.0.0"\n`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\n# 𝕨𝕒𝕤𝕞\nwasmtime = "24.0.0" # 🦀\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  assert.equal(
    o.after('a/Cargo.toml'),
    `${pkg('a')}\n[dependencies]\n"ünïcödé" = { version = "1", package = "serde" } # 🦀\nwasmtime = { workspace = true, features = ["async"] } # 🦀 host\n"wasmtime-wasi" = { workspace = true }\n`,
  );
  assert.equal(o.after('b/Cargo.toml'), `${pkg('b')}\n[dependencies]\n# 𝕨𝕒𝕤𝕞\nwasmtime = { workspace = true } # 🦀\n`);
});

test('dotted keys through [target.cfg] and fully inline target/dependencies tables', (t) => {
  const bHead =
    `target = { 'cfg(windows)' = { dependencies = { wasmtime = { workspace = true }, wasmtime-wasi = "25.0.0" } } }\n` +
    `dependencies = { wasmtime = { version = "25.0.0", default-features = false } }\n`;
  const files: Files = {
    'Cargo.toml': virtualRoot(['a', 'b'], '\n[workspace.dependencies]\nwasmtime = "25.0.0"\n'),
    'a/Cargo.toml': `${pkg('a')}\n[target.'cfg(unix)']\ndependencies.wasmtime.workspace = true\ndependencies.wasmtime.features = ["async"]\ndev-dependencies.wasmtime-wasi.version = "25.0.0"\n`,
    'b/Cargo.toml': bHead + pkg('b'),
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  assert.equal(
    o.after('a/Cargo.toml'),
    `${pkg('a')}\n[target.'cfg(unix)']\ndependencies.wasmtime.workspace = true\ndependencies.wasmtime.features = ["async"]\n` +
      `dependencies.wasmtime.default-features = true\ndev-dependencies.wasmtime-wasi.workspace = true\n`,
  );
  assert.equal(
    o.after('b/Cargo.toml'),
    `target = { 'cfg(windows)' = { dependencies = { wasmtime = { workspace = true, default-features = true }, wasmtime-wasi = { workspace = true } } } }\n` +
      `dependencies = { wasmtime = { workspace = true, default-features = false } }\n${pkg('b')}`,
  );
});

test('a comment on a kept field of a multi-line inline table survives removing `package` after it', (t) => {
  // TOML 1.1 multi-line inline table (cargo 1.95 reads it). Only `version` (-> workspace) and `package` are edited;
  // the comment belongs to `features`, which is kept.
  const files: Files = {
    'Cargo.toml': virtualRoot(['a']),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwt = {\n  version = "25.0.0",\n  features = ["async"], # needed for tokio\n  package = "wasmtime",\n}\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  assert.match(o.after('a/Cargo.toml'), /features = \["async"\], # needed for tokio\n/, 'the comment of the kept `features` field was deleted');
});

test('removing the last line of a file without a final newline keeps the final newline missing', (t) => {
  const files: Files = {
    'Cargo.toml': virtualRoot(['a', 'b']).trimEnd(),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies.wt]\nversion = "25.0.0"\npackage = "wasmtime"`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nwt.version = "25.0.0"\nwt.package = "wasmtime" # the real one`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  assert.equal(o.after('Cargo.toml'), `${virtualRoot(['a', 'b'])}\n[workspace.dependencies]\nwt = { version = "25.0.0", package = "wasmtime" }`);
  assert.equal(o.after('a/Cargo.toml'), `${pkg('a')}\n[dependencies.wt]\nworkspace = true`);
  assert.equal(o.after('b/Cargo.toml'), `${pkg('b')}\n[dependencies]\nwt.workspace = true`);
});

test('an empty [dependencies.wasmtime] sub-table is reported as an input error, not an internal error', (t) => {
  // cargo: "dependency (wasmtime) specified without providing a local path, Git repository, version, ...".
  const files: Files = {
    'Cargo.toml': virtualRoot(['a', 'b']),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies.wasmtime]\n\n[dependencies]\nserde = "1"\n`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nwasmtime = "25.0.0"\n`,
  };
  for (const args of [[], ['--no-lift']]) {
    const base = writeTree(tempDir('edge-empty-subtable'), files);
    t.after(() => fs.rmSync(base, { recursive: true, force: true }));
    const pristine = readTree(base);
    for (const mode of [[], ['--write']]) {
      const r = runCli([...args, ...mode], base);
      assert.doesNotMatch(r.stderr, INTERNAL, `${[...args, ...mode].join(' ')}: ${r.stderr}`);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /^error: a\/Cargo\.toml:\d+:\d+: /);
      assert.deepEqual(treeDifferences(readTree(base), pristine), [], 'an error writes nothing');
    }
  }
});

// ---------------------------------------------------------------------------------------------------------
// The root manifest: where [workspace.dependencies] is, or goes
// ---------------------------------------------------------------------------------------------------------

test('[workspace.dependencies] exists but is empty and is followed directly by another table', (t) => {
  const files: Files = {
    'Cargo.toml': virtualRoot(['a', 'b'], '\n[workspace.dependencies]\n[workspace.package]\nedition = "2021"\n'),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwasmtime = "25.0.0"\n`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nwasmtime-wasi = "25.0.0"\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  assert.equal(
    o.after('Cargo.toml'),
    virtualRoot(['a', 'b'], '\n[workspace.dependencies]\nwasmtime = "25.0.0"\nwasmtime-wasi = "25.0.0"\n[workspace.package]\nedition = "2021"\n'),
  );
});

test('[workspace.dependencies] holding only comments', (t) => {
  const files: Files = {
    'Cargo.toml': virtualRoot(['a', 'b'], '\n[workspace.dependencies]\n# shared deps go here\n# keep sorted\n\n[workspace.package]\nedition = "2021"\n'),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwasmtime = "25.0.0"\n`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nwasmtime-wasi = "25.0.0"\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  const after = o.after('Cargo.toml');
  assert.match(after, /^\[workspace\.dependencies\]\n(?:.*\n)*# shared deps go here\n# keep sorted\n\n\[workspace\.package\]\n/m);
  assert.match(after, /^wasmtime = "25\.0\.0"\nwasmtime-wasi = "25\.0\.0"\n/m);
});

test('dotted workspace entries next to other entries, a sorted table, [workspace.lints] directly after it', (t) => {
  const root = virtualRoot(
    ['a', 'b'],
    '\n[workspace.dependencies]\nanyhow = "1"\nwasmtime.version = "24.0.0"\nwasmtime.features = ["async"]\nzstd = "0.13"\n[workspace.lints.rust]\nunsafe_code = "warn"\n',
  );
  const files: Files = {
    'Cargo.toml': root,
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwasmtime = { version = "25.0.0", default-features = false, features = ["async"] }\nwiggle = "25.0.0"\n`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nwasmtime-wasi = "25.0.0"\nwasmtime.workspace = true\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  assert.equal(
    o.after('Cargo.toml'),
    virtualRoot(
      ['a', 'b'],
      '\n[workspace.dependencies]\nanyhow = "1"\nwasmtime.version = "25.0.0"\nwasmtime.default-features = false\nwasmtime.features = ["async"]\n' +
        'wasmtime-wasi = "25.0.0"\nwiggle = "25.0.0"\nzstd = "0.13"\n[workspace.lints.rust]\nunsafe_code = "warn"\n',
    ),
  );
  assert.equal(o.after('b/Cargo.toml'), `${pkg('b')}\n[dependencies]\nwasmtime-wasi.workspace = true\nwasmtime.workspace = true\nwasmtime.default-features = true\n`);
});

test('sorted table with comments above entries; a renamed key that sorts first; comments leading into the next table', (t) => {
  const files: Files = {
    'Cargo.toml': virtualRoot(['a', 'b'], '\n[workspace.dependencies]\n# anyhow first\nanyhow = "1"\n# the runtime\nwasmtime = "25.0.0"\n# trailing note about zstd\n[profile.release]\nlto = true\n'),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\naa-wasmtime = { package = "wasmtime", version = "25.0.0" }\nwiggle = "25.0.0"\n`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nwasi-common = "25.0.0"\nwasmtime-wasi = "25.0.0"\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  assert.equal(
    o.after('Cargo.toml'),
    virtualRoot(
      ['a', 'b'],
      '\n[workspace.dependencies]\naa-wasmtime = { version = "25.0.0", package = "wasmtime" }\n# anyhow first\nanyhow = "1"\nwasi-common = "25.0.0"\n' +
        '# the runtime\nwasmtime = "25.0.0"\nwasmtime-wasi = "25.0.0"\nwiggle = "25.0.0"\n# trailing note about zstd\n[profile.release]\nlto = true\n',
    ),
  );
});

test('unsorted table: explicit `default-features = true` on the workspace entry turned false; new keys follow the family', (t) => {
  const files: Files = {
    'Cargo.toml': virtualRoot(
      ['a', 'b'],
      '\n[workspace.dependencies]\n# --- wasm ---\nwasmtime = { version = "25.0.0", default-features = true } # main\n# --- other ---\nanyhow = "1"\n# serde = "1"\n# tokio = "1"\n\n[profile.release]\nlto = true\n',
    ),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwasmtime = { version = "25.0.0", default-features = false }\nwiggle = "25.0.0"\n`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nwasmtime.workspace = true\nwasmtime-wasi = "25.0.0"\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  assert.equal(
    o.after('Cargo.toml'),
    virtualRoot(
      ['a', 'b'],
      '\n[workspace.dependencies]\n# --- wasm ---\nwasmtime = { version = "25.0.0", default-features = false } # main\nwasmtime-wasi = "25.0.0"\nwiggle = "25.0.0"\n' +
        '# --- other ---\nanyhow = "1"\n# serde = "1"\n# tokio = "1"\n\n[profile.release]\nlto = true\n',
    ),
  );
  assert.equal(o.after('b/Cargo.toml'), `${pkg('b')}\n[dependencies]\nwasmtime.workspace = true\nwasmtime.default-features = true\nwasmtime-wasi.workspace = true\n`);
});

test('a new [workspace.dependencies] table goes after the trailing comment lines of [workspace]', (t) => {
  // `# exclude = ["c"]` is a commented-out key of [workspace]; putting the new header above it moves it into
  // [workspace.dependencies], where un-commenting it would declare a dependency.
  const files: Files = {
    'Cargo.toml': '[workspace]\nmembers = ["a", "b"]\n# exclude = ["c"]\n\n[profile.release]\nlto = true\n',
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwasmtime = "25.0.0"\n`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nwasmtime = "25.0.0"\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  const after = o.after('Cargo.toml');
  assert.ok(after.startsWith('[workspace]\nmembers = ["a", "b"]\n# exclude = ["c"]\n'), `the [workspace] comment was split off:\n${after}`);
  assert.match(after, /\n\[workspace\.dependencies\]\nwasmtime = "25\.0\.0"\n(?:\n)?(?:.*\n)*\[profile\.release\]\nlto = true\n$/);
});

test('BOM + CRLF + tabs + no final newline; the new table goes after [workspace.package] and [workspace.lints]', (t) => {
  const root = '\ufeff[workspace]\r\n\tmembers = ["a", "b"]\r\n\tresolver = "2"\r\n[workspace.package]\r\n\tedition = "2021"\r\n[workspace.lints.rust]\r\n\tunsafe_code = "forbid"\r\n[profile.dev]\r\n\topt-level = 1';
  const files: Files = {
    'Cargo.toml': root,
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\n"wåsmtime" = { package = "wasmtime", version = '25.0.0' }\n[target.'cfg(unix)'.dependencies]\nwasmtime-wasi = { version="25.0.0" , default-features=false }\n`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\n"wåsmtime" = { package = "wasmtime", version = "25.0.0" }\n[target."cfg(unix)".dependencies]\nwasmtime-wasi = { version = "25.0.0" }\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  assert.equal(
    o.after('Cargo.toml'),
    '\ufeff[workspace]\r\n\tmembers = ["a", "b"]\r\n\tresolver = "2"\r\n[workspace.package]\r\n\tedition = "2021"\r\n[workspace.lints.rust]\r\n\tunsafe_code = "forbid"\r\n' +
      '\r\n[workspace.dependencies]\r\n\twasmtime-wasi = { version = "25.0.0", default-features = false }\r\n\t"wåsmtime" = { version = "25.0.0", package = "wasmtime" }\r\n' +
      '[profile.dev]\r\n\topt-level = 1',
  );
  assert.equal(
    o.after('a/Cargo.toml'),
    `${pkg('a')}\n[dependencies]\n"wåsmtime" = { workspace = true }\n[target.'cfg(unix)'.dependencies]\nwasmtime-wasi = { workspace = true , default-features=false }\n`,
  );
});

test('root package with [workspace] at the end of the file (no final newline): its own dependencies are lifted too', (t) => {
  const root = `${pkg('root')}\n[dependencies]\nwasmtime = { version = "25.0.0", features = ["async"] } # host\n\n[dev-dependencies]\nwasmtime-wasi = "25.0.0"\n\n[workspace]\nmembers = ["a"]`;
  const files: Files = {
    'Cargo.toml': root,
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwasmtime = { version = "25.0.0", default-features = false }\nwasmtime-wasi = "25.0.0"\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  assert.equal(
    o.after('Cargo.toml'),
    `${pkg('root')}\n[dependencies]\nwasmtime = { workspace = true, default-features = true, features = ["async"] } # host\n\n[dev-dependencies]\nwasmtime-wasi = { workspace = true }\n\n` +
      '[workspace]\nmembers = ["a"]\n\n[workspace.dependencies]\nwasmtime = { version = "25.0.0", default-features = false }\nwasmtime-wasi = "25.0.0"',
  );
});

test('[workspace.dependencies.wasmtime] sub-table entries: members still inherit the existing entry', (t) => {
  // The entry exists, so nothing needs to be added to [workspace.dependencies]; the table is neither dotted
  // keys nor an inline table, which is what the tool claims when it refuses.
  const files: Files = {
    'Cargo.toml': virtualRoot(['a', 'b'], '\n[workspace.dependencies.wasmtime]\nversion = "24.0.0"\n'),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwasmtime = "25.0.0"\n`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nwasmtime = { workspace = true }\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  assert.doesNotMatch(o.dry.stderr, /dotted keys or an inline table/, 'a sub-table is neither');
  assert.equal(o.after('Cargo.toml'), virtualRoot(['a', 'b'], '\n[workspace.dependencies.wasmtime]\nversion = "25.0.0"\n'));
  assert.equal(o.after('a/Cargo.toml'), `${pkg('a')}\n[dependencies]\nwasmtime = { workspace = true }\n`);
});

test('[workspace] with an empty inline `dependencies = {}` does not crash', (t) => {
  const files: Files = {
    'Cargo.toml': virtualRoot(['a', 'b'], 'dependencies = {}\n'),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwasmtime = "25.0.0"\n`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nwasmtime = "25.0.0"\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
});

// ---------------------------------------------------------------------------------------------------------
// default-features (cargo-rules.md sections 2 and 3)
// ---------------------------------------------------------------------------------------------------------

test('member inheriting with an ignored `default-features = false` + a new member turning defaults off; optional + [features]', (t) => {
  const files: Files = {
    'Cargo.toml': virtualRoot(['a', 'b', 'c'], '\n[workspace.dependencies]\nwasmtime = "25.0.0"\n'),
    // cargo ignores a's `false` today (W1): a uses default features.
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwasmtime = { workspace = true, default-features = false }\n`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nwasmtime = { version = "25.0.0", default-features = false, optional = true }\n\n[features]\njit = ["dep:wasmtime", "wasmtime/async"]\n`,
    'c/Cargo.toml': `${pkg('c')}\n[dependencies.wasmtime]\nworkspace = true\ndefault_features = false\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  assert.equal(o.after('Cargo.toml'), virtualRoot(['a', 'b', 'c'], '\n[workspace.dependencies]\nwasmtime = { version = "25.0.0", default-features = false }\n'));
  assert.equal(o.after('a/Cargo.toml'), `${pkg('a')}\n[dependencies]\nwasmtime = { workspace = true, default-features = true }\n`);
  assert.equal(
    o.after('b/Cargo.toml'),
    `${pkg('b')}\n[dependencies]\nwasmtime = { workspace = true, default-features = false, optional = true }\n\n[features]\njit = ["dep:wasmtime", "wasmtime/async"]\n`,
  );
  assert.equal(o.after('c/Cargo.toml'), `${pkg('c')}\n[dependencies.wasmtime]\nworkspace = true\ndefault_features = true\n`);
});

test('`default_features` on the workspace entry: a 2024 member lifted onto it still loads', (t) => {
  // cargo 1.95: "`default_features` is unsupported as of the 2024 edition" once b inherits the entry
  // (cargo-rules.md section 3: always write `default-features` in [workspace.dependencies]).
  const files: Files = {
    'Cargo.toml': virtualRoot(['a', 'b'], '\n[workspace.dependencies]\nwasmtime = { version = "25.0.0", default_features = false }\n'),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwasmtime = { workspace = true }\n`,
    'b/Cargo.toml': `${pkg('b', '2024')}\n[dependencies]\nwasmtime = "25.0.0"\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
});

test('`default_features` on the workspace entry: lifting a 2021 member adds no cargo warning', (t) => {
  // b gets `default-features = true` next to the workspace's `default_features = false`; cargo then warns
  // "`default_features` is redundant with `default-features`" for b, a warning the input did not have.
  const files: Files = {
    'Cargo.toml': virtualRoot(['a', 'b'], '\n[workspace.dependencies]\nwasmtime = { version = "25.0.0", default_features = false }\n'),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwasmtime = { workspace = true }\n`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nwasmtime = "25.0.0"\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
});

test('edition 2024 members: one turns defaults off, one uses them (`default-features = true` written)', (t) => {
  const files: Files = {
    'Cargo.toml': '[workspace]\nmembers = ["a", "b"]\nresolver = "3"\n',
    'a/Cargo.toml': `${pkg('a', '2024')}\n[dependencies]\nwasmtime = { version = "25.0.0", features = ["async"] }\n`,
    'b/Cargo.toml': `${pkg('b', '2024')}\n[dependencies]\nwasmtime = { version = "25.0.0", default-features = false }\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  assert.equal(o.after('a/Cargo.toml'), `${pkg('a', '2024')}\n[dependencies]\nwasmtime = { workspace = true, default-features = true, features = ["async"] }\n`);
  assert.equal(o.after('b/Cargo.toml'), `${pkg('b', '2024')}\n[dependencies]\nwasmtime = { workspace = true, default-features = false }\n`);
});

// ---------------------------------------------------------------------------------------------------------
// Keys, renames and second lines
// ---------------------------------------------------------------------------------------------------------

test('renames: one key naming different crates, a key equal to a workspace key of another crate, an aligned `=` column', (t) => {
  const files: Files = {
    'Cargo.toml': virtualRoot(['a', 'b', 'c'], '\n[workspace.dependencies]\nanyhow    = "1"\nwasi      = { version = "0.11", package = "wasi" }\nwasmtime  = "25.0.0"\nzstd      = "0.13"\n'),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwasi = { package = "wasi-common", version = "25.0.0" }\nrt = { package = "wasmtime-wasi", version = "25.0.0" }\nwasmtime.workspace = true\n`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nrt = { package = "wasmtime", version = "25.0.0" }\nwiggle = "25.0.0"\n`,
    'c/Cargo.toml': `${pkg('c')}\n[dependencies]\nwasi.workspace = true\nwasmtime-wasi = "25.0.0"\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  assert.equal(
    o.after('Cargo.toml'),
    virtualRoot(
      ['a', 'b', 'c'],
      '\n[workspace.dependencies]\nanyhow    = "1"\nwasi      = { version = "0.11", package = "wasi" }\nwasmtime  = "25.0.0"\nwasmtime-wasi = "25.0.0"\nwiggle    = "25.0.0"\nzstd      = "0.13"\n',
    ),
  );
  assert.equal(o.after('a/Cargo.toml'), files['a/Cargo.toml']);
  assert.match(o.dry.stderr, /`wasi` not lifted: the workspace entry `wasi` is the crate wasi/);
  assert.match(o.dry.stderr, /`rt` not lifted: `rt` names different crates \(wasmtime, wasmtime-wasi\) in different members/);
});

test('a renamed second line that equals the chosen version after the first run: a second run changes nothing', (t) => {
  // a keeps `wasmtime-next` (26) as a second line next to its own wasmtime (25). The run aligns a's wasmtime to
  // 26, so on the next run `wasmtime-next` is no longer a second line and gets lifted: not idempotent.
  const files: Files = {
    'Cargo.toml': virtualRoot(['a', 'b']),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwasmtime = "25.0.0"\nwasmtime-next = { package = "wasmtime", version = "26.0.0" }\n`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nwasmtime = "26.0.0"\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
});

test('a member entry identical to a workspace second line is not moved off that line', (t) => {
  // The tool itself reports the workspace's `wasmtime-lts` (24) as "a second line kept as it is", then bumps b's
  // `wasmtime-lts` (same key, same requirement) to 25: the key now means 24 in the workspace and 25 in b.
  const files: Files = {
    'Cargo.toml': virtualRoot(['a', 'b'], '\n[workspace.dependencies]\nwasmtime = "25.0.0"\nwasmtime-lts = { package = "wasmtime", version = "24.0.0" }\n'),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwasmtime.workspace = true\nwasmtime-lts.workspace = true\n`,
    'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nwasmtime-lts = { package = "wasmtime", version = "24.0.0" }\n`,
  };
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  const b = o.after('b/Cargo.toml');
  assert.ok(
    b === files['b/Cargo.toml'] || b === `${pkg('b')}\n[dependencies]\nwasmtime-lts = { workspace = true }\n`,
    `b's wasmtime-lts left the 24 line:\n${b}`,
  );
});

// ---------------------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------------------

const OPTION_TREE: Files = {
  'Cargo.toml': virtualRoot(['a', 'b'], '\n[workspace.dependencies]\nwasmtime = "26.0.0"\n'),
  'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwasmtime.workspace = true\nwasmtime-wasi = { version = "26.0.0", default-features = false }\nwt = { package = "wasmtime", version = "24.0.0" }\n`,
  'b/Cargo.toml': `${pkg('b')}\n[dependencies]\nwasmtime = "26.0.1"\nwiggle = "26"\n`,
};

test('--to a pre-release (27.0.0-dev) the data does not know: refused, or used with --allow-unknown-version (also --exact)', (t) => {
  const dir = writeTree(tempDir('edge-prerelease'), OPTION_TREE);
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const refused = runCli(['--to', '27.0.0-dev'], dir);
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /^error: wasmtime 27\.0\.0-dev is not a known release; the nearest known releases are 27\.0\.0, /);
  for (const [args, req] of [
    [['--to', '27.0.0-dev', '--allow-unknown-version'], '27.0.0-dev'],
    [['--exact', '--to', '27.0.0-dev', '--allow-unknown-version'], '=27.0.0-dev'],
  ] as const) {
    const o = runCase(t, OPTION_TREE, args);
    assert.deepEqual(o.problems, [], args.join(' '));
    assert.equal(
      o.after('Cargo.toml'),
      virtualRoot(['a', 'b'], `\n[workspace.dependencies]\nwasmtime = "${req}"\nwasmtime-wasi = { version = "${req}", default-features = false }\nwiggle = "${req}"\n`),
    );
    assert.match(o.after('a/Cargo.toml'), /^wt = \{ package = "wasmtime", version = "24\.0\.0" \}$/m, 'the second line is kept');
  }
});

test('--no-lift, --all-keys and --no-lift --exact --all-keys', (t) => {
  const noLift = runCase(t, OPTION_TREE, ['--no-lift']);
  assert.deepEqual(noLift.problems, []);
  assert.equal(noLift.after('Cargo.toml'), virtualRoot(['a', 'b'], '\n[workspace.dependencies]\nwasmtime = "26.0.1"\n'));
  assert.equal(noLift.after('b/Cargo.toml'), `${pkg('b')}\n[dependencies]\nwasmtime = "26.0.1"\nwiggle = "26.0.1"\n`);

  const allKeys = runCase(t, OPTION_TREE, ['--all-keys']);
  assert.deepEqual(allKeys.problems, []);
  assert.equal(
    allKeys.after('Cargo.toml'),
    virtualRoot(
      ['a', 'b'],
      '\n[workspace.dependencies]\nwasmtime = "26.0.1"\nwasmtime-wasi = { version = "26.0.1", default-features = false }\nwiggle = "26.0.1"\nwt = { version = "26.0.1", package = "wasmtime" }\n',
    ),
  );

  const all = runCase(t, OPTION_TREE, ['--no-lift', '--exact', '--all-keys']);
  assert.deepEqual(all.problems, []);
  assert.equal(
    all.after('a/Cargo.toml'),
    `${pkg('a')}\n[dependencies]\nwasmtime.workspace = true\nwasmtime-wasi = { version = "=26.0.1", default-features = false }\nwt = { package = "wasmtime", version = "=26.0.1" }\n`,
  );
});

test('--to a downgrade (24.0.0 on a 26 workspace): a second run changes nothing', (t) => {
  // wt (24) is a second line next to a's wasmtime (26) on the first run; after the downgrade both are 24 and
  // the second run lifts wt.
  const o = runCase(t, OPTION_TREE, ['--to', '24.0.0']);
  assert.deepEqual(o.problems, []);
  assert.equal(o.after('b/Cargo.toml'), `${pkg('b')}\n[dependencies]\nwasmtime = { workspace = true }\nwiggle = { workspace = true }\n`);
});

test('--to below a crate\'s first release, past its removal, or not a full version: exact errors, nothing written', (t) => {
  const files: Files = {
    'Cargo.toml': virtualRoot(['a']),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwasmtime = "30.0.0"\nwasmtime-wasi-io = { version = "30.0.0" }\nwasi-common = "30.0.0"\n`,
  };
  const dir = writeTree(tempDir('edge-to-errors'), files);
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const pristine = readTree(dir);
  const cases: [string[], string][] = [
    [['--to', '24.0.0'], 'error: a/Cargo.toml:8:1: `wasmtime-wasi-io` cannot follow wasmtime to 24.0.0: the release data knows no wasmtime-wasi-io 24.0.0 (its first release is 30.0.0); every family crate in use exists at 30.0.0 (--to 30.0.0), or --exclude wasmtime-wasi-io leaves it as it is\n'],
    [
      ['--to', '30.0.0-dev'],
      'error: wasmtime 30.0.0-dev is not a known release; the nearest known releases are 30.0.0, 30.0.1, 30.0.2 (the release data knows wasmtime up to 51.0.0; `wasmtime-align update-data` fetches newer releases; --allow-unknown-version uses it anyway)\n',
    ],
    [
      ['--to', '47.0.0'],
      'error: a/Cargo.toml:9:1: `wasi-common` cannot follow wasmtime to 47.0.0: wasi-common was removed in 47.0.0; instead: wasmtime-wasi (p1 via `p1` feature) (https://github.com/bytecodealliance/wasmtime/pull/13558); there is no automatic replacement; every family crate in use exists at 46.0.3 (--to 46.0.3), or --exclude wasi-common leaves it as it is\n',
    ],
    [['--to', '26'], 'error: a/Cargo.toml:8:1: `wasmtime-wasi-io` cannot follow wasmtime to 26.0.1: the release data knows no wasmtime-wasi-io 26.0.1 (its first release is 30.0.0); every family crate in use exists at 30.0.0 (--to 30.0.0), or --exclude wasmtime-wasi-io leaves it as it is\n'],
    [['--to', 'v26'], "error: invalid value 'v26' for '--to <version>': expected a version like 26.0.1, a line like 26, or latest\n\nFor more information, try '--help'.\n"],
  ];
  for (const [args, stderr] of cases) {
    for (const mode of [[], ['--write']]) {
      const r = runCli([...args, ...mode], dir);
      assert.equal(r.status, 2, `${args.join(' ')} ${mode.join(' ')}`);
      assert.equal(r.stderr, stderr);
      assert.equal(r.stdout, '');
    }
  }
  assert.deepEqual(treeDifferences(readTree(dir), pristine), []);
});

test('--no-lift keeps quoting and spacing: literal strings and `version =  "..."`', (t) => {
  const files: Files = {
    'Cargo.toml': virtualRoot(['a'], "\n[workspace.dependencies]\nwasmtime = '24.0.0' # pinned\n"),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies.wasmtime-wasi]\nversion =  "25.0.0"\n\n[dependencies]\nwiggle = { version = '24.0.0', features = ['tracing_log'] }\n`,
  };
  const o = runCase(t, files, ['--no-lift']);
  assert.deepEqual(o.problems, []);
  assert.equal(o.after('Cargo.toml'), virtualRoot(['a'], "\n[workspace.dependencies]\nwasmtime = '25.0.0' # pinned\n"));
  assert.equal(o.after('a/Cargo.toml'), `${pkg('a')}\n[dependencies.wasmtime-wasi]\nversion =  "25.0.0"\n\n[dependencies]\nwiggle = { version = '25.0.0', features = ['tracing_log'] }\n`);
});

// ---------------------------------------------------------------------------------------------------------
// File system
// ---------------------------------------------------------------------------------------------------------

test('member paths with spaces, quotes, tabs, backslashes and non-ASCII letters: git apply equals --write', (t) => {
  const members = ['my crate', 'ünï', 'q"x', 't\tab', 'back\\slash'];
  const files: Files = { 'Cargo.toml': virtualRoot(members) };
  members.forEach((m, i) => {
    files[`${m}/Cargo.toml`] = `${pkg(`m${i}`)}\n[dependencies]\nwasmtime = "25.0.0"\n`;
  });
  const o = runCase(t, files);
  assert.deepEqual(o.problems, []);
  for (const m of members) assert.equal(o.after(`${m}/Cargo.toml`), replaceLine(o.before(`${m}/Cargo.toml`), 'wasmtime = "25.0.0"', 'wasmtime = { workspace = true }'));
});

test('a symlinked member manifest: git apply of the dry-run diff gives what --write gives', (t) => {
  // --write edits templates/b.toml through b/Cargo.toml (a symlink); the diff names b/Cargo.toml, which
  // `git apply` refuses to patch through a symlink ("patch does not apply").
  const files: Files = {
    'Cargo.toml': virtualRoot(['a', 'b']),
    'a/Cargo.toml': `${pkg('a')}\n[dependencies]\nwasmtime = "25.0.0"\n`,
    'templates/b.toml': `${pkg('b')}\n[dependencies]\nwasmtime = "25.0.0"\n`,
  };
  const o = runCase(t, files, [], {
    prepare: (dir) => {
      fs.mkdirSync(path.join(dir, 'b', 'src'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'b', 'src', 'lib.rs'), '');
      fs.symlinkSync('../templates/b.toml', path.join(dir, 'b', 'Cargo.toml'));
    },
  });
  assert.deepEqual(o.problems, []);
  assert.ok(fs.lstatSync(path.join(o.work, 'b', 'Cargo.toml')).isSymbolicLink());
  assert.equal(o.after('templates/b.toml'), `${pkg('b')}\n[dependencies]\nwasmtime = { workspace = true }\n`);
});
