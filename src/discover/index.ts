import { displayPath, UserError } from '../errors.js';
import type { Manifest } from '../manifest/read.js';
import { hasPackage } from './config.js';
import { byString } from './paths.js';
import { scanPath } from './scan.js';
import { CargoModel } from './workspace.js';

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
  /** With `keepGoing`: the errors of the paths and workspaces that were left out (otherwise the first one throws). */
  readonly errors: readonly UserError[];
}
export interface DiscoveryWarning {
  readonly file: string;
  readonly message: string;
}

/**
 * Every workspace root and standalone package that the given directories or Cargo.toml files belong to,
 * with members as `cargo metadata` reports them. A path inside a workspace yields that whole workspace.
 * Cargo errors in a workspace throw UserError; packages cargo would reject on their own are skipped with a warning.
 */
export function discover(paths: readonly string[], opts: { keepGoing?: boolean } = {}): Discovery {
  const model = new CargoModel();
  const errors = new Map<string, UserError>();
  // With keepGoing, a broken path or workspace is recorded (once) and the others are still found.
  const attempt = <T>(f: () => T): T | undefined => {
    if (!opts.keepGoing) return f();
    try {
      return f();
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      errors.set(`${e.location?.file}:${e.location?.line}:${e.location?.column}:${e.message}`, e);
      return undefined;
    }
  };
  const files = [...new Set(paths.flatMap((p) => attempt(() => scanPath(p)) ?? []))].sort(byString);
  model.knownFiles(files);
  const roots = new Map<string, Root>();
  const warnings: DiscoveryWarning[] = [];
  for (const file of files) {
    const r = attempt(() => classify(model, file));
    if (r === undefined) continue;
    if ('message' in r) warnings.push(r);
    else roots.set(r.manifest.path, r);
  }
  return { roots: [...roots.values()].sort((a, b) => byString(a.manifest.path, b.manifest.path)), warnings, errors: [...errors.values()] };
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
