import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliPath } from './paths.js';

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI as a user would, in `cwd`, without colour. */
export function runCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `wasmtime-align-${prefix}-`));
}

export function copyTree(from: string, to: string): string {
  fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  return to;
}

/** Every file below `dir` (relative path -> bytes), for byte-exact comparisons of whole trees. */
export function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.set(path.relative(dir, p).split(path.sep).join('/'), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** The files that differ between two trees (missing on either side counts). */
export function treeDifferences(a: Map<string, Buffer>, b: Map<string, Buffer>): string[] {
  const names = new Set([...a.keys(), ...b.keys()]);
  return [...names].filter((n) => !a.get(n)?.equals(b.get(n) ?? Buffer.alloc(0)) || !a.has(n) || !b.has(n)).sort();
}

/** Applies a git-style patch with `git apply` in `dir`; throws with git's message if it does not apply. */
export function gitApply(dir: string, patch: string): void {
  if (patch === '') return;
  const file = path.join(os.tmpdir(), `wasmtime-align-${process.pid}-${Date.now()}.patch`);
  fs.writeFileSync(file, patch);
  const r = spawnSync('git', ['apply', '--whitespace=nowarn', file], { cwd: dir, encoding: 'utf8' });
  fs.rmSync(file, { force: true });
  if (r.status !== 0) throw new Error(`git apply failed: ${r.stderr}`);
}

/** Requirements as cargo metadata prints them: a bare version is a caret requirement. */
export function metadataReq(requirement: string): string {
  return /^[\^=~<>]/.test(requirement) ? requirement : `^${requirement}`;
}
