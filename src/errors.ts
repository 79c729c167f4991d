import * as path from 'node:path';

/** Where in which file a problem is; line and column are 1-based, as cargo prints them. */
export interface SourceLocation {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * A problem with the user's input (a manifest, a command-line option, the file system).
 * It is reported as `error: path:line:col: message` with exit status 2 and never with a stack trace.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly location?: SourceLocation,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** `error: crates/b/Cargo.toml:7:31: expected ...`, with the path relative to `cwd`. */
export function formatUserError(err: UserError, cwd: string = process.cwd()): string {
  return `error: ${formatLocation(err.location, cwd)}${err.message}`;
}

export function formatLocation(loc: Partial<SourceLocation> | undefined, cwd: string = process.cwd()): string {
  if (loc?.file === undefined) return '';
  let s = displayPath(loc.file, cwd);
  if (loc.line !== undefined) {
    s += `:${loc.line}`;
    if (loc.column !== undefined) s += `:${loc.column}`;
  }
  return `${s}: `;
}

/** A path as the user should read it: relative to the current directory when below it, else absolute. */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const rel = relativePath(file, cwd);
  return rel.startsWith('../') ? path.resolve(cwd, file) : rel;
}

/** A path relative to `cwd` with forward slashes, as diffs and the JSON report name files. */
export function relativePath(file: string, cwd: string = process.cwd()): string {
  const rel = path.relative(cwd, file);
  return rel === '' ? '.' : rel.split(path.sep).join('/');
}
