import { isTable, packageDependencyTables } from '../manifest/dependencies.js';
import type { Manifest, TomlTable } from '../manifest/read.js';

/**
 * Whether a member may hold a dependency entry the plan reads: one naming a family crate by key or by `package`,
 * or one inheriting a workspace entry that names one or that the root lacks. Read from the plain value, so that
 * on a monorepo the many members that cannot matter are never given a syntax tree. Errs towards yes: a yes only
 * costs the full parse.
 */
export function mayUseFamily(member: Manifest, rootWorkspaceDeps: TomlTable, isFamily: (packageName: string) => boolean): boolean {
  for (const { table } of packageDependencyTables(member.value)) {
    for (const [key, spec] of Object.entries(table)) {
      if (isFamily(key)) return true;
      if (!isTable(spec)) continue;
      const pkg = spec['package'];
      if (typeof pkg === 'string' && isFamily(pkg)) return true;
      if (spec['workspace'] === true) {
        const inherited = Object.prototype.hasOwnProperty.call(rootWorkspaceDeps, key) ? rootWorkspaceDeps[key] : undefined;
        if (inherited === undefined) return true;
        const inheritedPkg = isTable(inherited) ? inherited['package'] : undefined;
        if (typeof inheritedPkg === 'string' && isFamily(inheritedPkg)) return true;
      }
    }
  }
  return false;
}
