import * as fs from 'node:fs';
import * as path from 'node:path';

/** A part `.` or `..`, an empty part (`//`, a trailing `/`), or a backslash. */
const UNUSUAL = /\/\.{0,2}(\/|$)|\\/;

/** Path components as Rust's `Path::components` sees them: `.` and empty parts dropped, `..` kept. */
function components(p: string): string[] {
  return p.split(/[\\/]/).filter((c) => c !== '' && c !== '.');
}

/**
 * Rust's `Path::starts_with`: whole components, no normalisation of `..`.
 * Cargo's `exclude` check joins entries to the root without normalising, so neither do we.
 */
export function startsWithPath(file: string, base: string): boolean {
  // Absolute paths without `.`, `..`, doubled or trailing separators (nearly all) compare as strings.
  if (file[0] === '/' && base[0] === '/' && !UNUSUAL.test(file) && !UNUSUAL.test(base)) return file === base || file.startsWith(`${base}/`);
  const f = components(file);
  const b = components(base);
  return b.length <= f.length && b.every((c, i) => c === f[i]);
}

/** Rust's `root.join(entry)`: an absolute entry replaces the root. */
export function joinRaw(root: string, entry: string): string {
  return path.isAbsolute(entry) ? entry : `${root}/${entry}`;
}

/** `dir` is absolute and normalised (every caller has it from path.resolve or path.dirname), so no join is needed. */
export function manifestIn(dir: string): string {
  return dir.endsWith(path.sep) ? `${dir}Cargo.toml` : `${dir}${path.sep}Cargo.toml`;
}

/** Cargo's `Path::exists` / `is_dir` follow symlinks. */
export function statFollow(p: string): fs.Stats | undefined {
  try {
    // A missing file is the common answer; not throwing for it saves building an exception each time.
    return fs.statSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

export function isDir(p: string): boolean {
  return statFollow(p)?.isDirectory() ?? false;
}

/** Code-unit order, so results do not depend on the locale. */
export function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
