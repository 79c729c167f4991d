import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { relativePath } from '../errors.js';
import { readLock } from '../doctor/lock.js';
import type { Plan } from '../pipeline.js';
import type { Change } from '../plan/types.js';

/** One root's lock to refresh after a write: the cargo command that does it. */
export interface LockUpdate {
  readonly lock: string;
  /** `cargo update --manifest-path <root> -p <crate> ...`, as arguments after `cargo`. */
  readonly args: readonly string[];
}

/**
 * For every root whose manifests changed and that has a Cargo.lock: `cargo update -p` for each family crate
 * whose requirement the run changed and that the lock holds (`name@version` where the lock holds several
 * versions, as cargo then requires). Crates the lock does not hold yet are added by any cargo command.
 */
export function lockUpdates(plan: Plan, cwd: string): LockUpdate[] {
  const changed = new Set(plan.files.map((f) => f.manifest.path));
  const out: LockUpdate[] = [];
  for (const root of plan.roots) {
    if (!root.manifests.some((m) => changed.has(m.path))) continue;
    const lockFile = path.join(path.dirname(root.manifest.path), 'Cargo.lock');
    if (!fs.existsSync(lockFile)) continue;
    const lock = readLock(lockFile);
    if (!lock) continue;
    const isFamily = (name: string): boolean => plan.data.family(name) !== undefined;
    const crates = new Set(root.changes.flatMap((c) => changedCrates(c).filter(isFamily)));
    const specs: string[] = [];
    for (const name of [...crates].sort()) {
      const versions = lock.packages.filter((p) => p.name === name && p.kind === 'registry').map((p) => p.version);
      if (versions.length === 1) specs.push('-p', name);
      else for (const v of versions) specs.push('-p', `${name}@${v}`);
    }
    if (specs.length === 0) continue;
    out.push({ lock: lockFile, args: ['update', '--manifest-path', relativePath(root.manifest.path, cwd), ...specs] });
  }
  return out;
}

/** The crates a change touches the requirement of. */
function changedCrates(c: Change): string[] {
  switch (c.kind) {
    case 'rewrite':
    case 'remove':
      return [c.entry.package];
    case 'add': {
      const pkg = typeof c.after === 'object' && typeof c.after.package === 'string' ? c.after.package : c.key;
      return [pkg];
    }
    default:
      return [];
  }
}

/** Runs `cargo update ...` for each lock, its output passed through; the first failing status, else 0. */
export function runLockUpdates(updates: readonly LockUpdate[], cwd: string, write: (s: string) => void): number {
  for (const u of updates) {
    const r = spawnSync('cargo', [...u.args], { cwd, encoding: 'utf8' });
    if (r.error) {
      write(`error: cannot run cargo: ${r.error.message}\n`);
      return 2;
    }
    write(r.stdout + r.stderr);
    if (r.status !== 0) {
      write(`error: \`cargo ${u.args.join(' ')}\` exited with status ${r.status}\n`);
      return 2;
    }
  }
  return 0;
}

/** The command lines a person would type. */
export function formatLockUpdates(updates: readonly LockUpdate[]): string {
  return updates.map((u) => `  cargo ${u.args.join(' ')}\n`).join('');
}
