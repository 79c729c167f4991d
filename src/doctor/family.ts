/**
 * The family in the lock: `cargo tree | grep wasmtime`, and for a crate locked at several versions
 * `cargo tree -i crate@version` for each, cut at the members and naming who holds each version.
 */
import * as semver from '../semver.js';
import { isMemberNode, isProjectPackage, satisfies, type RootContext } from './context.js';
import type { LockPackage } from './lock.js';
import { lineOf } from './releases.js';
import type { Chain, FamilyCrateReport, FamilyLine, Holder, LockedVersion, LockSourceKind, PackageRef } from './types.js';

export function familyReport(ctx: RootContext): { family: FamilyCrateReport[]; lines: FamilyLine[] } {
  const lock = ctx.lock;
  if (!lock) return { family: [], lines: [] };
  const byName = new Map<string, LockPackage[]>();
  for (const p of lock.packages) {
    if (!ctx.releases.isFamily(p.name)) continue;
    byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  }
  const family: FamilyCrateReport[] = [...byName.keys()].sort().map((name) => {
    const pkgs = byName.get(name)!.sort((a, b) => semver.rcompare(a.version, b.version) || (a.source ?? '').localeCompare(b.source ?? ''));
    const versions = pkgs.map((p): LockedVersion => {
      const base: LockedVersion = {
        version: p.version,
        source: p.kind,
        sourceId: p.source,
        release: ctx.releases.releaseOf(p.name, p.version) ?? null,
        line: p.line,
      };
      return pkgs.length > 1 ? { ...base, chains: chainsTo(ctx, p) } : base;
    });
    return { name, numbering: ctx.data.family(name)!.numbering.kind, versions };
  });
  return { family, lines: linesOf(family) };
}

/** Family crates grouped by (line, source), newest line first. */
function linesOf(family: readonly FamilyCrateReport[]): FamilyLine[] {
  const groups = new Map<string, { line: string; source: LockSourceKind; releases: string[]; wasmtime?: string; crates: { name: string; version: string }[] }>();
  for (const c of family) {
    for (const v of c.versions) {
      if (v.release === null) continue;
      const line = lineOf(v.release);
      const key = `${line} ${v.source}`;
      const g = groups.get(key) ?? { line, source: v.source, releases: [], crates: [] };
      groups.set(key, g);
      g.releases.push(v.release);
      if (c.name === 'wasmtime') g.wasmtime ??= v.version;
      g.crates.push({ name: c.name, version: v.version });
    }
  }
  const rank = { registry: 0, git: 1, path: 2 } as const;
  return [...groups.values()]
    .map((g): FamilyLine => ({
      line: g.line,
      source: g.source,
      release: g.wasmtime ?? g.releases.sort(semver.rcompare)[0]!,
      hasWasmtime: g.wasmtime !== undefined,
      crates: g.crates,
    }))
    .sort((a, b) => semver.rcompare(a.release, b.release) || rank[a.source] - rank[b.source]);
}

function chainsTo(ctx: RootContext, target: LockPackage): Chain[] {
  const lock = ctx.lock!;
  const chains = ctx.graph!.chainsTo(target.index, (p) => isMemberNode(ctx, p));
  return chains
    .map((ids): Chain => {
      const pkgs = ids.map((i) => lock.packages[i]!);
      const member = pkgs[0]!;
      return {
        member: member.name,
        memberManifest: ctx.members.get(member.name)!.path,
        path: pkgs.map((p) => ref(ctx, p)),
        holder: holderOf(ctx, pkgs),
      };
    })
    .sort((a, b) => (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
}

/** Walking up from the family crate, the first package outside the wasmtime project (the member at the latest). */
function holderOf(ctx: RootContext, chain: readonly LockPackage[]): Holder | null {
  for (let k = chain.length - 2; k >= 0; k--) {
    const p = chain[k]!;
    if (k > 0 && isProjectPackage(ctx, p)) continue;
    const dep = chain[k + 1]!;
    const declared = k === 0 ? memberRequirement(ctx, p.name, dep) : ctx.declared.lookup(p.name, p.version, dep.name, dep.version);
    return {
      ...ref(ctx, p),
      kind: k === 0 ? 'member' : 'third-party',
      dependsOn: dep.name,
      requirement: declared?.requirement ?? null,
      requirementFile: declared?.file ?? null,
    };
  }
  return null;
}

/** The member's own requirement on `dep` (one its locked version meets, when it has several entries). */
function memberRequirement(ctx: RootContext, member: string, dep: LockPackage): { requirement: string; file: string } | undefined {
  const asks = ctx.asks.filter((a) => a.ask.member === member && a.ask.crate === dep.name && a.ask.requirement !== null);
  const fit = asks.find((a) => a.requirement !== undefined && satisfies(dep.version, a.requirement.npmRange)) ?? asks[0];
  return fit ? { requirement: fit.ask.requirement!, file: fit.ask.file } : undefined;
}

function ref(ctx: RootContext, p: LockPackage): PackageRef {
  return { name: p.name, version: p.version, source: p.kind, family: isProjectPackage(ctx, p) };
}
