import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { ioMessage } from '../manifest/read.js';
import { statFollow } from './paths.js';

// Build output, VCS data and JS dependencies hold stale or vendored manifests that are not the user's.
const SKIPPED_DIRS = new Set(['target', '.git', 'node_modules']);

/** Every Cargo.toml a user path stands for: the file itself, or all below a directory. */
export function scanPath(input: string): string[] {
  const abs = path.resolve(input);
  const st = statFollow(abs);
  if (!st) throw new UserError('no such file or directory', { file: abs });
  if (st.isDirectory()) return scanDir(abs);
  if (path.basename(abs) !== 'Cargo.toml') {
    throw new UserError('expected a directory or a Cargo.toml file', { file: abs });
  }
  return [abs];
}

function scanDir(root: string): string[] {
  const found: string[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw new UserError(`cannot read directory: ${ioMessage(e)}`, { file: dir });
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      // Dirent types do not follow symlinks, so symlinked directories are never entered.
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name)) stack.push(full);
      } else if (e.name === 'Cargo.toml' && (e.isFile() || statFollow(full)?.isFile())) {
        found.push(full);
      }
    }
  }
  return found;
}
