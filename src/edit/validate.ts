import { isDeepStrictEqual } from 'node:util';
import { getStaticTOMLValue } from 'toml-eslint-parser';
import { displayPath } from '../errors.js';
import { NOT_TOML10, parseToml, toml10Value, type Manifest, type TomlTable } from '../manifest/read.js';
import type { Change } from '../plan/types.js';

/**
 * Proves a rendered manifest says exactly what was planned: it re-parses, its value equals the original value
 * with the planned entries replaced or added and nothing else, and it is still TOML 1.0 if the input was.
 * A failure is a bug in this tool, reported before anything is written.
 */
export function validateRendered(manifest: Manifest, changes: readonly Change[], newText: string): void {
  const where = displayPath(manifest.path);
  const expected = plannedValue(manifest, changes);
  if (manifest.toml10) {
    // One strict parse proves both that the output is still TOML 1.0 and, when its value is the planned one,
    // that it says what was planned (for a TOML 1.0 document the two parsers agree). Anything else is decided
    // by the full parser below, which also tells a broken document from one that only left TOML 1.0.
    const strict = toml10Value(newText);
    if (strict !== NOT_TOML10 && isDeepStrictEqual(plainValue(strict), expected)) return;
    fullCheck(manifest, newText, expected, where);
    if (strict === NOT_TOML10) throw new Error(`the rewritten ${where} is no longer TOML 1.0, which older cargo toolchains require`);
    return;
  }
  fullCheck(manifest, newText, expected, where);
}

/** Re-parses as cargo does (TOML 1.1) and compares the value with the plan. */
function fullCheck(manifest: Manifest, newText: string, expected: TomlTable, where: string): void {
  let actual: unknown;
  try {
    actual = getStaticTOMLValue(parseToml(manifest.path, newText));
  } catch (e) {
    throw new Error(`the rewritten ${where} does not parse: ${(e as Error).message}`);
  }
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Error(`the rewritten ${where} does not have the planned value`);
  }
}

/** The original value with the planned entries replaced or added, and nothing else. */
export function plannedValue(manifest: Manifest, changes: readonly Change[]): TomlTable {
  // The meaning check and the validation of the rendered text both ask, with the same changes in the same order.
  const known = planned.get(manifest);
  if (known && known.changes.length === changes.length && known.changes.every((c, i) => c === changes[i])) return known.value;
  const value = computePlannedValue(manifest, changes);
  planned.set(manifest, { changes, value });
  return value;
}

/** Planned values are shared and only read. */
const planned = new WeakMap<Manifest, { readonly changes: readonly Change[]; readonly value: TomlTable }>();

function computePlannedValue(manifest: Manifest, changes: readonly Change[]): TomlTable {
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
  return expected;
}

/**
 * j-toml's value in the shape toml-eslint-parser gives (plain objects and arrays), or undefined where the two
 * differ in kind (dates, integers beyond 2^53): the full parser then compares.
 */
function plainValue(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return typeof v === 'bigint' ? undefined : v;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      const p = plainValue(x);
      if (p === undefined) return undefined;
      out.push(p);
    }
    return out;
  }
  // Tables have j-toml's own (null-based) prototype; its date and time classes do not.
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== null && Object.getPrototypeOf(proto) !== null) return undefined;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const p = plainValue((v as Record<string, unknown>)[k]);
    if (p === undefined) return undefined;
    // `__proto__` as a key must become an own property, as it is in the expected value.
    Object.defineProperty(out, k, { value: p, enumerable: true, writable: true, configurable: true });
  }
  return out;
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
