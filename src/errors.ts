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

/**
 * Several problems found in one run (every root, every member, every unknown feature), reported together. It is a
 * UserError, so code that handles one handles all of them; `userErrors` lists them.
 */
export class UserErrors extends UserError {
  constructor(
    readonly errors: readonly UserError[],
    /** How many roots (workspaces, packages) the errors left out; 0 when none is known. */
    readonly roots: number = 0,
  ) {
    super(errors.map((e) => e.message).join('\n'), errors[0]?.location);
    this.name = 'UserErrors';
  }
}

/** The single errors of an error (an aggregate's, in order). */
export function userErrors(e: UserError): readonly UserError[] {
  return e instanceof UserErrors ? e.errors.flatMap(userErrors) : [e];
}

/** Collects the errors of a phase; `throwIfAny` then throws the one error, or all of them together. */
export class ErrorSink {
  readonly list: UserError[] = [];

  add(e: UserError): void {
    this.list.push(...userErrors(e));
  }

  /** Runs `f`; a UserError it throws is collected (undefined is returned), anything else propagates. */
  attempt<T>(f: () => T): T | undefined {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      this.add(e);
      return undefined;
    }
  }

  /** Orders the errors by file, line and column (errors without a file first), so the order of the paths does not matter. */
  sort(): void {
    const key = (e: UserError): [string, number, number] => [e.location?.file ?? '', e.location?.line ?? 0, e.location?.column ?? 0];
    this.list.sort((a, b) => {
      const [fa, la, ca] = key(a);
      const [fb, lb, cb] = key(b);
      return fa < fb ? -1 : fa > fb ? 1 : la - lb || ca - cb;
    });
  }

  throwIfAny(roots = 0): void {
    if (this.list.length === 1 && roots <= 1) throw this.list[0]!;
    if (this.list.length > 0) throw new UserErrors(this.list, roots);
  }
}

/**
 * `error: crates/b/Cargo.toml:7:31: expected ...`, with the path relative to `cwd`; several errors one per line,
 * then `error: could not align 2 roots due to 3 previous errors; nothing was written`.
 */
export function formatUserError(err: UserError, cwd: string = process.cwd()): string {
  const all = userErrors(err);
  const lines = all.map((e) => `error: ${formatLocation(e.location, cwd)}${e.message}`);
  if (all.length > 1) lines.push(`error: ${errorsTotal(all.length, err instanceof UserErrors ? err.roots : 0)}; nothing was written`);
  return lines.join('\n');
}

/** `could not align 2 roots due to 3 previous errors`, cargo's words for a build that stopped. */
export function errorsTotal(errors: number, roots: number): string {
  const n = `${errors} previous ${errors === 1 ? 'error' : 'errors'}`;
  return roots > 0 ? `could not align ${roots} ${roots === 1 ? 'root' : 'roots'} due to ${n}` : `aborting due to ${n}`;
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
  return rel === '..' || rel.startsWith('../') ? path.resolve(cwd, file) : rel;
}

/** A path relative to `cwd` with forward slashes, as diffs and the JSON report name files. */
export function relativePath(file: string, cwd: string = process.cwd()): string {
  const rel = path.relative(cwd, file);
  return rel === '' ? '.' : rel.split(path.sep).join('/');
}
