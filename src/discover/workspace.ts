import * as os from 'node:os';
import * as path from 'node:path';
import { displayPath, ErrorSink, UserError } from '../errors.js';
import { readManifest, type Manifest } from '../manifest/read.js';
import { hasPackage, locatedError, packageName, readWorkspaceConfig, type WorkspaceConfig } from './config.js';
import { pathDeps } from './deps.js';
import { memberPaths } from './members.js';
import { byString, joinRaw, manifestIn, startsWithPath, statFollow } from './paths.js';

type RootConfig = Extract<WorkspaceConfig, { kind: 'root' }>;
/** Builds an error placed at one spot of a manifest. */
type Locate = (message: string) => UserError;

/** A workspace as cargo builds it: the root manifest and its members by manifest path. */
export interface LoadedWorkspace {
  readonly manifest: Manifest;
  /** Member manifests with a `[package]`, sorted by path. */
  readonly members: readonly Manifest[];
  readonly memberPaths: ReadonlySet<string>;
}

/**
 * Cargo's workspace logic (`core/workspace.rs`) over a cache of manifests:
 * every file is read once, every workspace computed once.
 */
export class CargoModel {
  private readonly manifests = new Map<string, Manifest>();
  private readonly configs = new Map<string, WorkspaceConfig>();
  private readonly exists = new Map<string, boolean>();
  private readonly workspaces = new Map<string, LoadedWorkspace>();
  private readonly cargoHome = path.resolve(process.env['CARGO_HOME'] ?? path.join(os.homedir(), '.cargo'));

  load(file: string): Manifest {
    let m = this.manifests.get(file);
    if (!m) {
      m = readManifest(file);
      this.manifests.set(file, m);
    }
    return m;
  }

  /** Records files known to exist (the scan found them), so no stat is spent on them again. */
  knownFiles(files: Iterable<string>): void {
    for (const f of files) this.exists.set(f, true);
  }

  fileExists(file: string): boolean {
    let e = this.exists.get(file);
    if (e === undefined) {
      e = statFollow(file)?.isFile() ?? false;
      this.exists.set(file, e);
    }
    return e;
  }

  config(file: string): WorkspaceConfig {
    let c = this.configs.get(file);
    if (!c) {
      c = readWorkspaceConfig(this.load(file));
      this.configs.set(file, c);
    }
    return c;
  }

  /**
   * Cargo's `find_root`: the manifest's own `[workspace]` or pointer, else the nearest ancestor that is a
   * root not excluding it, or that has a `package.workspace` pointer (which then wins, unchecked).
   */
  findRoot(file: string): string | undefined {
    const own = this.wsRootOf(file, file);
    if (own) return own;
    let prev: string | undefined;
    for (let dir = path.dirname(path.dirname(file)); ; dir = path.dirname(dir)) {
      // Cargo stops at packaged sources and never walks out of CARGO_HOME.
      if (dir.endsWith(`${path.sep}target${path.sep}package`)) return undefined;
      if (prev !== undefined && prev === this.cargoHome) return undefined;
      const candidate = manifestIn(dir);
      if (this.fileExists(candidate)) {
        const found = this.wsRootOf(candidate, file);
        if (found) return found;
      }
      if (path.dirname(dir) === dir) return undefined;
      prev = dir;
    }
  }

  /** Cargo's `get_ws_root`. */
  private wsRootOf(selfPath: string, lookFrom: string): string | undefined {
    const c = this.config(selfPath);
    if (c.kind === 'root') return isExcluded(c, lookFrom) ? undefined : selfPath;
    if (c.pointer !== undefined) return path.resolve(path.dirname(selfPath), c.pointer, 'Cargo.toml');
    return undefined;
  }

  /** Cargo's `find_members` plus the `validate` checks that reject a workspace. Throws UserError like cargo. */
  workspace(rootFile: string): LoadedWorkspace {
    const cached = this.workspaces.get(rootFile);
    if (cached) return cached;
    const root = this.load(rootFile);
    const cfg = this.config(rootFile);
    if (cfg.kind !== 'root') throw new UserError('root of a workspace inferred but wasn\'t a root', { file: rootFile });
    const members = new Map<string, Manifest>();

    /** Where each member was asked for: a `members` entry of the root, or a path dependency of another member. */
    const listedAt = new Map<string, Locate>();

    /**
     * Cargo's `find_path_deps`. `at` places an error about `file` where it was asked for; `missing` words the error
     * for a manifest that is not there.
     */
    const add = (file: string, isPathDep: boolean, at: Locate, missing: () => string): void => {
      if (members.has(file)) return;
      if (isPathDep && !startsWithPath(path.dirname(file), cfg.rootDir)) {
        // A path dependency outside the root joins only if it points back here with `package.workspace`.
        if (!this.fileExists(file)) throw at(missing());
        if (this.findRoot(file) !== rootFile) return;
      }
      if (isExcluded(cfg, file)) return;
      if (!this.fileExists(file)) throw at(missing());
      const m = this.load(file);
      members.set(file, m);
      listedAt.set(file, at);
      if (!hasPackage(m)) {
        if (this.config(file).kind !== 'root') {
          throw new UserError('manifest is missing either a `[package]` or a `[workspace]`', { file });
        }
        return;
      }
      for (const dep of pathDeps(m, root)) {
        const depFile = manifestIn(dep.dir);
        add(
          depFile,
          true,
          (message) => locatedError(m, dep.keyPath, message),
          () => `failed to load manifest for dependency \`${dep.name}\`: failed to read \`${displayPath(depFile)}\`: No such file or directory`,
        );
      }
    };

    // Cargo stops at the first member that fails to load; every one is reported here, so one run names them all.
    const errors = new ErrorSink();
    const listed = memberPaths(cfg.rootDir, cfg.members ?? []);
    for (const mp of listed) {
      const file = manifestIn(mp.dir);
      const via = mp.viaGlob ? `referenced via \`${mp.entry}\` ` : 'referenced ';
      errors.attempt(() =>
        add(
          file,
          false,
          (message) => locatedError(root, ['workspace', 'members', mp.index], message),
          () => `failed to load manifest for workspace member \`${displayPath(mp.dir)}\` ${via}by workspace at \`${displayPath(rootFile)}\`: failed to read \`${displayPath(file)}\`: No such file or directory`,
        ),
      );
    }
    errors.attempt(() => add(rootFile, false, (message) => new UserError(message, { file: rootFile }), () => 'failed to read manifest'));
    errors.throwIfAny();

    this.checkDefaultMembers(root, cfg, members, listed.map((mp) => mp.dir));
    this.validate(rootFile, cfg, members, listedAt);

    const sorted = [...members.values()].filter(hasPackage).sort((a, b) => byString(a.path, b.path));
    const ws: LoadedWorkspace = { manifest: root, members: sorted, memberPaths: new Set(sorted.map((m) => m.path)) };
    this.workspaces.set(rootFile, ws);
    return ws;
  }

  /** Cargo rejects a root whose `default-members` names a non-member (unless it is listed and excluded). */
  private checkDefaultMembers(root: Manifest, cfg: RootConfig, members: Map<string, Manifest>, listed: string[]) {
    if (!cfg.defaultMembers) return;
    for (const mp of memberPaths(cfg.rootDir, cfg.defaultMembers)) {
      if (members.has(manifestIn(mp.dir))) continue;
      if (listed.includes(mp.dir) && isExcluded(cfg, mp.dir)) continue;
      throw locatedError(
        root,
        ['workspace', 'default-members', mp.index],
        `package \`${displayPath(mp.dir)}\` is listed in default-members but is not a member for workspace at ${displayPath(root.path)}`,
      );
    }
  }

  /** Cargo's `validate_unique_names`, `validate_workspace_roots` and `validate_members`. */
  private validate(rootFile: string, cfg: RootConfig, members: Map<string, Manifest>, listedAt: ReadonlyMap<string, Locate>): void {
    const names = new Map<string, string>();
    for (const [file, m] of members) {
      const name = packageName(m);
      if (name === undefined) continue;
      const prev = names.get(name);
      if (prev !== undefined) {
        throw new UserError(
          `two packages named \`${name}\` in this workspace: ${displayPath(prev)} and ${displayPath(file)}`,
          { file: rootFile },
        );
      }
      names.set(name, file);
    }

    const roots = [...members.keys()].filter((f) => this.config(f).kind === 'root');
    if (roots.length > 1) {
      throw new UserError(
        `multiple workspace roots found in the same workspace: ${roots.map((f) => displayPath(path.dirname(f))).join(', ')}`,
        { file: rootFile },
      );
    }

    for (const file of members.keys()) {
      if (file === rootFile) continue;
      // Cargo has already cached this root while loading it, so a member below it that it does not exclude
      // resolves to it without walking up (even past a nearer nested root). Pointers are read first.
      const c = this.config(file);
      const resolved =
        c.kind === 'member' && c.pointer === undefined && startsWithPath(file, cfg.rootDir) && !isExcluded(cfg, file)
          ? rootFile
          : this.findRoot(file);
      if (resolved === rootFile) continue;
      const message =
        resolved === undefined
          ? `workspace member \`${displayPath(file)}\` is not hierarchically below the workspace root \`${displayPath(rootFile)}\``
          : `package \`${displayPath(file)}\` is a member of the wrong workspace: expected ${displayPath(rootFile)}, actual ${displayPath(resolved)}`;
      // Placed where the member was asked for (the root's `members` entry, or a path dependency): that is what to fix.
      throw listedAt.get(file)?.(message) ?? new UserError(message, { file });
    }
  }
}

/** Cargo's `is_excluded`: `exclude` entries are literal path prefixes; a prefix listed in `members` wins. */
export function isExcluded(cfg: RootConfig, file: string): boolean {
  const under = (entry: string) => startsWithPath(file, joinRaw(cfg.rootDir, entry));
  return cfg.exclude.some(under) && !(cfg.members ?? []).some(under);
}
