import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { displayPath, relativePath, UserError } from '../errors.js';
import { readLock } from '../doctor/lock.js';
import { memberAsks, memberManifests, packageName } from '../doctor/asks.js';
import { ReleaseMap } from '../doctor/releases.js';
import { LockView, type LockStaleness } from '../lock/staleness.js';
import type { Root } from '../discover/index.js';
import { hakariSectionsOf } from '../manifest/hakari-section.js';
import { parseManifest, type Manifest } from '../manifest/read.js';
import type { Plan, PlannedRoot } from '../pipeline.js';
import type { ReleaseData } from '../family/release-data.js';
import type { Style } from './style.js';

/** A root's Cargo.lock checked against the requirements its manifests have once the plan is written. */
export interface LockState {
  readonly root: PlannedRoot;
  /** Whether the plan changes one of the root's manifests. */
  readonly changed: boolean;
  /** The root's Cargo.lock. */
  readonly file: string;
  /** Undefined when the lock cannot be read (`problem` says why). */
  readonly staleness: LockStaleness | undefined;
  readonly problem?: string;
}

/**
 * Every root that has a Cargo.lock, with its lock checked against the planned manifests (what `--write` writes):
 * every member's registry requirement on the family, companions included.
 */
export function lockStates(plan: Plan, cwd: string): LockState[] {
  const after = new Map(plan.files.map((f) => [f.manifest.path, f]));
  const releases = new ReleaseMap(plan.data);
  const out: LockState[] = [];
  for (const root of plan.roots) {
    const file = path.join(path.dirname(root.manifest.path), 'Cargo.lock');
    const changed = root.manifests.some((m) => after.has(m.path));
    let lock;
    try {
      lock = readLock(file);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      out.push({ root, file, changed, staleness: undefined, problem: e.message });
      continue;
    }
    if (lock === undefined) continue;
    const planned = (m: Manifest): Manifest => {
      const f = after.get(m.path);
      return f === undefined ? m : parseManifest(m.path, Buffer.from(f.after, 'utf8'));
    };
    const r: Root = root.kind === 'workspace' ? { kind: 'workspace', manifest: planned(root.manifest), members: root.members.map(planned) } : { kind: 'standalone', manifest: planned(root.manifest) };
    // Hakari sections mirror the lock and are generated again after it is refreshed: they are not asked about.
    const sections = new Map(memberManifests(r).map((m) => [m.path, hakariSectionsOf(m)]));
    const generated = (file: string, line: number): boolean => (sections.get(file) ?? []).some((g) => line >= g.startLine && line <= g.endLine);
    const asks = memberAsks(r, releases).flatMap(({ ask }) =>
      ask.source === 'registry' && ask.requirement !== null ? [{ member: ask.member, crate: ask.crate, requirement: ask.requirement, generated: generated(ask.file, ask.line) }] : [],
    );
    const view = new LockView(lock, memberManifests(r).map(packageName), (name) => releases.isFamily(name));
    const staleness = view.staleness(asks, {
      manifestPath: relativePath(root.manifest.path, cwd),
      published: (crate, version) => plan.data.release(crate, version) !== undefined,
      securityFixAbove: (crate, version) => {
        const release = plan.data.releaseOf(crate, version);
        return release !== undefined && plan.data.securityFixesAfter(release).length > 0;
      },
      pins: (crate, version) => exactPinClosure(plan.data, crate, version),
      companion: (crate) => plan.data.family(crate)?.numbering.kind === 'companion',
    });
    out.push({ root, file, changed, staleness });
  }
  return out;
}

/** The family crates `crate@version` pins with `=`, and the ones those pin at their version of its release. */
function exactPinClosure(data: ReleaseData, crate: string, version: string): Set<string> {
  const release = data.releaseOf(crate, version);
  const out = new Set<string>();
  const queue = [crate];
  while (queue.length > 0) {
    const c = queue.pop()!;
    const v = c === crate ? version : release !== undefined ? data.versionAt(c, release) : undefined;
    for (const p of v === undefined ? [] : data.exactPins(c, v)) {
      if (out.has(p) || p === crate) continue;
      out.add(p);
      queue.push(p);
    }
  }
  return out;
}

/** The roots whose lock the run made stale (or found stale): those with commands to run. */
export function staleLocks(states: readonly LockState[]): LockState[] {
  return states.filter((s) => s.changed && (s.staleness?.commands.length ?? 0) > 0);
}

/**
 * After a write: per stale lock, what no longer matches and the commands that refresh it (printed, or run by
 * `--update-lock`), then the copies third-party crates pull in, which the refresh leaves. Nothing for a lock that
 * still satisfies the manifests.
 */
export function formatLockNotes(states: readonly LockState[], cwd: string, style: Style, run: boolean): string {
  // With `run` (--update-lock) the commands are not printed: cargo's own output follows.
  const out: string[] = [];
  const note = style.cyan('note');
  for (const s of states.filter((x) => x.changed)) {
    if (s.problem !== undefined) out.push(`${style.yellow('warning')}: ${displayPath(s.file, cwd)}: cannot check it against the new requirements: ${s.problem}`);
    const st = s.staleness;
    if (st !== undefined && st.commands.length === 0 && run) out.push(`${note}: ${displayPath(st.file, cwd)} still satisfies the new requirements; --update-lock has nothing to run for it`);
    if (st === undefined || st.commands.length === 0) continue;
    const lock = displayPath(st.file, cwd);
    const own = st.stale.filter((c) => c.own).map((c) => (c.required === null ? `${c.name} ${c.locked}, which no requirement asks for now` : `${c.locked === null ? `no ${c.name}` : `${c.name} ${c.locked}`} for "${c.required}"`));
    const head = `${note}: ${lock} no longer matches the manifests (${own.join('; ')})`;
    out.push(...(run ? [`${head}; refreshing it`] : [`${head}; refresh it with:`, ...st.commands.map((c) => `  ${commandLine(c)}`)]));
    for (const c of st.stale.filter((x) => x.pulledBy.length > 0)) {
      const by = c.pulledBy.join(', ');
      out.push(`${note}: ${lock}: ${c.name} ${c.locked} ${c.own ? `stays for ${by}, which ${c.pulledBy.length === 1 ? 'pulls' : 'pull'} it in` : `is pulled by ${by}`}; it is not updated`);
    }
  }
  return out.map((l) => `${l}\n`).join('');
}

/**
 * `--update-lock`: runs each stale lock's commands, cargo's output passed through. A failing command ends that
 * lock's refresh and says what state the files are in (the manifests are written by then); the other locks are
 * still refreshed. 0 when every command succeeded, else 2.
 */
export function runLockUpdates(states: readonly LockState[], cwd: string, write: (s: string) => void): number {
  let status = 0;
  for (const s of staleLocks(states)) {
    const st = s.staleness!;
    const lock = displayPath(st.file, cwd);
    for (const [i, args] of st.commands.entries()) {
      const r = spawnSync('cargo', [...args], { cwd, encoding: 'utf8' });
      const state =
        i === 0
          ? `the manifests were written, ${lock} was not refreshed`
          : `the manifests were written and \`${commandLine(st.commands[0]!)}\` refreshed ${lock}, but not to the versions the manifests name (it holds the newest compatible ones)`;
      if (r.error) {
        write(`error: cannot run \`${commandLine(args)}\`: ${r.error.message}; ${state}\n`);
        status = 2;
        break;
      }
      write(r.stdout + r.stderr);
      if (r.status !== 0) {
        write(`error: \`${commandLine(args)}\` ${r.status === null ? `was killed by ${r.signal}` : `exited with status ${r.status}`}; ${state}\n`);
        status = 2;
        break;
      }
    }
  }
  return status;
}

/** The command line a person would type. */
export function commandLine(args: readonly string[]): string {
  return `cargo ${args.join(' ')}`;
}
