/**
 * Everything the checks of one root share: the lock and its graph, the members' asks, and which lock packages
 * are the members (path packages named like a member; cargo rejects two members with one name).
 */
import * as path from 'node:path';
import * as semver from '../semver.js';
import type { Root } from '../discover/index.js';
import type { ReleaseData } from '../family/release-data.js';
import type { Manifest } from '../manifest/read.js';
import { memberAsks, memberManifests, packageName, type AskInfo } from './asks.js';
import type { DeclaredRequirements } from './declared.js';
import { LockGraph } from './graph.js';
import { readLock, type LockFile, type LockPackage } from './lock.js';
import type { ReleaseMap } from './releases.js';

export interface RootContext {
  readonly root: Root;
  readonly data: ReleaseData;
  readonly releases: ReleaseMap;
  readonly declared: DeclaredRequirements;
  readonly lock: LockFile | undefined;
  readonly graph: LockGraph | undefined;
  readonly asks: readonly AskInfo[];
  /** member package name -> its manifest */
  readonly members: ReadonlyMap<string, Manifest>;
  /** member package name -> its lock package index */
  readonly memberNodes: ReadonlyMap<string, number>;
  /** The wasmtime releases the lock's family crates belong to. */
  readonly lockedReleases: ReadonlySet<string>;
}

export function rootContext(root: Root, data: ReleaseData, releases: ReleaseMap, declared: DeclaredRequirements): RootContext {
  // Cargo writes the lock next to the workspace root manifest (or the package's, for a standalone package).
  const lock = readLock(path.join(path.dirname(root.manifest.path), 'Cargo.lock'));
  const members = new Map(memberManifests(root).map((m) => [packageName(m), m]));
  const memberNodes = new Map<string, number>();
  for (const p of lock?.packages ?? []) {
    if (p.kind === 'path' && members.has(p.name) && !memberNodes.has(p.name)) memberNodes.set(p.name, p.index);
  }
  const lockedReleases = new Set<string>();
  for (const p of lock?.packages ?? []) {
    const r = releases.releaseOf(p.name, p.version);
    if (r !== undefined) lockedReleases.add(r);
  }
  return {
    root,
    data,
    releases,
    declared,
    lock,
    graph: lock ? new LockGraph(lock) : undefined,
    asks: memberAsks(root, releases),
    members,
    memberNodes,
    lockedReleases,
  };
}

/**
 * A family crate, or a `wasmtime-*` crate at a release the lock holds: an internal crate newer than the release
 * data. Third-party `wasmtime-*` crates have their own numbers.
 */
export function isProjectPackage(ctx: RootContext, p: LockPackage): boolean {
  return ctx.releases.isFamily(p.name) || (p.name.startsWith('wasmtime-') && ctx.lockedReleases.has(p.version));
}

export function isMemberNode(ctx: RootContext, p: LockPackage): boolean {
  return ctx.memberNodes.get(p.name) === p.index;
}

/** Does a locked version meet a requirement the way cargo matches it (pre-releases only when asked for)? */
export function satisfies(version: string, npmRange: string): boolean {
  return semver.satisfies(version, npmRange);
}

/**
 * The locked package an ask resolved to: among the member's own locked dependencies of that name (all locked
 * packages of that name when the member is not in the lock), the newest one its requirement admits. The
 * source is not compared: a `[patch]` may send a registry entry to git or a path.
 */
export function lockedFor(ctx: RootContext, info: AskInfo): LockPackage | undefined {
  const lock = ctx.lock;
  if (!lock) return undefined;
  const node = ctx.memberNodes.get(info.ask.member);
  const pool = node !== undefined ? lock.packages[node]!.deps.map((d) => lock.packages[d]!) : lock.packages;
  const candidates = pool.filter(
    (p) =>
      p.name === info.ask.crate &&
      (info.requirement === undefined || info.requirement.comparators.length === 0 || satisfies(p.version, info.requirement.npmRange)),
  );
  return candidates.sort((a, b) => semver.rcompare(a.version, b.version))[0];
}
