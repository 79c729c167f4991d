import * as path from 'node:path';
import { displayPath } from '../errors.js';
import type { Plan } from '../pipeline.js';

/**
 * After a write, the `cargo hakari generate` each changed root with a hakari section needs once its Cargo.lock is
 * refreshed: the section mirrors the resolved versions, and this tool leaves it as generated. cargo-hakari has no
 * `--manifest-path`; it works on the workspace of the directory it runs in.
 */
export function hakariFollowUps(plan: Plan, cwd: string): string[] {
  const changed = new Set(plan.files.map((f) => f.manifest.path));
  const out: string[] = [];
  for (const root of plan.roots) {
    if (root.generated.length === 0 || !root.manifests.some((m) => changed.has(m.path))) continue;
    const dir = displayPath(path.dirname(root.manifest.path), cwd);
    out.push(dir === '.' ? 'cargo hakari generate' : `(cd ${shellWord(dir)} && cargo hakari generate)`);
  }
  return out;
}

function shellWord(s: string): string {
  return /^[A-Za-z0-9_./+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
