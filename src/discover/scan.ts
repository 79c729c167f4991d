import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors.js';
import { ioMessage } from '../manifest/read.js';
import { statFollow } from './paths.js';
import { byVendorDir, CHECKSUM_FILE, DirectorySources, vendoredCrateOf, type ConfigWarning, type VendoredDir } from './vendored.js';

// Build output, VCS data and JS dependencies hold stale or vendored manifests that are not the user's.
const SKIPPED_DIRS = new Set(['target', '.git', 'node_modules']);

/** What one user path stands for. */
export interface Scan {
  /** Every Cargo.toml to consider. */
  readonly files: readonly string[];
  /** Vendored directories skipped as a whole. */
  readonly vendored: readonly VendoredDir[];
  /** Cargo configs that could not be read. */
  readonly warnings: readonly ConfigWarning[];
}

/**
 * Every Cargo.toml a user path stands for: the file itself, or all below a directory, or when there is none below
 * it the nearest one above it (as cargo finds a manifest from inside a package); neither is an error. Vendored crates are skipped
 * as a whole: a directory holding `.cargo-checksum.json` (what `cargo vendor` writes), and a directory that a
 * cargo config in the path, above it or below it names as a `directory` source.
 */
export function scanPath(input: string): Scan {
  const abs = path.resolve(input);
  const st = statFollow(abs);
  if (!st) throw new UserError('no such file or directory', { file: abs });
  if (!st.isDirectory() && path.basename(abs) !== 'Cargo.toml') {
    throw new UserError('expected a directory or a Cargo.toml file', { file: abs });
  }
  const start = st.isDirectory() ? abs : path.dirname(abs);
  const sources = new DirectorySources();
  sources.readAncestors(start);
  // A path inside vendored code: nothing of it is the user's.
  const source = sources.containing(abs);
  if (source !== undefined) return { files: [], vendored: sources.skippedUnder(source), warnings: sources.warnings };
  const crate = vendoredCrateOf(start);
  if (crate !== undefined) return { files: [], vendored: byVendorDir([crate]), warnings: sources.warnings };
  if (!st.isDirectory()) return { files: [abs], vendored: [], warnings: sources.warnings };

  const { files, vendoredCrates } = scanDir(abs, sources);
  // A config met during the walk may name a directory walked before it.
  const kept = files.filter((f) => sources.containing(f) === undefined);
  const vendored = [...byVendorDir(vendoredCrates.filter((d) => sources.containing(d) === undefined)), ...sources.skippedUnder(abs)];
  if (kept.length === 0 && vendored.length === 0) {
    // Nothing below: a directory inside a package (`crates/a/src`) stands for that package, as cargo finds it.
    const above = manifestAbove(abs);
    if (above === undefined) throw new UserError('no Cargo.toml found in it or any parent directory', { file: abs });
    return { files: [above], vendored: [], warnings: sources.warnings };
  }
  return { files: kept, vendored, warnings: sources.warnings };
}

/** Cargo's `find_root_manifest_for_wd` from the parent of `dir`: the nearest Cargo.toml above it. */
function manifestAbove(dir: string): string | undefined {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const candidate = path.join(d, 'Cargo.toml');
    if (statFollow(candidate)?.isFile()) return candidate;
    if (path.dirname(d) === d) return undefined;
  }
}

function scanDir(root: string, sources: DirectorySources): { files: string[]; vendoredCrates: string[] } {
  const files: string[] = [];
  const vendoredCrates: string[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw new UserError(`cannot read directory: ${ioMessage(e)}`, { file: dir });
    }
    // A crate `cargo vendor` wrote: it and everything below it are skipped.
    if (entries.some((e) => e.name === CHECKSUM_FILE && !e.isDirectory())) {
      vendoredCrates.push(dir);
      continue;
    }
    if (dir !== root && entries.some((e) => e.name === '.cargo' && e.isDirectory())) sources.readConfigs(dir);
    for (const e of entries) {
      const full = path.join(dir, e.name);
      // Dirent types do not follow symlinks, so symlinked directories are never entered.
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name) && !sources.has(full)) stack.push(full);
      } else if (e.name === 'Cargo.toml' && (e.isFile() || statFollow(full)?.isFile())) {
        files.push(full);
      }
    }
  }
  return { files, vendoredCrates };
}
