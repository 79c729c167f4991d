/**
 * The CI recipes the README shows are real files, and this test runs the command each one holds, as the
 * CI system would, with the built command (dist/bin/wasmtime-align.js) on PATH as `wasmtime-align`:
 *
 * - examples/ci/github-actions.yml: the workflow's `run:` steps in order, through bash as GitHub runs them
 *   (the install step with a stand-in for npm that puts the built command where `npm install --prefix`
 *   would, then GITHUB_PATH), on a misaligned workspace (exit 1, `::error file=...` annotations) and on an
 *   aligned one (exit 0). The annotations need `--message-format github` (issue 11, branch ci): until it
 *   lands, both of those tests fail on the unknown option (exit 2).
 * - .pre-commit-hooks.yaml: the hook's `entry`, split and run without a shell as pre-commit runs it, in a
 *   misaligned (exit 1) and an aligned workspace (exit 0).
 * - examples/ci/renovate.json: the packageRule matches every family crate of the release data, and its
 *   post-upgrade command, run after a simulated Renovate bump, leaves the workspace aligned (`--check`
 *   exits 0) and accepted by cargo (`cargo metadata --no-deps --offline`).
 *
 * The YAML files are read with test/yaml-lite.ts (no YAML package is a dependency), checked against
 * PyYAML where python3 has it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { embeddedReleaseData } from '../src/family/release-data.js';
import { runCli, tempDir, writeTree } from './helpers.js';
import { cargoStatus } from './oracle.js';
import { cliPath, repoRoot } from './paths.js';
import { parseYaml, type YamlValue } from './yaml-lite.js';

type Obj = { [key: string]: YamlValue };
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const WORKFLOW = path.join(repoRoot, 'examples', 'ci', 'github-actions.yml');
const HOOKS = path.join(repoRoot, '.pre-commit-hooks.yaml');
const RENOVATE = path.join(repoRoot, 'examples', 'ci', 'renovate.json');

/** A directory holding `wasmtime-align`, the built command, as `npm install -g` would put it on PATH. */
function shimPath(): string {
  const bin = tempDir('recipe-bin');
  fs.symlinkSync(cliPath, path.join(bin, 'wasmtime-align'));
  return bin;
}

const cacheHome = tempDir('recipe-cache');
function env(bin: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, NO_COLOR: '1', FORCE_COLOR: undefined, XDG_CACHE_HOME: cacheHome, ...extra };
}

const member = (name: string, deps: string): string =>
  `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n${deps}`;

/** Two members asking for different wasmtime releases: a run lifts both to 26.0.1. */
function misaligned(): string {
  return writeTree(tempDir('recipe-misaligned'), {
    'Cargo.toml': '[workspace]\nmembers = ["a", "b"]\nresolver = "2"\n',
    'a/Cargo.toml': member('a', 'wasmtime = "26.0.1"\n'),
    'a/src/lib.rs': '',
    'b/Cargo.toml': member('b', 'wasmtime = { version = "25.0.0", features = ["async"] }\nwasmtime-wasi = "25.0.0"\n'),
    'b/src/lib.rs': '',
  });
}

/** A lifted workspace at 26.0.1: three members inherit the family from [workspace.dependencies]. */
function aligned(): string {
  return writeTree(tempDir('recipe-aligned'), {
    'Cargo.toml':
      '[workspace]\nmembers = ["a", "b", "c"]\nresolver = "2"\n\n[workspace.dependencies]\n' +
      'cranelift-codegen = "0.113.1"\nwasmtime = "26.0.1"\nwasmtime-wasi = "26.0.1"\n',
    'a/Cargo.toml': member('a', 'wasmtime = { workspace = true }\n'),
    'a/src/lib.rs': '',
    'b/Cargo.toml': member('b', 'wasmtime = { workspace = true, features = ["async"] }\nwasmtime-wasi = { workspace = true }\n'),
    'b/src/lib.rs': '',
    'c/Cargo.toml': member('c', 'cranelift-codegen = { workspace = true }\nwasmtime = { workspace = true }\n'),
    'c/src/lib.rs': '',
  });
}

/** PyYAML's reading of a file as JSON, or undefined where python3 or PyYAML is missing. */
function pyYaml(file: string): unknown {
  const r = spawnSync('python3', ['-c', 'import sys, json, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)', file], { encoding: 'utf8' });
  return r.status === 0 ? JSON.parse(r.stdout) : undefined;
}

/** A command line with no shell syntax, split the way pre-commit (shlex) and Renovate split it. */
function argv(command: string): string[] {
  assert.doesNotMatch(command, /["'`$\\|&;<>()*?~]/, `${command}: the recipe's command has no shell syntax`);
  return command.trim().split(/\s+/);
}

function workflowSteps(): Obj[] {
  const doc = parseYaml(fs.readFileSync(WORKFLOW, 'utf8'));
  assert.ok(isObj(doc) && isObj(doc.jobs), 'the workflow has jobs');
  const py = pyYaml(WORKFLOW) as { jobs?: unknown } | undefined;
  if (py) assert.deepEqual(JSON.parse(JSON.stringify(doc.jobs).replace(/"node-version":"20"/, '"node-version":20')), py.jobs, 'yaml-lite reads the jobs as PyYAML does');
  const jobs = Object.values(doc.jobs);
  assert.equal(jobs.length, 1);
  const job = jobs[0]!;
  assert.ok(isObj(job) && Array.isArray(job.steps));
  return job.steps.filter(isObj);
}

/** The step that runs wasmtime-align (its `run:` text, as written). */
function workflowCommand(): string {
  const runs = workflowSteps().map((s) => s.run).filter((r): r is string => typeof r === 'string' && /(^|\s)wasmtime-align\s/.test(r));
  assert.equal(runs.length, 1, 'one step runs wasmtime-align');
  return runs[0]!;
}

/**
 * Runs the workflow's `run:` steps in order, as a GitHub runner would on Linux (`bash --noprofile --norc -eo
 * pipefail`, RUNNER_TEMP, GITHUB_PATH read between steps), in `cwd` (the checked-out repository; the `uses:`
 * steps are what this machine already has). `npm` is replaced by a stand-in that checks its arguments and
 * installs the built command where `npm install --prefix <dir>` would put it, so the install step's PATH
 * plumbing is exercised without the network. Returns the wasmtime-align step's result and the package spec.
 */
function runWorkflow(cwd: string) {
  const temp = tempDir('recipe-runner');
  const runnerTemp = path.join(temp, 'runner-temp');
  fs.mkdirSync(runnerTemp);
  const githubPath = path.join(temp, 'github-path');
  fs.writeFileSync(githubPath, '');
  const specFile = path.join(temp, 'npm-spec');
  const fake = path.join(temp, 'fake-bin');
  fs.mkdirSync(fake);
  fs.writeFileSync(path.join(fake, 'npm'), [
    '#!/bin/sh',
    '# stand-in for npm: `npm install --prefix <dir> <spec>` puts the built command in <dir>/node_modules/.bin',
    'if [ "$1" != install ] || [ "$2" != --prefix ] || [ $# -ne 4 ]; then echo "unexpected npm call: $*" >&2; exit 99; fi',
    'mkdir -p "$3/node_modules/.bin" && ln -sf "$RECIPE_CLI" "$3/node_modules/.bin/wasmtime-align" && printf %s "$4" > "$RECIPE_SPEC"',
    '',
  ].join('\n'), { mode: 0o755 });
  let result: { status: number; stdout: string; stderr: string } | undefined;
  for (const step of workflowSteps()) {
    if (typeof step.run !== 'string') continue;
    // GitHub prepends each GITHUB_PATH line to PATH for the later steps, the last one first.
    const added = fs.readFileSync(githubPath, 'utf8').split('\n').filter((l) => l !== '').reverse();
    const PATH = [...added, fake, process.env.PATH ?? ''].join(path.delimiter);
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], {
      cwd, encoding: 'utf8',
      env: { ...env(fake), PATH, GITHUB_ACTIONS: 'true', CI: 'true', RUNNER_TEMP: runnerTemp, GITHUB_PATH: githubPath, RECIPE_CLI: cliPath, RECIPE_SPEC: specFile },
    });
    const out = { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    if (/(^|\s)wasmtime-align\s/.test(step.run) && !/^npm /.test(step.run)) result = out;
    else assert.equal(out.status, 0, `step ${String(step.name ?? step.run)}: ${out.stderr}`);
  }
  assert.ok(result, 'the workflow runs wasmtime-align');
  return { ...result, spec: fs.existsSync(specFile) ? fs.readFileSync(specFile, 'utf8') : undefined };
}

test('github-actions.yml: checks out, sets up Node 20, installs wasmtime-align, runs --check --message-format github', () => {
  const steps = workflowSteps();
  const uses = steps.map((s) => s.uses).filter((u): u is string => typeof u === 'string');
  assert.ok(uses.some((u) => u.startsWith('actions/checkout@')), 'checks out the repository');
  const node = steps.find((s) => typeof s.uses === 'string' && s.uses.startsWith('actions/setup-node@'));
  assert.ok(node && isObj(node.with) && node.with['node-version'] === '20', 'sets up Node 20');
  const install = steps.map((s) => s.run).find((r) => typeof r === 'string' && /^npm install /.test(r));
  assert.ok(typeof install === 'string', 'installs the package');
  assert.doesNotMatch(install, /(--global|\s-g)\b/, 'not globally: npm skips the dev dependencies of a global install from git (npm/cli#8440)');
  const { spec } = runWorkflow(aligned());
  assert.match(spec ?? '', /^(git\+https:\/\/\S+\.git(#\S+)?|\.\/wasmtime-align-\d+\.\d+\.\d+\.tgz)$/, 'from a git URL or a tarball');
  const command = argv(workflowCommand());
  assert.equal(command[0], 'wasmtime-align');
  assert.ok(command.includes('--check'));
  assert.deepEqual(command.slice(command.indexOf('--message-format'), command.indexOf('--message-format') + 2), ['--message-format', 'github']);
  const doc = parseYaml(fs.readFileSync(WORKFLOW, 'utf8')) as Obj;
  const on = doc.on as Obj;
  for (const event of ['pull_request', 'push']) {
    const paths = (on[event] as Obj).paths;
    assert.ok(Array.isArray(paths) && paths.includes('**/Cargo.toml'), `${event} runs on a change to any Cargo.toml`);
  }
});

test('github-actions.yml: the wasmtime-align step fails a misaligned workspace with ::error annotations', () => {
  const dir = misaligned();
  const r = runWorkflow(dir);
  const out = r.stdout + r.stderr;
  assert.equal(r.status, 1, out);
  const annotations = out.split('\n').filter((l) => l.startsWith('::error ') || l.startsWith('::warning '));
  assert.ok(annotations.length > 0, `annotations in:\n${out}`);
  for (const a of annotations) {
    assert.match(a, /^::(error|warning) file=[^,\n]+,line=\d+(,col=\d+)?,title=wasmtime-align::\S.*$/, a);
  }
  const files = new Set(annotations.filter((a) => a.startsWith('::error ')).map((a) => /file=([^,]+)/.exec(a)![1]!));
  assert.ok(files.size > 0, 'at least one ::error');
  for (const f of files) assert.ok(['Cargo.toml', 'a/Cargo.toml', 'b/Cargo.toml'].includes(f), `${f} is a manifest of the workspace, relative to it`);
  // --check writes nothing
  assert.match(fs.readFileSync(path.join(dir, 'b/Cargo.toml'), 'utf8'), /wasmtime = \{ version = "25\.0\.0"/);
});

// Needs `--message-format github` (issue 11, branch ci): exits 2 on the unknown option until then.
test('github-actions.yml: the wasmtime-align step passes an aligned workspace', () => {
  const r = runWorkflow(aligned());
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /^::error /m);
});

function hook(): Obj {
  const doc = parseYaml(fs.readFileSync(HOOKS, 'utf8'));
  const py = pyYaml(HOOKS);
  if (py) assert.deepEqual(doc, py, 'yaml-lite reads .pre-commit-hooks.yaml as PyYAML does');
  assert.ok(Array.isArray(doc), 'a list of hooks');
  const h = doc.filter(isObj).find((x) => x.id === 'wasmtime-align');
  assert.ok(h, 'a hook with id wasmtime-align');
  return h;
}

test('.pre-commit-hooks.yaml: a node hook on Cargo.toml files that runs once, without file names', () => {
  const h = hook();
  for (const key of ['id', 'name', 'entry', 'language']) assert.equal(typeof h[key], 'string', `${key} is required by pre-commit`);
  assert.equal(h.entry, 'wasmtime-align --check');
  assert.equal(h.language, 'node');
  assert.equal(h.pass_filenames, false);
  const files = new RegExp(h.files as string);
  for (const p of ['Cargo.toml', 'crates/a/Cargo.toml']) assert.ok(files.test(p), `files matches ${p}`);
  for (const p of ['Cargo.lock', 'xCargo.toml', 'crates/Cargo.toml.orig', 'a/MyCargo.toml']) assert.ok(!files.test(p), `files does not match ${p}`);
  // pre-commit installs the repository with npm install (the `prepare` script builds), npm pack and npm install -g:
  // the package must build on prepare and ship the command it names.
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string>; files: string[] };
  assert.ok(pkg.bin[argv(h.entry as string)[0]!], 'the entry is the package\'s bin');
  assert.match(pkg.scripts.prepare ?? '', /build/);
  assert.ok(pkg.files.includes('dist/bin') && pkg.files.includes('data'));
});

test('.pre-commit-hooks.yaml: the entry, run as pre-commit runs it, fails a misaligned workspace and passes an aligned one', () => {
  const [cmd, ...args] = argv(hook().entry as string);
  const bin = shimPath();
  const run = (cwd: string) => spawnSync(cmd!, args, { cwd, encoding: 'utf8', env: env(bin) });
  const bad = misaligned();
  const r1 = run(bad);
  assert.equal(r1.status, 1, r1.stderr);
  assert.match(r1.stdout, /^diff --git a\/Cargo\.toml b\/Cargo\.toml$/m, 'prints the diff');
  assert.match(fs.readFileSync(path.join(bad, 'b/Cargo.toml'), 'utf8'), /wasmtime-wasi = "25\.0\.0"/, 'writes nothing');
  const r2 = run(aligned());
  assert.equal(r2.status, 0, r2.stderr);
  assert.equal(r2.stdout, '');
});

interface RenovateRule {
  matchManagers?: string[];
  matchPackageNames?: string[];
  postUpgradeTasks?: { commands?: string[]; fileFilters?: string[]; executionMode?: string };
}

function renovateRule(): RenovateRule {
  const config = JSON.parse(fs.readFileSync(RENOVATE, 'utf8')) as { packageRules?: RenovateRule[] };
  const rules = (config.packageRules ?? []).filter((r) => r.postUpgradeTasks);
  assert.equal(rules.length, 1, 'one packageRule with postUpgradeTasks');
  return rules[0]!;
}

/** Renovate's matchPackageNames: exact names, minimatch globs, or /regex/ (docs: string-pattern-matching). */
function renovateMatches(pattern: string, name: string): boolean {
  const re = /^\/(.*)\/(i?)$/.exec(pattern);
  if (re) return new RegExp(re[1]!, re[2]).test(name);
  const glob = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return glob.test(name);
}

test('renovate.json: the packageRule matches every family crate and runs wasmtime-align --write once per branch on Cargo.toml files', () => {
  const rule = renovateRule();
  assert.deepEqual(rule.matchManagers, ['cargo']);
  const patterns = rule.matchPackageNames ?? [];
  const missed = embeddedReleaseData().familyNames().filter((name) => !patterns.some((p) => renovateMatches(p, name)));
  assert.deepEqual(missed, [], 'every family crate of the release data is matched');
  const family = embeddedReleaseData().familyNames();
  for (const p of patterns) assert.ok(family.some((name) => renovateMatches(p, name)), `${p} matches a family crate`);
  const tasks = rule.postUpgradeTasks!;
  assert.deepEqual(tasks.fileFilters, ['**/Cargo.toml']);
  assert.equal(tasks.executionMode, 'branch');
  assert.equal(tasks.commands?.length, 1);
  const command = argv(tasks.commands![0]!);
  assert.equal(command[0], 'wasmtime-align');
  assert.ok(command.includes('--write'));
});

test('renovate.json: after a simulated Renovate bump, the post-upgrade command leaves the workspace aligned and cargo accepts it', (t) => {
  const command = argv(renovateRule().postUpgradeTasks!.commands![0]!);
  const bin = shimPath();
  const cases: { name: string; bump: (dir: string) => void; expect: RegExp[] }[] = [
    {
      // Renovate bumps a member that asks for wasmtime on its own (it does not touch `workspace = true`).
      name: 'a member asks for 27.0.0 while the others inherit 26.0.1',
      bump: (dir) => {
        const file = path.join(dir, 'c/Cargo.toml');
        fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('wasmtime = { workspace = true }', 'wasmtime = "27.0.0"'));
      },
      expect: [/^wasmtime = "27\.0\.0"$/m, /^wasmtime-wasi = "27\.0\.0"$/m, /^cranelift-codegen = "0\.114\.\d+"$/m],
    },
    {
      // Without the groupName, Renovate bumps wasmtime's workspace entry alone.
      name: 'the workspace entry of wasmtime alone is bumped to 27.0.0',
      bump: (dir) => {
        const file = path.join(dir, 'Cargo.toml');
        fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('wasmtime = "26.0.1"', 'wasmtime = "27.0.0"'));
      },
      expect: [/^wasmtime = "27\.0\.0"$/m, /^wasmtime-wasi = "27\.0\.0"$/m, /^cranelift-codegen = "0\.114\.\d+"$/m],
    },
  ];
  const cargo = cargoStatus();
  for (const c of cases) {
    const dir = aligned();
    assert.equal(runCli(['--check'], dir).status, 0, `${c.name}: aligned before the bump`);
    c.bump(dir);
    assert.equal(runCli(['--check'], dir).status, 1, `${c.name}: the bump leaves the family misaligned`);
    const r = spawnSync(command[0]!, command.slice(1), { cwd: dir, encoding: 'utf8', env: env(bin) });
    assert.equal(r.status, 0, `${c.name}: ${r.stderr}`);
    const check = runCli(['--check'], dir);
    assert.equal(check.status, 0, `${c.name}: aligned after the task\n${check.stdout}${check.stderr}`);
    const root = fs.readFileSync(path.join(dir, 'Cargo.toml'), 'utf8');
    for (const e of c.expect) assert.match(root, e, `${c.name}: the bump is kept and the family follows it`);
    assert.match(fs.readFileSync(path.join(dir, 'c/Cargo.toml'), 'utf8'), /^wasmtime = \{ workspace = true \}$/m, `${c.name}: members inherit`);
    if (cargo.available) {
      const m = spawnSync('cargo', ['metadata', '--no-deps', '--offline', '--format-version', '1'], {
        cwd: dir, encoding: 'utf8', env: { ...process.env, RUSTUP_TOOLCHAIN: 'stable', RUSTUP_AUTO_INSTALL: '0', CARGO_TERM_COLOR: 'never' },
      });
      assert.equal(m.status, 0, `${c.name}: cargo metadata: ${m.stderr}`);
      const meta = JSON.parse(m.stdout) as { packages: { name: string; dependencies: { name: string; req: string }[] }[] };
      const reqs = new Set(meta.packages.flatMap((p) => p.dependencies.filter((d) => d.name.startsWith('wasmtime')).map((d) => d.req)));
      assert.deepEqual([...reqs], ['^27.0.0'], `${c.name}: cargo reads one wasmtime requirement`);
    } else t.diagnostic(`cargo oracle skipped: ${cargo.reason}`);
  }
});
