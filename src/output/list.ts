import { displayPath } from '../errors.js';
import type { Plan } from '../pipeline.js';

/**
 * `--list`: the files that would change (or, with --write, that changed), one per line, as every message names them
 * (relative to the current directory when below it, absolute otherwise); nothing else goes to stdout.
 */
export function changedList(plan: Plan, cwd: string): string {
  return plan.files.map((f) => `${displayPath(f.manifest.path, cwd)}\n`).join('');
}
