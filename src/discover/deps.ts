import * as path from 'node:path';
import { isTable, packageDependencyTables, workspaceDependencies } from '../manifest/dependencies.js';
import type { Manifest } from '../manifest/read.js';

/** A dependency that cargo loads from a local directory. */
export interface PathDep {
  readonly name: string;
  /** Absolute, normalised directory of the dependency. */
  readonly dir: string;
  /** Where it is declared in the member, for error locations. */
  readonly keyPath: readonly string[];
}

/**
 * Every path dependency of `m`, in all kinds and `[target.<cfg>]` tables.
 * `{ workspace = true }` entries take the `path` of `[workspace.dependencies]` in `root`, relative to the root.
 */
export function pathDeps(m: Manifest, root: Manifest): PathDep[] {
  const wsDeps = workspaceDependencies(root);
  const deps: PathDep[] = [];
  for (const { at, table } of packageDependencyTables(m.value)) {
    for (const [name, spec] of Object.entries(table)) {
      if (!isTable(spec)) continue;
      const keyPath = [...at, name];
      if (spec['workspace'] === true) {
        const inherited = wsDeps[name];
        if (isTable(inherited) && typeof inherited['path'] === 'string') {
          deps.push({ name, dir: path.resolve(path.dirname(root.path), inherited['path']), keyPath });
        }
      } else if (typeof spec['path'] === 'string') {
        deps.push({ name, dir: path.resolve(path.dirname(m.path), spec['path']), keyPath });
      }
    }
  }
  return deps;
}
