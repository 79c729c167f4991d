/**
 * The doctor report: what the lock file and the manifests of each root say about the wasmtime family.
 * Everything here is plain JSON (no Maps, no class instances). Paths are absolute in the report; `toJson`
 * makes them relative to the current directory, and the text formatter does the same.
 */

/** Where a locked package comes from; the lock writes no source for path packages. */
export type LockSourceKind = 'registry' | 'git' | 'path';

/** One package of the lock, as a chain shows it. */
export interface PackageRef {
  readonly name: string;
  readonly version: string;
  readonly source: LockSourceKind;
  /**
   * A family crate, or one of wasmtime's own internal crates (`wasmtime-internal-cranelift`, `wasmtime-jit-debug`:
   * a `wasmtime-*` crate at a release the lock holds). Chains are read across these without naming them.
   */
  readonly family: boolean;
}

/**
 * The package on a chain whose own requirement brings the family crate in: walking from the family crate up
 * towards the member, the first package that is not a family crate.
 */
export interface Holder extends PackageRef {
  /** `member`: a workspace member asks for it itself; `third-party`: a dependency does. */
  readonly kind: 'member' | 'third-party';
  /** The family crate it depends on directly (the next package on the chain). */
  readonly dependsOn: string;
  /** The requirement it declares on `dependsOn`, when a manifest of it was found (the lock records none). */
  readonly requirement: string | null;
  /** The manifest the requirement was read from. */
  readonly requirementFile: string | null;
}

/** The shortest inverse dependency chain from one workspace member down to a locked family crate version. */
export interface Chain {
  /** The member's package name. */
  readonly member: string;
  readonly memberManifest: string;
  /** Member first, the family crate version last. */
  readonly path: readonly PackageRef[];
  /** Null only when the member is itself the family crate (the wasmtime repository). */
  readonly holder: Holder | null;
}

export interface LockedVersion {
  readonly version: string;
  readonly source: LockSourceKind;
  /** The lock's `source` string (null for a path package). */
  readonly sourceId: string | null;
  /** The wasmtime release this version belongs to (companions are mapped through the release data), if known. */
  readonly release: string | null;
  /** Line of its `[[package]]` table in the lock. */
  readonly line: number | null;
  /** Present when the crate has more than one version in the lock: who brings this one in, per member. */
  readonly chains?: readonly Chain[];
}

export interface FamilyCrateReport {
  readonly name: string;
  readonly numbering: 'wasmtime' | 'companion';
  /** Newest first. */
  readonly versions: readonly LockedVersion[];
}

/**
 * A line of the family (one major, or one 0.x minor: what a caret requirement admits) from one source, and the
 * crates the lock holds on it. Patch releases mix within a line (cranelift 0.101.4 under wasmtime 14.0.2 is
 * normal); a line next to another is a second copy of the family.
 */
export interface FamilyLine {
  /** `36`, or `0.30` before 1.0. */
  readonly line: string;
  readonly source: LockSourceKind;
  /** The locked wasmtime version on the line, else the newest release its crates belong to. */
  readonly release: string;
  /** Whether `wasmtime` itself is on the line. */
  readonly hasWasmtime: boolean;
  /** Sorted by name; a crate may be there at two patch releases. */
  readonly crates: readonly { readonly name: string; readonly version: string }[];
}

/** A dependency entry of a member on a family crate, with its effective requirement. */
export interface Ask {
  /** The member's package name and manifest. */
  readonly member: string;
  readonly manifest: string;
  /** Where the requirement is written: the member entry, or the workspace entry it inherits. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly key: string;
  readonly crate: string;
  /** Null for a git or path entry without `version`. */
  readonly requirement: string | null;
  readonly source: 'registry' | 'git' | 'path';
  readonly inherited: boolean;
  /** The wasmtime release of the requirement's lowest admitted version (null when not known). */
  readonly release: string | null;
}

interface FindingBase {
  /** Only `warning` makes the exit status 1. */
  readonly level: 'warning' | 'note';
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** One line for people; the structured fields say the same for programs. */
  readonly message: string;
}

/** Members ask for different releases of the family (lowest admitted versions differ). */
export interface ReleasesDrift extends FindingBase {
  readonly kind: 'releases';
  /** Newest release first. */
  readonly releases: readonly { readonly release: string; readonly asks: readonly Ask[] }[];
}

/** A locked family crate depends on a family crate of another release, although the family pins itself exactly. */
export interface LockstepDrift extends FindingBase {
  readonly kind: 'lockstep';
  readonly crate: string;
  readonly version: string;
  readonly dependency: string;
  readonly dependencyVersion: string;
  /** The version of `dependency` that belongs to `crate`'s release. */
  readonly expected: string;
}

/** A member requirement no locked version satisfies: cargo will re-resolve (or fail with --locked). */
export interface StaleLockDrift extends FindingBase {
  readonly kind: 'stale-lock';
  readonly ask: Ask;
  /** The versions the lock holds of the crate for this member (maybe none; every version when the member is not in the lock). */
  readonly locked: readonly string[];
}

/** A locked release older than patch releases of its line that fix security problems (release data `security`). */
export interface SecurityDrift extends FindingBase {
  readonly kind: 'security';
  /** The locked wasmtime release (of the family crates locked at it). */
  readonly release: string;
  /** Later releases of its line with security fixes, oldest first, with their advisory ids. */
  readonly fixes: readonly { readonly version: string; readonly ids: readonly string[] }[];
}

export type DriftFinding = ReleasesDrift | LockstepDrift | StaleLockDrift | SecurityDrift;

export interface FeatureFinding extends FindingBase {
  readonly kind: 'feature';
  readonly crate: string;
  readonly feature: string;
  /** The locked version it was looked up in. */
  readonly locked: string;
  readonly member: string;
  /** What the release data says replaced it, or a near name. */
  readonly hint: string | null;
}

/** Release-data gaps and other things the checks could not look at. */
export interface NoteFinding extends FindingBase {
  readonly kind: 'note';
}

export interface ToolchainFinding extends FindingBase {
  readonly kind: 'toolchain';
}

export interface RootReport {
  readonly manifest: string;
  readonly kind: 'workspace' | 'standalone';
  /** Member manifests (the root package included when the root has one). */
  readonly members: readonly string[];
  /** The Cargo.lock next to the root manifest, or null when there is none. */
  readonly lock: string | null;
  /** The lock's format: 3 and 4 from its `version` key, 1 and 2 told apart the way cargo does. */
  readonly lockVersion: 1 | 2 | 3 | 4 | null;
  /** Every family crate in the lock, by name. */
  readonly family: readonly FamilyCrateReport[];
  /** The same grouped by line, newest first; crates not matched to a release are left out. */
  readonly lines: readonly FamilyLine[];
  readonly drift: readonly (DriftFinding | NoteFinding)[];
  readonly features: readonly (FeatureFinding | NoteFinding)[];
  readonly toolchain: readonly (ToolchainFinding | NoteFinding)[];
  /** About the lock itself: none found, dependency strings cargo would ignore. */
  readonly notes: readonly NoteFinding[];
  /** Whether a member has any dependency on the family (roots with neither this nor a locked family crate are quiet). */
  readonly usesFamily: boolean;
}

export interface DoctorReport {
  readonly roots: readonly RootReport[];
  /** Packages discovery left alone (cargo would reject them). */
  readonly warnings: readonly { readonly file: string; readonly message: string }[];
}
