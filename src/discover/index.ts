import { displayPath, UserError, UserErrors, userErrors } from '../errors.js';
import type { Manifest } from '../manifest/read.js';
import { isTable } from '../manifest/dependencies.js';
import { groupBy } from '../plan/util.js';
import { hasPackage } from './config.js';
import { byString } from './paths.js';
import { scanPath } from './scan.js';
import { loadFailure, type LoadFailure } from './unloadable-root.js';
import type { VendoredDir } from './vendored.js';
import { CargoModel } from './workspace.js';

export type { VendoredDir } from './vendored.js';

export interface WorkspaceRoot {
  readonly kind: 'workspace';
  readonly manifest: Manifest;
  /** every member's manifest, root package included when the root has [package]; sorted by path */
  readonly members: readonly Manifest[];
}
export interface StandalonePackage {
  readonly kind: 'standalone';
  readonly manifest: Manifest;
}
export type Root = WorkspaceRoot | StandalonePackage;
export interface Discovery {
  readonly roots: readonly Root[];
  /** human-readable warnings, e.g. skipped orphan packages */
  readonly warnings: readonly DiscoveryWarning[];
  /** With `keepGoing`: the errors of the paths and workspaces that were left out (otherwise they throw, all together). */
  readonly errors: readonly UserError[];
  /** How many roots the errors left out (a root that cannot load, with all its errors, counts once). */
  readonly failedRoots: number;
  /** Vendored directories skipped as a whole, sorted by path. */
  readonly vendored: readonly VendoredDir[];
}
export interface DiscoveryWarning {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

export interface DiscoverOptions {
  /** Return the errors of broken paths and workspaces with the rest (see Discovery.errors) instead of throwing them. */
  readonly keepGoing?: boolean;
  /**
   * When given, a root that fails to load and of which no manifest that can be read names a crate this says is
   * family is skipped with one warning instead of an error. Roots that name the family still fail (all or nothing).
   */
  readonly skipFailuresWithoutFamily?: (packageName: string) => boolean;
}

/**
 * Every workspace root and standalone package that the given directories or Cargo.toml files belong to,
 * with members as `cargo metadata` reports them. A path inside a workspace yields that whole workspace.
 * Cargo errors in a workspace throw UserError; packages cargo would reject on their own are skipped with a warning.
 */
export function discover(paths: readonly string[], opts: DiscoverOptions = {}): Discovery {
  const model = new CargoModel();
  // Every error is collected (once), so that one run reports all of them; without keepGoing they throw together.
  const errors = new Map<string, UserError>();
  const fail = (e: UserError): void => {
    for (const one of userErrors(e)) errors.set(`${one.location?.file}:${one.location?.line}:${one.location?.column}:${one.message}`, one);
  };
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      fail(e);
      return undefined;
    }
  };
  const scans = paths.flatMap((p) => attempt(() => scanPath(p)) ?? []);
  const files = [...new Set(scans.flatMap((s) => s.files))].sort(byString);
  model.knownFiles(files);
  const roots = new Map<string, Root>();
  const warnings: DiscoveryWarning[] = uniqueWarnings(scans.flatMap((s) => s.warnings));
  const failures: LoadFailure[] = [];
  for (const file of files) {
    let r: Root | DiscoveryWarning | undefined;
    const isFamily = opts.skipFailuresWithoutFamily;
    if (isFamily === undefined) r = attempt(() => classify(model, file));
    else {
      try {
        r = classify(model, file);
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        // Decided once every file is seen: a root's members may name the family after its first failure.
        failures.push(loadFailure(model, file, e, isFamily));
      }
    }
    if (r === undefined) continue;
    if ('message' in r) warnings.push(r);
    else roots.set(r.manifest.path, r);
  }
  let failedRoots = 0;
  for (const [root, group] of groupBy(failures, (f) => f.root)) {
    if (group.some((f) => f.namesFamily)) {
      failedRoots++;
      group.forEach((f) => fail(f.error));
    } else warnings.push(skippedWarning(model, root, group[0]!.error));
  }
  if (!opts.keepGoing && errors.size > 0) throw errors.size === 1 ? [...errors.values()][0]! : new UserErrors([...errors.values()], failedRoots);
  const vendored = new Map(scans.flatMap((s) => s.vendored).map((v) => [v.dir, v]));
  return {
    roots: [...roots.values()].sort((a, b) => byString(a.manifest.path, b.manifest.path)),
    warnings,
    errors: [...errors.values()],
    failedRoots,
    vendored: [...vendored.values()].sort((a, b) => byString(a.dir, b.dir)),
  };
}

/** The one warning for a root skipped because it cannot load and names nothing of the family. */
function skippedWarning(model: CargoModel, root: string, error: UserError): DiscoveryWarning {
  // One warning for the root: its first error says why.
  const e = userErrors(error)[0]!;
  const at = e.location ?? { file: root };
  let what = displayPath(root);
  try {
    const m = model.load(root);
    what = `the ${isTable(m.value['workspace']) ? 'workspace' : hasPackage(m) ? 'package' : 'manifest'} at ${what}`;
  } catch {
    // It is the manifest that cannot be read: its path alone names it.
  }
  return {
    file: at.file,
    ...(at.line !== undefined ? { line: at.line } : {}),
    ...(at.column !== undefined ? { column: at.column } : {}),
    message: `${e.message}; ${what} cannot be loaded and names no crate of the wasmtime family, so it was skipped`,
  };
}

function uniqueWarnings(list: readonly DiscoveryWarning[]): DiscoveryWarning[] {
  return [...new Map(list.map((w) => [`${w.file}:${w.line}:${w.column}:${w.message}`, w])).values()];
}

/** What `cargo metadata --manifest-path <file>` would treat as the workspace of `file`. */
function classify(model: CargoModel, file: string): Root | DiscoveryWarning {
  const m = model.load(file);
  const isRoot = model.config(file).kind === 'root';
  if (!hasPackage(m) && !isRoot) {
    return { file, message: 'has neither [package] nor [workspace]; cargo cannot load it, so it was left alone' };
  }
  const rootFile = model.findRoot(file);
  if (rootFile === undefined) {
    // Only a root that excludes itself gets here without a package; cargo sees no package in it.
    return hasPackage(m) ? { kind: 'standalone', manifest: m } : { file, message: 'is a virtual workspace that excludes itself; cargo sees no package in it, so it was left alone' };
  }
  const where = () => displayPath(rootFile);
  // Only a `package.workspace` pointer can name a missing or non-root manifest.
  if (!model.fileExists(rootFile)) {
    return { file, message: `\`package.workspace\` points to ${where()}, which does not exist; cargo rejects it, so it was left alone` };
  }
  if (model.config(rootFile).kind !== 'root') {
    return { file, message: `\`package.workspace\` points to ${where()}, which has no [workspace]; cargo rejects it, so it was left alone` };
  }
  const ws = model.workspace(rootFile);
  if (rootFile !== file && !ws.memberPaths.has(file)) {
    return {
      file,
      message: `not a member of the workspace at ${where()}, and cargo rejects it ("current package believes it's in a workspace when it's not"), so it was left alone`,
    };
  }
  return { kind: 'workspace', manifest: ws.manifest, members: ws.members };
}
