/**
 * Which crates are the wasmtime family, derived from release data rather than listed by hand.
 *
 * The family is what moves in lockstep with wasmtime: starting from `wasmtime` itself, a crate joins when one of
 * its releases pins a family release, or is pinned by one, with a requirement that admits only one
 * semver-compatible line (`=X`, `^X`, `~X`, bare `X`), at a version that carries the wasmtime release's own number
 * (`wasmtime-wasi 26.0.1`) or a companion number that maps to it (cranelift `0.(major+87).patch`). A release read
 * at a wasmtime release tag (git data, no dependency lists) joins the same way through the tag's number.
 *
 * Other projects' crates fall out of the same rule: `wasmtime-provider 2.13.0` asks for `wasmtime ^24` (not its
 * own number), the guest crate `wasi-nn` pins nothing of the family, and a third-party crate that several
 * wasmtime releases pin at one version (`http-body-util =0.1.0`) does not move with wasmtime.
 */
import * as semver from '../semver.js';
import { floorVersion, parseRequirement, simpleOperator } from '../manifest/requirement.js';

/** What the derivation needs of one release. */
export interface LockstepRelease {
  readonly version: string;
  /** Normal and build dependencies as published (package names, requirements); empty for git-tag releases. */
  readonly deps: readonly { readonly package: string; readonly req: string }[];
  /** The wasmtime release whose git tag this version was read at (git data only). */
  readonly tag?: string;
}

/**
 * How a crate's version relates to the wasmtime release it belongs to: the same number, or a companion number
 * `0.(major + offset).patch` (`0.(minor + offset).patch` before wasmtime 1.0).
 */
export type Numbering = { readonly kind: 'wasmtime' } | { readonly kind: 'companion'; readonly offset: number };

export interface FamilyMember {
  readonly crate: string;
  /** The numbering of its newest release that belongs to a wasmtime release: how newer releases are numbered. */
  readonly numbering: Numbering;
  /** Its version -> the wasmtime release it belongs to. Versions of its own (before it joined) are absent. */
  readonly releases: ReadonlyMap<string, string>;
  /**
   * Family crates it pins with `=`, each with the range of its own versions that do (`until` undefined: its
   * newest release with dependency data still does).
   */
  readonly pins: ReadonlyMap<string, PinRange>;
  /**
   * Family crates it requires on one compatible line with another operator (`^0.112.3`, `~36.0`, `36.0.0`):
   * cargo builds a second copy of such a crate when the rest of the workspace moves it to another line.
   */
  readonly ties: ReadonlyMap<string, PinRange>;
}

export interface PinRange {
  readonly from: string;
  readonly until?: string;
}

export interface Excluded {
  readonly crate: string;
  readonly reason: string;
}

export interface Derivation {
  readonly members: ReadonlyMap<string, FamilyMember>;
  /** Crates of the input that are not family, with the reason. */
  readonly excluded: ReadonlyMap<string, Excluded>;
}

/** A lockstep requirement's single version (`=26.0.1`, `^0.113.1`, `26` -> `26.0.0`), else undefined. */
export function lockstepVersion(req: string): string | undefined {
  const r = parseRequirement(req);
  if (r === undefined || simpleOperator(r) === undefined) return undefined;
  return floorVersion(r)?.version;
}

/** How `version` relates to wasmtime `release`, if it can belong to it at all. */
export function numberingOf(version: string, release: string): Numbering | undefined {
  const v = semver.parse(version);
  const w = semver.parse(release);
  if (v === null || w === null) return undefined;
  if (v.compare(w) === 0) return { kind: 'wasmtime' };
  if (v.major !== 0 || v.patch !== w.patch || v.prerelease.join('.') !== w.prerelease.join('.')) return undefined;
  return { kind: 'companion', offset: v.minor - lineNumber(w) };
}

/** The number that changes with each wasmtime line: the major, or the minor before 1.0. */
function lineNumber(v: semver.SemVer): number {
  return v.major > 0 ? v.major : v.minor;
}

/** `major.minor.patch` and the pre-release tail, read without semver's objects: these run for every version of a crate. */
const FULL_VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** The version a numbering gives for wasmtime `release` (companions only from 1.0, where the offset is stable). */
export function versionFor(numbering: Numbering, release: string): string | undefined {
  const w = FULL_VERSION.exec(release);
  if (w === null) return undefined;
  if (numbering.kind === 'wasmtime') return `${w[1]}.${w[2]}.${w[3]}${w[4] ?? ''}`;
  const major = Number(w[1]);
  return major < 1 ? undefined : `0.${major + numbering.offset}.${w[3]}${w[4] ?? ''}`;
}

/** The wasmtime release a numbering says `version` belongs to (the inverse of versionFor). */
export function releaseFor(numbering: Numbering, version: string): string | undefined {
  const v = FULL_VERSION.exec(version);
  if (v === null) return undefined;
  if (numbering.kind === 'wasmtime') return `${v[1]}.${v[2]}.${v[3]}${v[4] ?? ''}`;
  const major = Number(v[2]) - numbering.offset;
  return v[1] !== '0' || major < 1 ? undefined : `${major}.0.${v[3]}${v[4] ?? ''}`;
}

interface Edge {
  readonly from: string; // crate
  readonly fromVersion: string;
  readonly to: string;
  readonly toVersion: string;
}

/**
 * Derives the family from every release in `releases`. `known` seeds releases already placed (the embedded
 * derivation, when new registry data is added on top of it); `wasmtime` always belongs to itself.
 *
 * Releases are placed in two rounds. First those that carry the pinning release's own number, so that companion
 * numbers (which look alike before 1.0, when every crate was 0.x) never take a number that is some release's own.
 * Then companions: a version equal to the family release it is pinned with or by (cranelift-frontend 0.124.1 and
 * cranelift-codegen =0.124.1), or one whose offset from wasmtime's number the crate keeps over two or more
 * wasmtime lines (cranelift-codegen 0.(major+87)); a third-party 0.x crate pinned by one release keeps neither.
 */
export function deriveFamily(
  releases: ReadonlyMap<string, readonly LockstepRelease[]>,
  known: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map(),
): Derivation {
  const graph = new LockstepGraph(releases, known);
  const own = new Placement(graph);
  for (const v of graph.versionsOf('wasmtime')) own.place('wasmtime', v, v);
  for (const [crate, m] of known) for (const [v, w] of m) own.place(crate, v, w);
  own.extend((r) => r.numbering.kind === 'wasmtime');

  const trial = own.copy();
  trial.extend(() => true);
  const established = trial.establishedOffsets();
  const placed = own.copy();
  placed.extend((r) => r.numbering.kind === 'wasmtime' || r.sameAsNeighbour || established.has(`${r.crate} ${r.numbering.offset}`));
  return membership(placed, releases, known);
}

/** One way a release could be placed: its crate, version, the release, how it is numbered there. */
interface Relation {
  readonly crate: string;
  readonly version: string;
  readonly numbering: Numbering;
  /** It carries the very number of the family release it is pinned with or by. */
  readonly sameAsNeighbour: boolean;
}

/** The lockstep edges between the releases of the input, by release. */
class LockstepGraph {
  private readonly versionSets = new Map<string, Set<string>>();
  readonly byRelease = new Map<string, Edge[]>();

  constructor(
    readonly releases: ReadonlyMap<string, readonly LockstepRelease[]>,
    private readonly known: ReadonlyMap<string, ReadonlyMap<string, string>>,
  ) {
    for (const e of lockstepEdges(releases, (c, v) => this.versionsOf(c).has(v))) {
      this.add(`${e.from}@${e.fromVersion}`, e);
      this.add(`${e.to}@${e.toVersion}`, e);
    }
  }

  versionsOf(crate: string): Set<string> {
    let s = this.versionSets.get(crate);
    if (s === undefined) {
      s = new Set([...(this.releases.get(crate) ?? []).map((r) => r.version), ...(this.known.get(crate)?.keys() ?? [])]);
      this.versionSets.set(crate, s);
    }
    return s;
  }

  private add(k: string, e: Edge): void {
    const list = this.byRelease.get(k);
    if (list) list.push(e);
    else this.byRelease.set(k, [e]);
  }
}

/** Which release each placed version belongs to, and every release (>= 1.0) that claimed it. */
class Placement {
  readonly out = new Map<string, Map<string, string>>();
  readonly claims = new Map<string, Map<string, Set<string>>>();
  private readonly queue: [string, string][] = [];
  /** Companion relations tried, for the offsets a crate keeps: `crate offset` -> wasmtime lines. */
  private readonly offsets = new Map<string, Set<number>>();
  /** A companion relation refused, per crate: why a pinned crate is still not family. */
  readonly refused = new Map<string, string>();

  constructor(private readonly graph: LockstepGraph) {}

  copy(): Placement {
    const p = new Placement(this.graph);
    for (const [crate, m] of this.out) p.out.set(crate, new Map(m));
    for (const [crate, m] of this.claims) p.claims.set(crate, new Map([...m].map(([v, rs]) => [v, new Set(rs)])));
    p.queue.push(...this.queue);
    for (const [key, lines] of this.offsets) p.offsets.set(key, new Set(lines));
    return p;
  }

  private noteOffset(crate: string, numbering: Numbering | undefined, release: string): void {
    if (numbering?.kind !== 'companion') return;
    const key = `${crate} ${numbering.offset}`;
    this.offsets.set(key, (this.offsets.get(key) ?? new Set()).add(lineNumber(semver.parse(release)!)));
  }

  place(crate: string, version: string, release: string): void {
    this.noteOffset(crate, numberingOf(version, release), release);
    if (semver.major(release) >= 1) {
      let c = this.claims.get(crate);
      if (c === undefined) this.claims.set(crate, (c = new Map()));
      c.set(version, (c.get(version) ?? new Set()).add(release));
    }
    let m = this.out.get(crate);
    if (m === undefined) this.out.set(crate, (m = new Map()));
    if (m.has(version)) return;
    m.set(version, release);
    this.queue.push([crate, version]);
  }

  /** Places what `admit` accepts, along the edges of every placed release and by release tags, to a fixpoint. */
  extend(admit: (r: Relation) => boolean): void {
    const consider = (crate: string, version: string, release: string, neighbour: string | undefined): void => {
      const numbering = numberingOf(version, release);
      if (numbering === undefined) return;
      const r: Relation = { crate, version, numbering, sameAsNeighbour: neighbour === version };
      this.noteOffset(crate, numbering, release);
      if (admit(r)) this.place(crate, version, release);
      else if (!this.refused.has(crate)) this.refused.set(crate, `${crate} ${version} by wasmtime ${release}`);
    };
    for (let round = 0, placed = -1; placed !== this.queue.length; round++) {
      placed = this.queue.length;
      for (let i = 0; i < this.queue.length; i++) {
        const [crate, version] = this.queue[i]!;
        const release = this.out.get(crate)!.get(version)!;
        for (const e of this.graph.byRelease.get(`${crate}@${version}`) ?? []) {
          const [other, otherVersion] = e.from === crate && e.fromVersion === version ? [e.to, e.toVersion] : [e.from, e.fromVersion];
          consider(other, otherVersion, release, version);
        }
      }
      for (const [crate, list] of this.graph.releases) {
        for (const r of list) if (r.tag !== undefined) consider(crate, r.version, r.tag, undefined);
      }
    }
  }

  /** `crate offset` pairs seen over two or more wasmtime lines. */
  establishedOffsets(): Set<string> {
    return new Set([...this.offsets].filter(([, lines]) => lines.size >= 2).map(([key]) => key));
  }
}

function membership(placed: Placement, releases: ReadonlyMap<string, readonly LockstepRelease[]>, known: ReadonlyMap<string, ReadonlyMap<string, string>>): Derivation {
  const members = new Map<string, FamilyMember>();
  const excluded = new Map<string, Excluded>();
  for (const crate of [...new Set([...releases.keys(), ...known.keys()])].sort()) {
    const versions = placed.out.get(crate);
    if (versions === undefined) {
      const pinned = placed.refused.get(crate);
      const reason = pinned
        ? `pinned at a number of its own (${pinned}) that does not follow wasmtime's over two or more release lines`
        : 'none of its releases pins a family release, or is pinned by one, at a lockstep version';
      excluded.set(crate, { crate, reason });
      continue;
    }
    const shared = [...(placed.claims.get(crate) ?? [])].find(([, rs]) => rs.size > 1);
    if (shared !== undefined && crate !== 'wasmtime') {
      const [version, rs] = shared;
      excluded.set(crate, { crate, reason: `${crate} ${version} is pinned by several wasmtime releases (${[...rs].sort(semver.compare).join(', ')}): it keeps its own numbering` });
      continue;
    }
    const newest = [...versions].sort(([a], [b]) => semver.compare(a, b)).at(-1)!;
    members.set(crate, { crate, numbering: numberingOf(newest[0], newest[1])!, releases: versions, pins: new Map(), ties: new Map() });
  }
  for (const [crate, member] of members) {
    const list = releases.get(crate) ?? [];
    (member as { pins: ReadonlyMap<string, PinRange> }).pins = requiredRanges(list, members, (req) => req.trim().startsWith('='));
    (member as { ties: ReadonlyMap<string, PinRange> }).ties = requiredRanges(list, members, (req) => !req.trim().startsWith('=') && lockstepVersion(req) !== undefined);
  }
  return { members, excluded };
}

/** The family crates a crate's releases require with a requirement `which` accepts, and over which of its versions. */
function requiredRanges(list: readonly LockstepRelease[], members: ReadonlyMap<string, FamilyMember>, which: (req: string) => boolean): Map<string, PinRange> {
  const withDeps = list.filter((r) => r.deps.length > 0).sort((a, b) => semver.compare(a.version, b.version));
  const newest = withDeps.at(-1)?.version;
  const seen = new Map<string, { from: string; last: string }>();
  for (const r of withDeps) {
    for (const d of r.deps) {
      if (!members.has(d.package) || !which(d.req)) continue;
      const s = seen.get(d.package);
      if (s === undefined) seen.set(d.package, { from: r.version, last: r.version });
      else s.last = r.version;
    }
  }
  return new Map([...seen].sort(([a], [b]) => (a < b ? -1 : 1)).map(([c, s]) => [c, s.last === newest ? { from: s.from } : { from: s.from, until: s.last }]));
}

/** Dependency edges whose requirement admits one compatible line, between releases the data has. */
function lockstepEdges(releases: ReadonlyMap<string, readonly LockstepRelease[]>, has: (crate: string, version: string) => boolean): Edge[] {
  const edges: Edge[] = [];
  for (const [crate, list] of releases) {
    for (const r of list) {
      for (const d of r.deps) {
        const v = lockstepVersion(d.req);
        if (v !== undefined && d.package !== crate && has(d.package, v)) edges.push({ from: crate, fromVersion: r.version, to: d.package, toVersion: v });
      }
    }
  }
  return edges;
}

/**
 * Crates that releases pin at a lockstep version and that `known` does not know: what a registry refresh fetches
 * next, so that a crate new in the family joins it. Lockstep here means the pinning release's own number
 * (`wasmtime-internal-x =49.0.0` from wasmtime 49.0.0), or a companion number at an offset the family already
 * keeps (`cranelift-x ^0.136.0` from wasmtime 49.0.0, offset 87); the derivation then decides.
 */
export function lockstepDependencies(
  releases: Iterable<Pick<LockstepRelease, 'version' | 'deps'>>,
  known: (crate: string) => boolean,
  offsets: ReadonlySet<number>,
): string[] {
  const out = new Set<string>();
  for (const r of releases) {
    for (const d of r.deps) {
      if (known(d.package) || out.has(d.package)) continue;
      const v = lockstepVersion(d.req);
      const n = v === undefined ? undefined : numberingOf(v, r.version);
      if (n !== undefined && (n.kind === 'wasmtime' || offsets.has(n.offset))) out.add(d.package);
    }
  }
  return [...out].sort();
}
