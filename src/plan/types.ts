import type { AST } from 'toml-eslint-parser';
import type { Manifest, TomlTable } from '../manifest/read.js';
import type { DependencyEntry } from '../manifest/dependencies.js';

/** The value a dependency entry has: a requirement string or a table. */
export type EntryValue = string | TomlTable;

/** Why something changes; the summary and the JSON report show it. */
export type ChangeReason =
  | 'lift' // the member now inherits the workspace entry
  | 'align' // the requirement now names the chosen version
  | 'default-features' // `default-features` set so that lifting keeps each member's default features
  | 'features' // feature names carried to the chosen release (renamed, dropped, added)
  | 'crate-migration' // a crate renamed or merged into another at the chosen release
  | 'rust-version'; // `rust-version` raised to the chosen release's minimum (--bump-rust-version)

/** A change to a dependency entry that exists. Planning decides the value; rendering finds the smallest splice. */
export interface RewriteEntry {
  readonly kind: 'rewrite';
  readonly entry: DependencyEntry;
  readonly after: EntryValue;
  /** A new key for the entry (a crate migration renames `wasi-cap-std-sync` to `wasi-common`). */
  readonly newKey?: string;
  readonly reasons: readonly ChangeReason[];
}

/** A dependency entry that goes away (a crate merged into another entry of the same table). */
export interface RemoveEntry {
  readonly kind: 'remove';
  readonly entry: DependencyEntry;
  /** The key of the same table's entry it was merged into. */
  readonly mergedInto: string;
  readonly reasons: readonly ChangeReason[];
}

/** A new `[workspace.dependencies]` entry in the root manifest. */
export interface AddWorkspaceEntry {
  readonly kind: 'add';
  readonly manifest: Manifest;
  readonly key: string;
  readonly after: EntryValue;
  readonly reasons: readonly ChangeReason[];
}

/** Items of an array of strings replaced in place (`[features]` references such as `"wasmtime/jitdump"`). */
export interface RewriteArray {
  readonly kind: 'array';
  readonly manifest: Manifest;
  /** The array's path in the document, e.g. `['features', 'profile']`. */
  readonly path: readonly string[];
  readonly array: AST.TOMLArray;
  /** Element index -> the strings it becomes (none: the element goes). */
  readonly replacements: ReadonlyMap<number, readonly string[]>;
  readonly after: readonly string[];
  readonly reasons: readonly ChangeReason[];
}

/** A string value replaced in place (`rust-version = "1.70"`). */
export interface RewriteString {
  readonly kind: 'string';
  readonly manifest: Manifest;
  readonly path: readonly string[];
  readonly node: AST.TOMLValue;
  readonly after: string;
  readonly reasons: readonly ChangeReason[];
}

export type Change = RewriteEntry | RemoveEntry | AddWorkspaceEntry | RewriteArray | RewriteString;

/** The manifest a change edits. */
export function changedManifest(c: Change): Manifest {
  return c.kind === 'rewrite' || c.kind === 'remove' ? c.entry.manifest : c.manifest;
}

export interface Finding {
  readonly level: 'warning' | 'note';
  /** Absent for a finding about the run as a whole. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

/** The version a root is aligned to and the requirement text written for it. */
export interface Target {
  /** The version as the user or the workspace wrote it, e.g. `26.0.1` or `8`. */
  readonly version: string;
  /** The requirement written into wasmtime-numbered entries, e.g. `26.0.1` or `=46.0.1`. */
  readonly requirement: string;
  /** The operator part of `requirement` (`=`, `^`, `~` or nothing), also used for companion crates. */
  readonly operator: string;
  /** `--to`, the root's `to` setting, or the newest release the workspace already asks for. */
  readonly origin: 'option' | 'setting' | 'workspace';
  /** The known wasmtime release features are checked against (the newest one `version` admits), if any. */
  readonly release: string | null;
}

/** A feature migration rule that changed an entry, with its evidence. */
export interface MigrationNote {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The dependency key, or `[features] name` for a feature reference. */
  readonly key: string;
  readonly crate: string;
  readonly from: string;
  readonly to: string;
  readonly effect: string;
  readonly rule: {
    readonly feature: string;
    readonly action: string;
    readonly version: string;
    readonly note: string;
    readonly confidence: string;
    readonly links: readonly string[];
  };
}

/** A crate left exactly as it is: excluded by name or glob, or pinned exactly by an excluded crate. */
export interface ExcludedCrate {
  readonly crate: string;
  /** The excluded crate that pins it exactly (absent when the crate itself was excluded). */
  readonly heldBy?: string;
  /** `requirement`: held by a requirement other than `=` that admits only the holder's line (`^0.112.3`). */
  readonly tie?: 'requirement';
  /** Crates the workspace does not use between the holder and this one (wiggle -> wiggle-macro -> wiggle-generate). */
  readonly through?: readonly string[];
}

/** What the plan does to one family crate of a root (the summary's table, the JSON report's `crates`). */
export interface CrateChange {
  /** The package name. */
  readonly name: string;
  /** The requirements its changing entries had, as written, unique, lowest first. */
  readonly from: readonly string[];
  /** The requirement written for it (for a crate replaced by a crate migration: the new crate's). */
  readonly to: string;
  /** The crate a crate migration replaces it with. */
  readonly becomes?: string;
  /** The members whose manifests change because of it (a virtual root is not one). */
  readonly members: readonly Manifest[];
}

/** The breaking release notes (Changed, Removed, Security Fixes) between what a root asks for and its target. */
export interface BreakingNotes {
  /** How many items. */
  readonly count: number;
  /** The wasmtime releases crossed that have some, oldest first. */
  readonly releases: readonly string[];
}

/** Everything decided for one workspace root or standalone package. */
export interface RootPlan {
  readonly kind: 'workspace' | 'standalone';
  readonly manifest: Manifest;
  /** The workspace members as cargo reports them (a virtual root is not one of them). */
  readonly members: readonly Manifest[];
  /** Every manifest of the root: the root manifest and the members. */
  readonly manifests: readonly Manifest[];
  /** Undefined when the root has no registry dependency on the family. */
  readonly target: Target | undefined;
  readonly changes: readonly Change[];
  readonly findings: readonly Finding[];
  /** Workspace keys whose members now inherit them. */
  readonly lifted: readonly string[];
  readonly migrations: readonly MigrationNote[];
  /** Crates `--exclude` left as they are. */
  readonly excluded: readonly ExcludedCrate[];
  /** One row per family crate whose entries change, by name. */
  readonly crates: readonly CrateChange[];
  readonly breakingNotes: BreakingNotes;
}
