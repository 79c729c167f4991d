/**
 * Does a Cargo.lock still satisfy what the members ask for? One check for the note after `--write`, for
 * `--update-lock`, for the JSON report's `roots[].lock` and for doctor's stale-lock findings, and the cargo
 * commands that refresh the lock with the smallest change when it does not.
 *
 * What cargo does (cargo 1.95, checked on a local registry): a member's locked dependency that the member's
 * requirement no longer admits is resolved again by the next cargo command, to the newest compatible version;
 * every other locked package stays. `cargo update -p name@locked --precise new` does not work once the manifests
 * are written: cargo applies a precise version only to requirements that admit the locked one, so the member's
 * new requirement gets the newest release instead of `new`, and where a third-party crate shares the locked copy
 * the command fails (that crate's requirement is held to `new`). So the refresh is `cargo update --workspace`
 * (only what no longer matches moves; copies third-party crates pull in stay), then `cargo update -p name@line
 * ... --precise X.Y.Z` for the crates whose requirement names a version (`26.0.1`, `~26.0.1`): the lowest version
 * the requirement admits, which is the minimal change. The crates of one version go in one command, as cargo
 * takes several `-p` with one `--precise`: wasmtime-wasi 26.0.2 asks for wasmtime ^26.0.2, so wasmtime alone
 * cannot go back to 26.0.1. A release's command goes before the command of the companions it pins, and a
 * companion that moves with a crate of another command (pinned exactly, and its locked copy under that crate's
 * in the lock) gets none.
 */
import * as semver from '../semver.js';
import { parseRequirement } from '../manifest/requirement.js';
import { LockGraph } from '../doctor/graph.js';
import type { LockFile, LockPackage } from '../doctor/lock.js';

/** A member's registry requirement on a family crate. */
export interface LockAsk {
  /** The member's package name. */
  readonly member: string;
  readonly crate: string;
  /** As written (cargo syntax: a bare version is a caret requirement). */
  readonly requirement: string;
  /**
   * Written in a generated section (cargo-hakari's, which mirrors the lock and is generated again after it is
   * refreshed): it accounts for the member's locked copies, but is not checked itself.
   */
  readonly generated?: boolean;
}

export interface AskVerdict<A extends LockAsk> {
  readonly ask: A;
  /** The member's locked copies of the crate; every copy of it when the member is not in the lock. */
  readonly locked: readonly LockPackage[];
  readonly satisfied: boolean;
}

/** A locked copy of a family crate that does not meet what the workspace asks for. */
export interface StaleCopy {
  readonly name: string;
  /** The locked version; null when the lock holds no copy of the crate for the members asking. */
  readonly locked: string | null;
  /** The requirement it does not meet; null for a member's copy that no requirement of the member asks for now. */
  readonly required: string | null;
  /**
   * True: a member depends on this copy itself, and the refresh moves the member off it. False: only third-party
   * crates pull it in; it stays as it is.
   */
  readonly own: boolean;
  /** The members whose requirement it does not meet (none for a copy that is not their own). */
  readonly members: readonly string[];
  /** The third-party packages (`host 1.0.0`) that depend on this copy, directly or through family crates. */
  readonly pulledBy: readonly string[];
}

export interface LockStaleness {
  readonly file: string;
  /** The workspace's own stale copies first, by name; then copies of those crates third-party crates pull in. */
  readonly stale: readonly StaleCopy[];
  /** The `cargo update` argument lists that refresh the lock, in order; none when it satisfies every requirement. */
  readonly commands: readonly (readonly string[])[];
}

export interface StalenessOptions {
  /** How the commands name the workspace (`--manifest-path`). */
  readonly manifestPath: string;
  /** Whether `--precise` may name this version: the registry has it (the release data knows it). */
  readonly published: (crate: string, version: string) => boolean;
  /**
   * Whether a later patch release of `crate@version`'s line fixes a security problem: the newest compatible version
   * that `--workspace` takes is then kept, not pinned back below the fix.
   */
  readonly securityFixAbove?: (crate: string, version: string) => boolean;
  /**
   * The family crates `crate@version` pins with `=`, directly or through other family crates (the release
   * data's): a crate goes before the crates it pins, as moving one of them alone would break its pin.
   */
  readonly pins?: (crate: string, version: string) => Iterable<string>;
  /**
   * Whether a crate is on a companion numbering (cranelift, winch, pulley): wasmtime's crates ask for their
   * companions with `^` of the release's number, so the companions' command goes after theirs.
   */
  readonly companion?: (crate: string) => boolean;
}

/** The lock seen from one workspace: which of its path packages are the members, and who pulls in what. */
export class LockView {
  private readonly graph: LockGraph;
  /** member package name -> its lock package index */
  private readonly memberNodes = new Map<string, number>();

  constructor(
    readonly lock: LockFile,
    members: Iterable<string>,
    private readonly isFamily: (name: string) => boolean,
  ) {
    this.graph = new LockGraph(lock);
    const names = new Set(members);
    // Cargo rejects two members with one name; a path package that is no member (a path dependency outside the
    // workspace) is not one of them.
    for (const p of lock.packages) {
      if (p.kind === 'path' && names.has(p.name) && !this.memberNodes.has(p.name)) this.memberNodes.set(p.name, p.index);
    }
  }

  /** Whether a member's locked copies of the crate meet its requirement (any of them: a second line is one more). */
  verdict<A extends LockAsk>(ask: A): AskVerdict<A> {
    const packages = this.lock.packages;
    const node = this.memberNodes.get(ask.member);
    const pool = node !== undefined ? [...new Set(packages[node]!.deps)].map((d) => packages[d]!) : packages;
    const locked = pool.filter((p) => p.name === ask.crate);
    const req = parseRequirement(ask.requirement);
    // A requirement cargo cannot read is cargo's error, reported where the manifest is read.
    const satisfied = req === undefined || locked.some((p) => semver.satisfies(p.version, req.npmRange));
    return { ask, locked, satisfied };
  }

  /** The stale copies among the asks' crates and the commands that refresh the lock. */
  staleness(asks: readonly LockAsk[], opts: StalenessOptions): LockStaleness {
    const own = new Map<string, { copy: StaleCopy; members: Set<string>; index: number | null }>();
    const add = (crate: string, p: LockPackage | null, required: string | null, member: string): void => {
      const key = `${crate}\u0000${p?.version ?? ''}\u0000${required ?? ''}`;
      let row = own.get(key);
      if (row === undefined) {
        const pulledBy = p === null ? [] : this.holders(p.index).pulledBy;
        row = { copy: { name: crate, locked: p?.version ?? null, required, own: true, members: [], pulledBy }, members: new Set(), index: p?.index ?? null };
        own.set(key, row);
      }
      row.members.add(member);
    };
    const named = new Set<string>();
    for (const v of asks.filter((a) => a.generated !== true).map((a) => this.verdict(a))) {
      if (v.satisfied) continue;
      named.add(`${v.ask.member}\u0000${v.ask.crate}`);
      for (const p of v.locked.length > 0 ? v.locked : [null]) add(v.ask.crate, p, v.ask.requirement, v.ask.member);
    }
    // A member's locked copy that none of its requirements admits any more (a second line aligned with the first):
    // the next resolution drops it, so the lock changes too.
    for (const [member, node] of this.memberNodes) {
      const mine = asks.filter((a) => a.member === member);
      if (mine.length === 0) continue;
      for (const d of new Set(this.lock.packages[node]!.deps)) {
        const p = this.lock.packages[d]!;
        if (p.kind !== 'registry' || !this.isFamily(p.name) || named.has(`${member}\u0000${p.name}`)) continue;
        if (!mine.some((a) => a.crate === p.name && admits(a.requirement, p.version, true))) add(p.name, p, null, member);
      }
    }
    const rows = [...own.values()].sort((a, b) => compareCopies(a.copy, b.copy));
    const stale: StaleCopy[] = rows.map((r) => ({ ...r.copy, members: [...r.members].sort() }));
    if (stale.length === 0) return { file: this.lock.file, stale, commands: [] };

    // Copies of the same crates that only third-party crates pull in and that the new requirements do not admit:
    // the refresh leaves them, and the report says who holds them.
    const ownIndices = new Set(rows.map((r) => r.index));
    const requiredOf = new Map<string, string[]>();
    for (const c of stale) if (c.required !== null) requiredOf.set(c.name, [...(requiredOf.get(c.name) ?? []), c.required]);
    for (const [name, required] of requiredOf) {
      for (const p of this.lock.packages) {
        if (p.name !== name || p.kind === 'path' || ownIndices.has(p.index)) continue;
        if (required.some((r) => admits(r, p.version))) continue;
        const h = this.holders(p.index);
        if (h.own) continue;
        stale.push({ name, locked: p.version, required: required[0]!, own: false, members: [], pulledBy: h.pulledBy });
      }
    }
    return { file: this.lock.file, stale, commands: this.commands(rows, opts) };
  }

  /**
   * `cargo update --workspace`, then `--precise` for the crates whose requirement names a version, one command per
   * version: crates of one release move together (wasmtime-wasi 26.0.2 asks for wasmtime ^26.0.2, so wasmtime alone
   * cannot go to 26.0.1), and a release's crates before the companions they pin.
   */
  private commands(rows: readonly { copy: StaleCopy; index: number | null }[], opts: StalenessOptions): string[][] {
    const base = ['update', '--manifest-path', opts.manifestPath];
    const byCrate = new Map<string, { required: Set<string>; indices: number[] }>();
    for (const { copy, index } of rows) {
      if (copy.required === null) continue; // dropped by the refresh itself
      const e = byCrate.get(copy.name) ?? { required: new Set<string>(), indices: [] };
      byCrate.set(copy.name, e);
      e.required.add(copy.required);
      if (index !== null) e.indices.push(index);
    }
    const named = new Map<string, string>();
    for (const [crate, e] of byCrate) {
      if (e.required.size !== 1) continue; // members asking for different versions: no one version is the minimal change
      const version = namedVersion([...e.required][0]!);
      if (version !== undefined && opts.published(crate, version) && opts.securityFixAbove?.(crate, version) !== true) named.set(crate, version);
    }
    const pins = new Map([...named].map(([crate, version]) => [crate, new Set(opts.pins?.(crate, version) ?? [])]));
    const groups = new Map<string, string[]>();
    for (const [crate, version] of named) {
      // A companion that another crate of the command pins exactly, and whose locked copy that crate's locked copy
      // depends on (the feature that brings it in is on), comes along: no `-p` of its own.
      const leaders = [...named.keys()].filter((d) => named.get(d) !== version && pins.get(d)!.has(crate));
      const reached = this.reachable(leaders.flatMap((d) => byCrate.get(d)!.indices));
      if (byCrate.get(crate)!.indices.some((i) => reached.has(i))) continue;
      groups.set(version, [...(groups.get(version) ?? []), crate].sort());
    }
    const precise = [...groups].map(([version, crates]) => ({
      version,
      crates,
      pins: new Set(crates.flatMap((c) => [...pins.get(c)!])),
      companion: crates.every((c) => opts.companion?.(c) === true),
    }));
    return [[...base, '--workspace'], ...pinOrder(precise).map((g) => [...base, ...g.crates.flatMap((c) => ['-p', `${c}@${caretLine(g.version)}`]), '--precise', g.version])];
  }

  /** Packages reached from `from` through registry and git family crates (the family's own wiring). */
  private reachable(from: readonly number[]): Set<number> {
    const seen = new Set<number>();
    const queue = [...from];
    while (queue.length > 0) {
      for (const d of this.lock.packages[queue.pop()!]!.deps) {
        const p = this.lock.packages[d]!;
        if (seen.has(d) || p.kind === 'path' || !this.isFamily(p.name)) continue;
        seen.add(d);
        queue.push(d);
      }
    }
    return seen;
  }

  /**
   * Who depends on a package, walking up through family crates: whether a member does (`own`), and the
   * third-party packages that do.
   */
  private holders(index: number): { own: boolean; pulledBy: string[] } {
    let own = false;
    const pulledBy = new Set<string>();
    const seen = new Set([index]);
    const queue = [index];
    while (queue.length > 0) {
      for (const d of this.graph.dependentsOf(queue.pop()!)) {
        if (seen.has(d)) continue;
        seen.add(d);
        const p = this.lock.packages[d]!;
        if (this.memberNodes.get(p.name) === d) own = true;
        else if (p.kind !== 'path' && this.isFamily(p.name)) queue.push(d);
        else pulledBy.add(`${p.name} ${p.version}`);
      }
    }
    return { own, pulledBy: [...pulledBy].sort() };
  }
}

/**
 * Groups that pin crates of other groups go first; otherwise wasmtime's numbering before the companions, then by
 * version.
 */
function pinOrder<G extends { version: string; crates: readonly string[]; pins: ReadonlySet<string>; companion: boolean }>(list: readonly G[]): G[] {
  const rest = [...list].sort((a, b) => Number(a.companion) - Number(b.companion) || semver.compare(a.version, b.version));
  const out: G[] = [];
  while (rest.length > 0) {
    // The first group no other remaining group pins (a cycle falls back to the first).
    const i = Math.max(0, rest.findIndex((g) => !rest.some((h) => h !== g && g.crates.some((c) => h.pins.has(c)))));
    out.push(...rest.splice(i, 1));
  }
  return out;
}

/** The version a `^`/`~` requirement names in full (`26.0.1`, `~0.113.1`): its lowest admitted version. */
function namedVersion(requirement: string): string | undefined {
  const req = parseRequirement(requirement);
  const c = req?.comparators.length === 1 ? req.comparators[0]! : undefined;
  if (c === undefined || (c.op !== '^' && c.op !== '~') || semver.valid(c.version) !== c.version) return undefined;
  return c.version;
}

/** What a package ID specification names one copy by: `26`, `0.113`, `0.0.3` (cargo keeps one per caret line). */
function caretLine(version: string): string {
  const v = semver.parse(version)!;
  return v.major > 0 ? `${v.major}` : v.minor > 0 ? `0.${v.minor}` : version;
}

/** Whether a requirement admits a version; `unreadable` is the answer for a requirement cargo cannot read. */
function admits(requirement: string, version: string, unreadable = false): boolean {
  const req = parseRequirement(requirement);
  return req === undefined ? unreadable : semver.satisfies(version, req.npmRange);
}

function compareCopies(a: StaleCopy, b: StaleCopy): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  if (a.locked !== b.locked) return a.locked === null ? 1 : b.locked === null ? -1 : semver.compare(a.locked, b.locked);
  return (a.required ?? '') < (b.required ?? '') ? -1 : (a.required ?? '') > (b.required ?? '') ? 1 : 0;
}
