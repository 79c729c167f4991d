import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { isTable } from '../manifest/dependencies.js';
import { parseManifest } from '../manifest/read.js';
import { manifestIn, startsWithPath, statFollow } from './paths.js';

/** The file `cargo vendor` writes into every crate it vendors. */
export const CHECKSUM_FILE = '.cargo-checksum.json';

/** A directory of vendored crates that discovery skipped as a whole. */
export interface VendoredDir {
  /** The parent of `.cargo-checksum.json` crates, or the directory a cargo config names as a source. */
  readonly dir: string;
  /** How many vendored crates it holds. */
  readonly crates: number;
  /** The `[source.<name>] directory = "..."` entry that names it, when that is how it was found. */
  readonly config?: { readonly file: string; readonly source: string };
}

/** A problem reading a cargo config; its directory sources are then unknown. */
export interface ConfigWarning {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

/**
 * Directories that cargo configs (`.cargo/config.toml`, or the older `.cargo/config`) name as `directory`
 * sources, the form `cargo vendor` tells you to add: `[source.vendored-sources] directory = "vendor"`. A
 * relative path is relative to the directory that holds `.cargo/`, as cargo resolves it.
 */
export class DirectorySources {
  private readonly byDir = new Map<string, { file: string; source: string }>();
  private readonly read = new Set<string>();
  readonly warnings: ConfigWarning[] = [];

  /** Reads the configs of `dir` and of every directory above it (the ones cargo reads when run in `dir`). */
  readAncestors(dir: string): void {
    for (let d = dir; ; d = path.dirname(d)) {
      this.readConfigs(d);
      if (path.dirname(d) === d) return;
    }
  }

  /** Reads `dir/.cargo/config.toml` and `dir/.cargo/config`, once each. */
  readConfigs(dir: string): void {
    for (const name of ['config.toml', 'config']) {
      const file = path.join(dir, '.cargo', name);
      if (this.read.has(file)) continue;
      this.read.add(file);
      if (!statFollow(file)?.isFile()) continue;
      let value;
      try {
        value = parseManifest(file, fs.readFileSync(file)).value;
      } catch (e) {
        const where = e instanceof UserError ? e.location : undefined;
        this.warnings.push({ file, ...(where?.line !== undefined ? { line: where.line } : {}), ...(where?.column !== undefined ? { column: where.column } : {}), message: `cannot read this cargo config (${(e as Error).message}); directory sources it may name are not skipped` });
        continue;
      }
      const sources = value['source'];
      if (!isTable(sources)) continue;
      for (const [source, table] of Object.entries(sources)) {
        const directory = isTable(table) ? table['directory'] : undefined;
        if (typeof directory !== 'string') continue;
        const at = path.resolve(dir, directory);
        if (!this.byDir.has(at)) this.byDir.set(at, { file, source });
      }
    }
  }

  /** Whether `dir` is exactly a directory source. */
  has(dir: string): boolean {
    return this.byDir.has(dir);
  }

  /** The directory source `p` lies in (or is), if any. */
  containing(p: string): string | undefined {
    for (const dir of this.byDir.keys()) if (startsWithPath(p, dir)) return dir;
    return undefined;
  }

  /** The directory sources inside `root` (or holding it) that exist, as skipped vendor directories. */
  skippedUnder(root: string): VendoredDir[] {
    const out: VendoredDir[] = [];
    for (const [dir, config] of this.byDir) {
      if (!(startsWithPath(dir, root) || startsWithPath(root, dir)) || !statFollow(dir)?.isDirectory()) continue;
      out.push({ dir, crates: countCrates(dir), config });
    }
    return out;
  }
}

/** The crates of a vendor directory: its subdirectories that hold a Cargo.toml. */
function countCrates(dir: string): number {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  return entries.filter((e) => (e.isDirectory() || e.isSymbolicLink()) && statFollow(manifestIn(path.join(dir, e.name)))?.isFile()).length;
}

/** The vendored crate directory `dir` is (or lies in): the nearest one holding `.cargo-checksum.json`. */
export function vendoredCrateOf(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    if (statFollow(path.join(d, CHECKSUM_FILE))?.isFile()) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

/** Vendored crate directories grouped by the vendor directory that holds them. */
export function byVendorDir(crateDirs: readonly string[]): VendoredDir[] {
  const counts = new Map<string, number>();
  for (const d of crateDirs) counts.set(path.dirname(d), (counts.get(path.dirname(d)) ?? 0) + 1);
  return [...counts].map(([dir, crates]) => ({ dir, crates }));
}
