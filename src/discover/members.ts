import * as path from 'node:path';
import fg from 'fast-glob';
import { isDir, joinRaw, statFollow } from './paths.js';

/** One directory that a `members` (or `default-members`) entry names. */
export interface MemberPath {
  /** Absolute, normalised directory. */
  readonly dir: string;
  /** The entry as written, for messages. */
  readonly entry: string;
  readonly index: number;
  /** The entry had glob characters (cargo then says "referenced via `<entry>`"). */
  readonly viaGlob: boolean;
}

// The `glob` crate cargo uses knows only these metacharacters.
const GLOB_CHARS = /[*?[]/;

/** Cargo's `members_paths`: expand each entry; one that matches nothing stays literal. */
export function memberPaths(rootDir: string, entries: readonly string[]): MemberPath[] {
  return entries.flatMap((entry, index) => {
    const viaGlob = GLOB_CHARS.test(entry);
    return expand(joinRaw(rootDir, entry)).map((dir) => ({ dir, entry, index, viaGlob }));
  });
}

function expand(pattern: string): string[] {
  const parts = pattern.split('/');
  const firstGlob = parts.findIndex((p) => GLOB_CHARS.test(p));
  if (firstGlob < 0) {
    // A literal path that exists but is not a directory is dropped silently, as cargo does.
    const st = statFollow(pattern);
    if (!st) return [path.resolve(pattern)];
    return st.isDirectory() ? [path.resolve(pattern)] : [];
  }
  // Glob only below the literal prefix, so characters like `+` or `(` in it are never read as syntax.
  const cwd = parts.slice(0, firstGlob).join('/') || '/';
  const rest = parts.slice(firstGlob).join('/');
  const found = isDir(cwd)
    ? fg.sync(rest, {
        objectMode: true,
        cwd,
        dot: true,
        onlyFiles: false,
        // Cargo's glob crate has no braces or extglobs; `**` must not run round symlink loops.
        braceExpansion: false,
        extglob: false,
        followSymbolicLinks: !rest.includes('**'),
        caseSensitiveMatch: true,
        suppressErrors: true,
      })
    : [];
  if (found.length === 0) return [path.resolve(pattern)];
  // Files matched by a glob (README.md, .DS_Store) are skipped, symlinked directories kept. Entries read through
  // a followed link already describe its target, so only links left unfollowed (under `**`) need a stat.
  return found
    .filter((f) => f.dirent.isDirectory() || (f.dirent.isSymbolicLink() && isDir(path.resolve(cwd, f.path))))
    .map((f) => path.resolve(cwd, f.path));
}
