import * as path from 'node:path';
import { isTable, lookup, packageDependencyTables, workspaceDependencies } from '../manifest/dependencies.js';
import type { Manifest, TomlTable } from '../manifest/read.js';

/**
 * How a package's build reaches a registry family crate, the way cargo decides whose `rust-version` a build
 * checks:
 * - `build`: through its normal or build dependencies (also through a local path dependency whose own normal or
 *   build dependencies do, transitively): building the package, for itself or for anyone depending on it,
 *   compiles the family crate, so its `rust-version` cannot be below the family's;
 * - `dev`: only through its dev-dependencies: only its tests, examples and benches compile the family crate.
 *   Consumers never do, so the package's `rust-version` (the Rust its library needs) is not raised for it.
 * A package absent from the map does not build the family at all.
 */
export type FamilyBuild = 'build' | 'dev';

/**
 * The packages among `manifests` that build a family crate from the registry (a family crate by key or
 * `package`, own or inherited from `[workspace.dependencies]`, that is not a path or git dependency).
 * Read from plain values; shared by the plan's and doctor's rust-version checks.
 */
export function familyBuilders(rootManifest: Manifest, manifests: readonly Manifest[], isFamily: (crate: string) => boolean): Map<Manifest, FamilyBuild> {
  const wsDeps = workspaceDependencies(rootManifest);
  const rootDir = path.dirname(rootManifest.path);
  const byPath = new Map(manifests.map((m) => [path.resolve(m.path), m]));
  const packages = manifests.filter((m) => isTable(m.value['package']));
  // Per package: does it reach the family directly, per kind, and which local packages does it depend on.
  const direct = new Map<Manifest, { build: boolean; dev: boolean; buildDeps: Manifest[]; devDeps: Manifest[] }>();
  for (const m of packages) {
    const info = { build: false, dev: false, buildDeps: [] as Manifest[], devDeps: [] as Manifest[] };
    for (const { at, table } of packageDependencyTables(m.value)) {
      const dev = at[at.length - 1]!.startsWith('dev');
      for (const [key, own] of Object.entries(table)) {
        const inherited = isTable(own) && own['workspace'] === true;
        const spec = inherited ? (Object.prototype.hasOwnProperty.call(wsDeps, key) ? wsDeps[key] : undefined) : own;
        if (spec === undefined) continue;
        const crate = isTable(spec) && typeof spec['package'] === 'string' ? spec['package'] : key;
        const local = isTable(spec) && typeof spec['path'] === 'string' ? spec['path'] : undefined;
        if (local !== undefined) {
          const dep = byPath.get(path.resolve(inherited ? rootDir : path.dirname(m.path), local, 'Cargo.toml'));
          if (dep && dep !== m) (dev ? info.devDeps : info.buildDeps).push(dep);
          continue;
        }
        if (isTable(spec) && spec['git'] !== undefined) continue;
        if (!isFamily(crate)) continue;
        if (dev) info.dev = true;
        else info.build = true;
      }
    }
    direct.set(m, info);
  }
  // `build` is transitive through normal/build path dependencies (a fixpoint: path dependencies may form cycles
  // through dev-dependencies, never through normal ones, but the loop does not rely on it).
  const builds = new Set(packages.filter((m) => direct.get(m)!.build));
  for (let grew = true; grew; ) {
    grew = false;
    for (const m of packages) {
      if (builds.has(m) || !direct.get(m)!.buildDeps.some((d) => builds.has(d))) continue;
      builds.add(m);
      grew = true;
    }
  }
  const out = new Map<Manifest, FamilyBuild>();
  for (const m of packages) {
    const info = direct.get(m)!;
    if (builds.has(m)) out.set(m, 'build');
    else if (info.dev || info.devDeps.some((d) => builds.has(d))) out.set(m, 'dev');
  }
  return out;
}

/** Whether a package takes its `rust-version` from `[workspace.package]`. */
export function inheritsRustVersion(m: Manifest): boolean {
  const v = lookup(m.value, ['package', 'rust-version']);
  return isTable(v as TomlTable) && (v as TomlTable)['workspace'] === true;
}

/** `publish = false` or `publish = []` (own or inherited): nobody depends on the package from a registry. */
export function isUnpublished(m: Manifest, rootManifest: Manifest): boolean {
  let v = lookup(m.value, ['package', 'publish']);
  if (isTable(v as TomlTable) && (v as TomlTable)['workspace'] === true) v = lookup(rootManifest.value, ['workspace', 'package', 'publish']);
  return v === false || (Array.isArray(v) && v.length === 0);
}
