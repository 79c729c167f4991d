/**
 * The fault harness shared by test/faults.test.ts (CI-sized) and scripts/fault-test.mjs (3,000 members, many
 * timings): runs `--write` on a generated workspace, sends a signal and appends a line to a member at chosen
 * moments, and judges the outcome.
 *
 * Legal outcomes, and nothing else:
 * - every planned file all old or all new, none in between and none holding anything else;
 * - the appended line is never lost: the member holds its old text + the line, or its new text + the line (the
 *   append came before the run read it, or after its rename: both give the new text + the line, as the line is
 *   a comment at the end); old + line goes with every other file old, new + line with every other file new;
 * - the exit: 0 with all new; 128 + the signal's number with all old (rolled back at a checkpoint) or all new (it
 *   arrived past the last rename); killed by the signal itself (it arrived before the handlers were installed,
 *   or after they were removed) with all old or all new; 2 with all old only when a line was appended, naming
 *   that member as changed or edited meanwhile;
 * - no temporary file, journal or lock left anywhere in the tree.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cliPath, repoRoot } from './paths.js';

export interface Workspace {
  readonly dir: string;
  /** Every manifest the run changes: relative path -> bytes before and after. */
  readonly changes: ReadonlyMap<string, { readonly old: Buffer; readonly new: Buffer }>;
  /** Manifests the run leaves as they are (appends to one of them must survive too). */
  readonly unchanged: readonly string[];
  /** How long an undisturbed --write took, in ms. */
  readonly writeMs: number;
}

export interface Fault {
  readonly signal?: NodeJS.Signals;
  readonly signalAtMs?: number;
  /** A member's manifest (relative) and when to append to it. */
  readonly appendTo?: string;
  readonly appendAtMs?: number;
}

export interface FaultOutcome {
  /** e.g. `exit 0, all new`, `exit 130, all old`, `killed by SIGTERM, all old`, `exit 2 (edit detected), all old`. */
  readonly kind: string;
  readonly violations: readonly string[];
  readonly stderr: string;
}

const APPEND = '# appended while wasmtime-align ran\n';
const env = (): NodeJS.ProcessEnv => ({ ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, XDG_CACHE_HOME: path.join(os.tmpdir(), 'wasmtime-align-fault-cache') });

/** Generates a workspace of `members` members and learns what --write does to it (on a copy). */
export async function prepareWorkspace(parent: string, members: number): Promise<Workspace> {
  const gen = (await import(pathToFileURL(path.join(repoRoot, 'bench', 'generate.mjs')).href)) as { generateWorkspace: (dir: string, n: number) => string };
  const dir = gen.generateWorkspace(path.join(parent, 'ws'), members);
  const probe = path.join(parent, 'probe');
  fs.cpSync(dir, probe, { recursive: true });
  const before = manifests(dir);
  const r = await runCli(['--write'], probe, {});
  if (r.status !== 0) throw new Error(`the undisturbed --write failed: ${r.stderr}`);
  const after = manifests(probe);
  fs.rmSync(probe, { recursive: true, force: true });
  const changes = new Map<string, { old: Buffer; new: Buffer }>();
  const unchanged: string[] = [];
  for (const [f, old] of before) {
    const now = after.get(f)!;
    if (now.equals(old)) unchanged.push(f);
    else changes.set(f, { old, new: now });
  }
  // The first run reads a cold cache: time two more on the workspace itself (put back after each), keep the faster.
  let writeMs = Infinity;
  for (let i = 0; i < 2; i++) {
    const t0 = Date.now();
    await runCli(['--write'], dir, {});
    writeMs = Math.min(writeMs, Date.now() - t0);
    for (const [rel, c] of changes) fs.writeFileSync(path.join(dir, rel), c.old);
  }
  return { dir, changes, unchanged, writeMs };
}

function manifests(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    if (path.basename(rel) === 'Cargo.toml') out.set(rel.split(path.sep).join('/'), fs.readFileSync(path.join(dir, rel)));
  }
  return out;
}

interface Run {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

function runCli(args: readonly string[], cwd: string, fault: Fault, onSpawn?: (kill: (s: NodeJS.Signals) => void) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd, env: env(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let exited = false;
    const timers: NodeJS.Timeout[] = [];
    if (fault.signal !== undefined) {
      timers.push(setTimeout(() => {
        if (!exited) child.kill(fault.signal);
      }, fault.signalAtMs ?? 0));
    }
    if (fault.appendTo !== undefined) timers.push(setTimeout(() => fs.appendFileSync(path.join(cwd, fault.appendTo!), APPEND), fault.appendAtMs ?? 0));
    onSpawn?.((s) => child.kill(s));
    child.on('error', reject);
    child.on('close', (status, signal) => {
      exited = true;
      // An append still due happens now: it must survive like any other.
      for (const t of timers) clearTimeout(t);
      resolve({ status, signal, stderr });
    });
  });
}

/** Runs --write with the fault, judges the outcome, then puts the workspace back as it was. */
export async function faultRun(ws: Workspace, fault: Fault): Promise<FaultOutcome> {
  const r = await runCli(['--write'], ws.dir, fault);
  const appended = fault.appendTo !== undefined && fault.appendAtMs !== undefined && didAppend(ws, fault.appendTo);
  const outcome = judge(ws, fault, r, appended);
  restore(ws, fault.appendTo);
  return outcome;
}

function didAppend(ws: Workspace, rel: string): boolean {
  return fs.readFileSync(path.join(ws.dir, rel), 'utf8').endsWith(APPEND);
}

export function judge(ws: Workspace, fault: Fault, r: Run, appended: boolean): FaultOutcome {
  const v: string[] = [];
  const states = new Set<'old' | 'new'>();
  for (const [rel, c] of ws.changes) {
    const now = fs.readFileSync(path.join(ws.dir, rel));
    const line = appended && rel === fault.appendTo ? APPEND : '';
    if (now.equals(Buffer.concat([c.old, Buffer.from(line)]))) states.add('old');
    else if (now.equals(Buffer.concat([c.new, Buffer.from(line)]))) states.add('new');
    else v.push(`${rel} holds neither its old nor its new text${line ? ' with the appended line (the edit was lost?)' : ''}`);
  }
  if (fault.appendTo !== undefined && !ws.changes.has(fault.appendTo)) {
    const now = fs.readFileSync(path.join(ws.dir, fault.appendTo), 'utf8');
    if (appended !== now.endsWith(APPEND)) v.push(`${fault.appendTo}: the appended line was lost`);
  }
  if (states.size > 1) v.push(`mixed: some files old, some new (${[...states].join(', ')})`);
  const state = states.size === 1 ? [...states][0]! : states.size === 0 ? 'broken' : 'mixed';
  const strays = (fs.readdirSync(ws.dir, { recursive: true }) as string[]).filter((f) => /wasmtime-align/.test(path.basename(f)) || f.endsWith('.tmp'));
  if (strays.length > 0) v.push(`left behind: ${strays.slice(0, 5).join(', ')}`);

  let exit: string;
  const signo = fault.signal ? os.constants.signals[fault.signal] : undefined;
  if (r.signal !== null) {
    exit = `killed by ${r.signal}`;
    if (r.signal !== fault.signal) v.push(`killed by ${r.signal}, which was not sent`);
  } else if (r.status === 0) {
    exit = 'exit 0';
    if (state !== 'new') v.push(`exit 0 with the files ${state}`);
  } else if (signo !== undefined && r.status === 128 + signo) {
    exit = `exit ${r.status}`;
    if (!/^error: interrupted by SIG\w+; nothing was written$/m.test(r.stderr) && !/arrived after every file was written/.test(r.stderr)) v.push(`exit ${r.status} without saying why: ${r.stderr.trim()}`);
    if (/^error: interrupted/m.test(r.stderr) && state !== 'old') v.push(`interrupted, yet the files are ${state}`);
  } else if (r.status === 2 && appended) {
    exit = 'exit 2 (edit detected)';
    const named = new RegExp(`^error: ${fault.appendTo!.replace(/[.]/g, '\\.')}: the file (changed on disk|was edited while)`, 'm');
    if (!named.test(r.stderr)) v.push(`exit 2 without naming ${fault.appendTo}: ${r.stderr.trim()}`);
    if (state !== 'old') v.push(`exit 2 with the files ${state}`);
  } else {
    exit = `exit ${r.status}`;
    v.push(`unexpected exit ${r.status}: ${r.stderr.trim().slice(0, 300)}`);
  }
  return { kind: `${exit}, all ${state}`, violations: v, stderr: r.stderr };
}

/** Puts every manifest back to its old bytes and removes what a broken run left (only inside the workspace). */
function restore(ws: Workspace, appendTo: string | undefined): void {
  for (const [rel, c] of ws.changes) fs.writeFileSync(path.join(ws.dir, rel), c.old);
  if (appendTo !== undefined && !ws.changes.has(appendTo)) {
    const p = path.join(ws.dir, appendTo);
    const text = fs.readFileSync(p, 'utf8');
    if (text.endsWith(APPEND)) fs.writeFileSync(p, text.slice(0, -APPEND.length));
  }
  for (const f of fs.readdirSync(ws.dir, { recursive: true }) as string[]) {
    if (/wasmtime-align/.test(path.basename(f)) || f.endsWith('.tmp')) fs.rmSync(path.join(ws.dir, f), { force: true });
  }
}

/**
 * SIGKILL at a moment, then a second --write: it must repair (or find nothing to repair) and leave every file
 * new, with nothing left behind. Returns the outcome of the pair.
 */
export async function killThenRepair(ws: Workspace, atMs: number): Promise<FaultOutcome> {
  const first = await runCli(['--write'], ws.dir, { signal: 'SIGKILL', signalAtMs: atMs });
  const journal = fs.existsSync(path.join(ws.dir, '.wasmtime-align-journal'));
  const second = await runCli(['--write'], ws.dir, {});
  const out = judge(ws, {}, second, false);
  const v = [...out.violations];
  if (journal && !/a --write interrupted earlier \(pid \d+\) (was rolled back|had replaced every file)/.test(second.stderr)) v.push(`a journal was left, and the next run did not say it repaired: ${second.stderr.trim()}`);
  if (second.status !== 0) v.push(`the run after SIGKILL exited ${second.status}`);
  if (!out.kind.endsWith('all new')) v.push(`after the repairing run the files are not all new: ${out.kind}`);
  restore(ws, undefined);
  const firstKind = first.signal === 'SIGKILL' ? (journal ? 'killed mid-write' : 'killed (no journal)') : `finished (exit ${first.status})`;
  return { kind: `${firstKind}, then ${out.kind}`, violations: v, stderr: second.stderr };
}

/** Two --write runs started together: one writes, the other waits and finds nothing left, or stops clearly. */
export async function twoRunsAtOnce(ws: Workspace, lockWaitMs?: number): Promise<FaultOutcome> {
  const extra = lockWaitMs === undefined ? {} : { WASMTIME_ALIGN_LOCK_WAIT_MS: String(lockWaitMs) };
  const go = (): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cliPath, '--write'], { cwd: ws.dir, env: { ...env(), ...extra }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (status, signal) => resolve({ status, signal, stderr }));
    });
  const [a, b] = await Promise.all([go(), go()]);
  const v: string[] = [];
  const out = judge(ws, {}, a.status === 0 ? a : b, false);
  v.push(...out.violations);
  const kinds = [a, b].map((r) => (r.status === 0 ? (/nothing to change/.test(r.stderr) ? 'waited, nothing left' : 'wrote') : /another wasmtime-align run \(pid \d+\) is writing this workspace/.test(r.stderr) ? 'stopped: locked' : /changed on disk/.test(r.stderr) ? 'stopped: changed on disk' : `exit ${r.status}`));
  if (kinds.filter((k) => k === 'wrote').length !== 1) v.push(`not exactly one run wrote: ${kinds.join(', ')}; ${a.stderr} ${b.stderr}`);
  for (const k of kinds) if (k.startsWith('exit')) v.push(`unexpected: ${k}; ${a.stderr} ${b.stderr}`);
  restore(ws, undefined);
  return { kind: kinds.sort().join(' + '), violations: v, stderr: a.stderr + b.stderr };
}
