/**
 * Drift: members asking for different releases, a lock that breaks the family's own pins, a stale lock.
 */
import * as semver from '../semver.js';
import { satisfies, type RootContext } from './context.js';
import type { Ask, DriftFinding } from './types.js';
import { LockView } from '../lock/staleness.js';
import { securityFixesLine } from '../plan/release-findings.js';

export function driftFindings(ctx: RootContext): DriftFinding[] {
  return [...releaseDrift(ctx), ...lockstepDrift(ctx), ...staleLock(ctx), ...lockedSecurity(ctx)];
}

/** Each locked release (registry family crates) older than security fixes on its line: one warning per release. */
function lockedSecurity(ctx: RootContext): DriftFinding[] {
  const lock = ctx.lock;
  if (!lock) return [];
  // Release -> the crates locked at it: a companion's own patch release (cranelift 0.133.1) can belong to a wasmtime
  // release the lock does not hold, so the finding names what is locked.
  const releases = new Map<string, string[]>();
  for (const p of lock.packages) {
    const release = p.kind !== 'path' ? ctx.releases.releaseOf(p.name, p.version) : undefined;
    if (release !== undefined) releases.set(release, [...(releases.get(release) ?? []), `${p.name} ${p.version}`]);
  }
  const out: DriftFinding[] = [];
  for (const [release, locked] of [...releases].sort(([a], [b]) => semver.rcompare(a, b))) {
    const line = securityFixesLine(release, ctx.data);
    if (line === undefined) continue;
    const what = locked.includes(`wasmtime ${release}`)
      ? line.text
      : line.text.replace(`wasmtime ${release} is`, `${locked.length > 3 ? `${locked.slice(0, 3).join(', ')} and ${locked.length - 3} more` : locked.join(', ')}, of wasmtime ${release}, ${locked.length === 1 ? 'is' : 'are'}`);
    out.push({
      kind: 'security',
      level: 'warning',
      file: lock.file,
      message: `locked ${what}: \`cargo update\` takes ${line.newest} where the requirements admit it (\`wasmtime-align notes\` lists the fixes)`,
      release,
      fixes: ctx.data.securityFixesAfter(release).map((f) => ({ version: f.version, ids: f.fix.ids })),
    });
  }
  return out;
}

/** Registry requirements whose lowest admitted versions belong to different releases. */
function releaseDrift(ctx: RootContext): DriftFinding[] {
  const byRelease = new Map<string, Ask[]>();
  for (const { ask } of ctx.asks) {
    if (ask.source !== 'registry' || ask.release === null) continue;
    byRelease.set(ask.release, [...(byRelease.get(ask.release) ?? []), ask]);
  }
  if (byRelease.size < 2) return [];
  const releases = [...byRelease.keys()].sort(semver.rcompare).map((release) => ({ release, asks: byRelease.get(release)! }));
  return [{ kind: 'releases', level: 'warning', message: `members ask for ${releases.length} releases of the wasmtime family: ${releases.map((r) => r.release).join(', ')}`, releases }];
}


/** A locked family crate whose locked family dependency is not what its release requires. */
function lockstepDrift(ctx: RootContext): DriftFinding[] {
  const lock = ctx.lock;
  if (!lock) return [];
  const out: DriftFinding[] = [];
  for (const p of lock.packages) {
    // A path package's requirements are in its own manifest (a member's asks are checked as such); a local crate
    // may even just share a family name (preview2-prototyping's wasi-common 0.0.0).
    const release = p.kind !== 'path' ? ctx.releases.releaseOf(p.name, p.version) : undefined;
    if (release === undefined) continue;
    for (const q of new Set(p.deps)) {
      const dep = lock.packages[q]!;
      if (!ctx.releases.isFamily(dep.name)) continue;
      const expected = ctx.releases.versionAt(dep.name, release);
      if (expected === undefined) continue;
      // Which family crates a release pins with `=` comes from the release data (the index's requirements).
      const exact = ctx.data.exactPins(p.name, p.version).includes(dep.name);
      const req = exact ? `=${expected}` : `^${expected}`;
      if (exact ? dep.version === expected : satisfies(dep.version, req)) continue;
      out.push({
        kind: 'lockstep',
        level: 'warning',
        file: lock.file,
        ...(p.line !== null ? { line: p.line, column: p.column! } : {}),
        message: `${p.name} ${p.version} requires ${dep.name} ${req}, but the lock has ${dep.name} ${dep.version} (a bad merge or a hand edit?): the next cargo build re-resolves it, and --locked fails`,
        crate: p.name,
        version: p.version,
        dependency: dep.name,
        dependencyVersion: dep.version,
        expected,
      });
    }
  }
  return out;
}

/**
 * A member's registry requirement, companions included, that its locked copies of the crate do not meet (the
 * shared check of ../lock/staleness.ts, as after --write): the next cargo command resolves it again.
 */
function staleLock(ctx: RootContext): DriftFinding[] {
  const lock = ctx.lock;
  if (!lock) return [];
  const view = new LockView(lock, ctx.members.keys(), (name) => ctx.releases.isFamily(name));
  const out: DriftFinding[] = [];
  for (const { ask } of ctx.asks) {
    if (ask.source !== 'registry' || ask.requirement === null) continue;
    const verdict = view.verdict({ member: ask.member, crate: ask.crate, requirement: ask.requirement });
    if (verdict.satisfied) continue;
    const locked = verdict.locked.map((p) => p.version);
    const has = locked.length === 0 ? `the lock has no ${ask.crate}` : `the lock has ${ask.crate} ${locked.join(', ')}`;
    out.push({
      kind: 'stale-lock',
      level: 'warning',
      file: ask.file,
      line: ask.line,
      column: ask.column,
      message: `stale Cargo.lock: \`${ask.key}\` of ${ask.member} asks for ${ask.crate} "${ask.requirement}", but ${has}: the next cargo build re-resolves it, and --locked fails`,
      ask,
      locked,
    });
  }
  return out;
}
