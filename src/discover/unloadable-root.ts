import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError, UserErrors } from '../errors.js';
import { isTable, packageDependencyTables } from '../manifest/dependencies.js';
import type { Manifest, TomlTable } from '../manifest/read.js';
import { hasPackage } from './config.js';
import { pathDeps } from './deps.js';
import { memberPaths } from './members.js';
import { manifestIn, startsWithPath } from './paths.js';
import { isExcluded, type CargoModel } from './workspace.js';

/**
 * A manifest that failed to load, placed in the root it belongs to: `root` is the workspace root (or standalone
 * manifest) cargo would have failed on, and `namesFamily` says whether that root may involve the wasmtime family.
 */
export interface LoadFailure {
  readonly root: string;
  readonly error: UserError;
  readonly namesFamily: boolean;
}

/**
 * Where the failure of `file` belongs, and whether anything there names a family crate. Every manifest of the
 * root that can be read is checked (dependency keys and `package` values of every dependency table); as
 * `cargo metadata` stops at the first error, the members are gathered here without stopping. A manifest that is
 * not valid TOML counts when its text names a family crate anywhere, and one that cannot be read at all (not
 * missing: unreadable) always counts, since nothing can be known of it.
 */
export function loadFailure(model: CargoModel, file: string, error: UserError, isFamily: (packageName: string) => boolean): LoadFailure {
  const root = rootOf(model, file);
  if (root !== undefined && root !== file) {
    let rootError: UserError | undefined;
    try {
      model.workspace(root);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      rootError = e;
    }
    // The workspace itself cannot load: the failure is its failure, and its other errors (every broken member) go with it.
    if (rootError) return { root, error: new UserErrors([error, rootError]), namesFamily: [...manifestsOf(model, root), file].some((f) => mayNameFamily(model, f, isFamily)) };
  }
  const files = root === file ? manifestsOf(model, file) : [file];
  return { root: file, error, namesFamily: files.some((f) => mayNameFamily(model, f, isFamily)) };
}

type Read = { kind: 'read'; manifest: Manifest } | { kind: 'missing' } | { kind: 'unparsable'; text: string } | { kind: 'unreadable' };

function read(model: CargoModel, file: string): Read {
  if (!model.fileExists(file)) return { kind: 'missing' };
  try {
    return { kind: 'read', manifest: model.load(file) };
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
  }
  try {
    return { kind: 'unparsable', text: fs.readFileSync(file).toString('utf8') };
  } catch {
    return { kind: 'unreadable' };
  }
}

function mayNameFamily(model: CargoModel, file: string, isFamily: (packageName: string) => boolean): boolean {
  const r = read(model, file);
  switch (r.kind) {
    case 'read':
      return namesFamily(r.manifest.value, isFamily);
    case 'unparsable':
      return r.text.split(/[^A-Za-z0-9_-]+/).some((word) => word !== '' && isFamily(word));
    case 'unreadable':
      return true;
    case 'missing':
      return false;
  }
}

/** A dependency key or `package` value naming a family crate, in any dependency table or `[workspace.dependencies]`. */
export function namesFamily(value: TomlTable, isFamily: (packageName: string) => boolean): boolean {
  const ws = value['workspace'];
  const tables = packageDependencyTables(value).map((t) => t.table);
  if (isTable(ws) && isTable(ws['dependencies'])) tables.push(ws['dependencies']);
  for (const table of tables) {
    for (const [key, spec] of Object.entries(table)) {
      if (isFamily(key)) return true;
      const pkg = isTable(spec) ? spec['package'] : undefined;
      if (typeof pkg === 'string' && isFamily(pkg)) return true;
    }
  }
  return false;
}

/** A manifest's `[workspace]` as cargo would read it, ignoring what is malformed; undefined without one. */
function rootConfig(m: Manifest) {
  const ws = m.value['workspace'];
  if (!isTable(ws)) return undefined;
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((e): e is string => typeof e === 'string') : []);
  return { kind: 'root' as const, rootDir: path.dirname(m.path), members: strings(ws['members']), exclude: strings(ws['exclude']), defaultMembers: undefined };
}

/**
 * Cargo's `find_root` that never throws: the manifest's own `[workspace]` or `package.workspace` pointer when it can
 * be read, else the nearest ancestor that is a root not excluding it, or that cannot be read (cargo stops there).
 */
function rootOf(model: CargoModel, file: string): string | undefined {
  try {
    return model.findRoot(file);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
  }
  const own = read(model, file);
  if (own.kind === 'read') {
    if (rootConfig(own.manifest)) return file;
    const pkg = own.manifest.value['package'];
    const pointer = isTable(pkg) ? pkg['workspace'] : undefined;
    if (typeof pointer === 'string') return path.resolve(path.dirname(file), pointer, 'Cargo.toml');
  }
  for (let dir = path.dirname(path.dirname(file)); ; dir = path.dirname(dir)) {
    const candidate = manifestIn(dir);
    if (model.fileExists(candidate)) {
      const r = read(model, candidate);
      if (r.kind !== 'read') return candidate;
      const cfg = rootConfig(r.manifest);
      if (cfg && !isExcluded(cfg, file)) return candidate;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The manifests of the root at `rootFile` as cargo's `find_members` would gather them (the listed members and the
 * path dependencies inside the root, transitively), going on past every one that is missing or broken.
 */
function manifestsOf(model: CargoModel, rootFile: string): string[] {
  const r = read(model, rootFile);
  const cfg = r.kind === 'read' ? rootConfig(r.manifest) : undefined;
  if (r.kind !== 'read' || !cfg) return [rootFile];
  const root = r.manifest;
  const seen = new Set<string>();
  const add = (file: string, isPathDep: boolean): void => {
    if (seen.has(file)) return;
    if (isPathDep && !startsWithPath(path.dirname(file), cfg.rootDir) && rootOf(model, file) !== rootFile) return;
    if (isExcluded(cfg, file)) return;
    seen.add(file);
    const m = read(model, file);
    if (m.kind !== 'read' || !hasPackage(m.manifest)) return;
    for (const dep of pathDeps(m.manifest, root)) add(manifestIn(dep.dir), true);
  };
  for (const mp of memberPaths(cfg.rootDir, cfg.members)) add(manifestIn(mp.dir), false);
  add(rootFile, false);
  return [...seen];
}
