import type { Manifest, TomlTable } from '../manifest/read.js';
import type { DependencyEntry } from '../manifest/dependencies.js';

/** The value a dependency entry has: a requirement string or a table. */
export type EntryValue = string | TomlTable;

/** Why an entry changes; the summary and the JSON report show it. */
export type ChangeReason =
  | 'lift' // the member now inherits the workspace entry
  | 'align' // the requirement now names the chosen version
  | 'default-features'; // `default-features` set so that lifting keeps each member's default features

/** A change to an entry that exists. Planning decides the value; rendering finds the smallest splice. */
export interface RewriteEntry {
  readonly kind: 'rewrite';
  readonly entry: DependencyEntry;
  readonly after: EntryValue;
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

export type Change = RewriteEntry | AddWorkspaceEntry;

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
  /** The requirement written into entries, e.g. `26.0.1` or `=46.0.1`. */
  readonly requirement: string;
  readonly origin: 'option' | 'workspace';
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
}
