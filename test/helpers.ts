import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliPath } from './paths.js';
import type { ReleaseData } from '../src/family/release-data.js';

export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The date the release data's age is counted to in tests (WASMTIME_ALIGN_TODAY), so output does not drift. */
export const TEST_TODAY = '2026-12-10';

/** Runs the built CLI as a user would, in `cwd`, without colour. */
/** Each test process gets its own empty release-data cache, so the user's cache never leaks into a test. */
const cacheHome = fs.mkdtempSync(path.join(os.tmpdir(), 'wasmtime-align-cache-'));

export function runCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, XDG_CACHE_HOME: cacheHome, WASMTIME_ALIGN_TODAY: TEST_TODAY, ...env },
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

interface ReportLike {
  roots: { target: { requirement: string } | null }[];
  files: { edits: { after: unknown }[] }[];
}

/**
 * Every requirement a run writes (the roots' targets, and companion crates such as cranelift-* that follow
 * them), as cargo metadata prints it: the oracle allows family requirements to become one of these.
 */
export function writtenRequirements(report: ReportLike): Set<string> {
  const reqs = new Set(report.roots.flatMap((r) => (r.target ? [metadataReq(r.target.requirement)] : [])));
  for (const f of report.files) {
    for (const e of f.edits) {
      const v = typeof e.after === 'string' ? e.after : typeof e.after === 'object' && e.after !== null ? (e.after as { version?: unknown }).version : undefined;
      if (typeof v === 'string') reqs.add(metadataReq(v));
    }
  }
  return reqs;
}

/**
 * A feature-set change the oracle accepts for an upgrade: every feature after exists in the crate's release
 * that the run wrote, and every feature that went is one that release no longer has (so it went by a rule).
 */
export function migratedFeatures(report: { roots: { target: { release: string | null } | null }[] }, data: ReleaseData) {
  const releases = report.roots.flatMap((r) => (r.target?.release ? [r.target.release] : []));
  return (crate: string, before: readonly string[], after: readonly string[]): boolean =>
    releases.some((w) => {
      const v = data.versionAt(crate, w) ?? w;
      const r = data.release(crate, v);
      if (!r) return false;
      const has = (f: string) => f === 'default' || r.features.has(f);
      // A feature may go when the release no longer has it, or when a feature added in its place implies it.
      const implied = (f: string) => after.some((a) => !before.includes(a) && (r.featureDefs?.[a]?.includes(f) ?? false));
      return after.every(has) && before.filter((f) => !after.includes(f)).every((f) => !has(f) || implied(f));
    });
}

/**
 * A `[features]` list may change only in its references to dependency features (`dep/feat`, `dep?/feat`), and a
 * `dep/feat` whose feature went may leave `dep` (or `dep:dep`) in its place: it still switches the dependency on.
 */
export function migratedFeatureRefs(before: readonly string[], after: readonly string[]): boolean {
  const ref = /^([^/:?]+)\??\/.+$/;
  const gone = before.filter((x) => !after.includes(x));
  const added = after.filter((x) => !before.includes(x));
  const enabledBefore = new Set(gone.flatMap((x) => (/^[^/:?]+\/.+$/.test(x) ? [ref.exec(x)![1]!] : [])));
  return [...gone, ...added].every((x) => ref.test(x) || (added.includes(x) && enabledBefore.has(x.replace(/^dep:/, ''))));
}

/** Writes the files, plus an empty src/lib.rs next to every manifest with a [package] (cargo needs a target). */
export function writeTree(dir: string, files: Readonly<Record<string, string>>): string {
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
    if (path.basename(rel) === 'Cargo.toml' && /^\s*\[package\]/m.test(text.replace(/^\ufeff/, ''))) {
      const lib = path.join(path.dirname(p), 'src', 'lib.rs');
      fs.mkdirSync(path.dirname(lib), { recursive: true });
      if (!fs.existsSync(lib)) fs.writeFileSync(lib, '');
    }
  }
  return dir;
}
