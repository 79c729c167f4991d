import { isDeepStrictEqual } from 'node:util';
import { getStaticTOMLValue } from 'toml-eslint-parser';
import { displayPath } from '../errors.js';
import { isToml10, parseToml, type Manifest, type TomlTable } from '../manifest/read.js';
import type { Change } from '../plan/types.js';

/**
 * Proves a rendered manifest says exactly what was planned: it re-parses, its value equals the original value
 * with the planned entries replaced or added and nothing else, and it is still TOML 1.0 if the input was.
 * A failure is a bug in this tool, reported before anything is written.
 */
export function validateRendered(manifest: Manifest, changes: readonly Change[], newText: string): void {
  const where = displayPath(manifest.path);
  let actual: unknown;
  try {
    actual = getStaticTOMLValue(parseToml(manifest.path, newText));
  } catch (e) {
    throw new Error(`the rewritten ${where} does not parse: ${(e as Error).message}`);
  }
  const expected = structuredClone(manifest.value);
  for (const c of changes) {
    switch (c.kind) {
      case 'rewrite':
        if (c.newKey !== undefined) {
          deletePath(expected, c.entry.path);
          setPath(expected, [...c.entry.path.slice(0, -1), c.newKey], c.after);
        } else setPath(expected, c.entry.path, c.after);
        break;
      case 'remove':
        deletePath(expected, c.entry.path);
        break;
      case 'add':
        setPath(expected, ['workspace', 'dependencies', c.key], c.after);
        break;
      case 'array':
      case 'string':
        setPath(expected, c.path, c.after);
        break;
    }
  }
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Error(`the rewritten ${where} does not have the planned value`);
  }
  if (manifest.toml10 && !isToml10(newText)) {
    throw new Error(`the rewritten ${where} is no longer TOML 1.0, which older cargo toolchains require`);
  }
}

function setPath(root: TomlTable, path: readonly string[], value: unknown): void {
  let t = root;
  for (const k of path.slice(0, -1)) {
    if (typeof t[k] !== 'object' || t[k] === null) t[k] = {};
    t = t[k] as TomlTable;
  }
  t[path[path.length - 1]!] = structuredClone(value);
}

function deletePath(root: TomlTable, path: readonly string[]): void {
  let t: unknown = root;
  for (const k of path.slice(0, -1)) t = (t as TomlTable | undefined)?.[k];
  if (typeof t === 'object' && t !== null) delete (t as TomlTable)[path[path.length - 1]!];
}
