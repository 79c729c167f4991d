/**
 * Cargo.lock, read the way cargo reads it (cargo's `resolver/encode.rs`): formats 1 to 4, abbreviated
 * dependency strings resolved exactly as cargo resolves them, and strings cargo cannot resolve dropped as cargo
 * drops them (they come from bad merges). Nothing here needs cargo, the registry or the network.
 */
import * as fs from 'node:fs';
import { getStaticTOMLValue, type AST } from 'toml-eslint-parser';
import { UserError } from '../errors.js';
import { ioMessage, parseToml, type TomlTable } from '../manifest/read.js';
import type { LockSourceKind } from './types.js';

export interface LockPackage {
  readonly index: number;
  readonly name: string;
  readonly version: string;
  /** The `source` string as written; null for a path package. */
  readonly source: string | null;
  readonly kind: LockSourceKind;
  /** Where its `[[package]]` table starts (1-based), when it is written as one. */
  readonly line: number | null;
  readonly column: number | null;
  /** Indices of the packages it depends on, in lock order. */
  readonly deps: readonly number[];
}

export interface UnresolvedDependency {
  readonly package: string;
  readonly dependency: string;
  readonly line: number | null;
  readonly column: number | null;
}

export interface LockFile {
  readonly file: string;
  readonly version: 1 | 2 | 3 | 4;
  readonly packages: readonly LockPackage[];
  /** Dependency strings that name no package (or several); cargo ignores them silently. */
  readonly unresolved: readonly UnresolvedDependency[];
}

/** The lock at `file`, or undefined when there is none. */
export function readLock(file: string): LockFile | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`failed to read lock file: ${ioMessage(e)}`, { file });
  }
  return parseLock(file, text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}

interface RawPackage {
  name: string;
  version: string;
  source: string | null;
  checksum: boolean;
  deps: { text: string; line: number | null; column: number | null }[];
  line: number | null;
  column: number | null;
}

/** Dependency strings are `name`, `name version` or `name version (source)`. */
interface EncodedId {
  readonly name: string;
  readonly version?: string;
  readonly source?: string;
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export function parseLock(file: string, text: string): LockFile {
  const ast = parseToml(file, text);
  const value = getStaticTOMLValue(ast) as TomlTable;
  const at = locator(file, ast);
  const declared = lockVersionKey(value, at);
  const raws = rawPackages(value, at);

  // name -> version -> source key -> index; the first of duplicates wins, as in cargo's map.
  const byName = new Map<string, Map<string, Map<string, number>>>();
  raws.forEach((p, i) => {
    const versions = byName.get(p.name) ?? new Map<string, Map<string, number>>();
    byName.set(p.name, versions);
    const sources = versions.get(p.version) ?? new Map<string, number>();
    versions.set(p.version, sources);
    const key = sourceKey(p.source);
    if (!sources.has(key)) sources.set(key, i);
  });

  let abbreviated = false;
  const unresolved: UnresolvedDependency[] = [];
  // cargo's `lookup_id`: a missing version means "the only version", a missing source "the path package, or the
  // only one"; both are the v2 abbreviations (a v1 lock writes every source except a path package's).
  const lookup = (id: EncodedId): number | undefined => {
    const versions = byName.get(id.name);
    if (!versions) return undefined;
    let sources: Map<string, number> | undefined;
    if (id.version !== undefined) sources = versions.get(id.version);
    else {
      abbreviated = true;
      sources = versions.size === 1 ? [...versions.values()][0] : undefined;
    }
    if (!sources) return undefined;
    if (id.source !== undefined) return sources.get(sourceKey(id.source));
    const paths = [...sources.values()].filter((i) => raws[i]!.source === null);
    if (paths.length > 0) return paths.length === 1 ? paths[0] : undefined;
    if (sources.size === 1) {
      abbreviated = true;
      return [...sources.values()][0];
    }
    return undefined;
  };

  const packages: LockPackage[] = raws.map((p, index) => {
    const deps: number[] = [];
    for (const d of p.deps) {
      const id = decodeId(d.text);
      if (id === undefined) throw new UserError(`invalid serialized PackageId for key \`package.dependencies\`: \`${d.text}\``, { file, ...(d.line !== null ? { line: d.line, column: d.column! } : {}) });
      const target = lookup(id);
      if (target === undefined) unresolved.push({ package: `${p.name} ${p.version}`, dependency: d.text, line: d.line, column: d.column });
      else deps.push(target);
    }
    return { index, name: p.name, version: p.version, source: p.source, kind: kindOf(p.source), line: p.line, column: p.column, deps };
  });

  return { file, version: declared ?? unversioned(text, raws, abbreviated), packages, unresolved };
}

/**
 * Formats 1 and 2 have no `version` key. Cargo starts from 1 and moves to 2 on an inline checksum or an
 * abbreviated dependency string; a lock of exactly one package that ends in a single newline is 2 as well
 * (cargo's special case for `cargo new` projects, which have nothing else to tell the formats apart).
 */
function unversioned(text: string, raws: readonly RawPackage[], abbreviated: boolean): 1 | 2 {
  if (abbreviated || raws.some((p) => p.checksum)) return 2;
  if (raws.length === 1 && text.endsWith('\n') && !text.endsWith('\n\n')) return 2;
  return 1;
}

function lockVersionKey(value: TomlTable, at: Locator): 3 | 4 | undefined {
  const v = value.version;
  if (v === undefined) return undefined;
  const loc = at.key(['version']);
  if (typeof v !== 'number' && typeof v !== 'bigint') throw new UserError(`invalid type for \`version\`: expected an integer, found ${describe(v)}`, loc);
  if (v === 3 || v === 4 || v === 3n || v === 4n) return Number(v) as 3 | 4;
  throw new UserError(`lock file version \`${String(v)}\` was found, but this version of Cargo does not understand this lock file, perhaps Cargo needs to be updated?`, loc);
}

function rawPackages(value: TomlTable, at: Locator): RawPackage[] {
  const list: { table: unknown; path: (string | number)[] }[] = [];
  // Very old locks keep the root package in `[root]`; cargo still reads it as one more package.
  if (value.root !== undefined) list.push({ table: value.root, path: ['root'] });
  if (value.package !== undefined) {
    if (!Array.isArray(value.package)) throw new UserError(`invalid type for \`package\`: expected an array of tables, found ${describe(value.package)}`, at.key(['package']));
    value.package.forEach((t, i) => list.push({ table: t, path: ['package', i] }));
  }
  return list.map(({ table, path }) => {
    const where = at.table(path);
    if (typeof table !== 'object' || table === null || Array.isArray(table)) throw new UserError(`invalid type for a package: expected a table, found ${describe(table)}`, where);
    const t = table as TomlTable;
    const str = (k: string, required: boolean): string | null => {
      const v = t[k];
      if (v === undefined && !required) return null;
      if (v === undefined) throw new UserError(`missing field \`${k}\` in a package`, where);
      if (typeof v !== 'string') throw new UserError(`invalid type for \`${k}\`: expected a string, found ${describe(v)}`, at.key([...path, k]));
      return v;
    };
    const name = str('name', true)!;
    const version = str('version', true)!;
    if (!SEMVER.test(version)) throw new UserError(`invalid version \`${version}\` of package \`${name}\`: not a semantic version`, at.key([...path, 'version']));
    const source = str('source', false);
    const checksum = str('checksum', false) !== null;
    const depsValue = t.dependencies ?? [];
    if (!Array.isArray(depsValue) || depsValue.some((d) => typeof d !== 'string')) {
      throw new UserError(`invalid type for \`dependencies\` of package \`${name}\`: expected an array of strings`, at.key([...path, 'dependencies']));
    }
    const elements = at.elements([...path, 'dependencies']);
    const deps = (depsValue as string[]).map((text, j) => {
      const el = elements?.[j];
      return { text, line: el?.line ?? null, column: el?.column ?? null };
    });
    return { name, version, source, checksum, deps, line: where.line ?? null, column: where.column ?? null };
  });
}

/** cargo's `EncodablePackageId::from_str`: up to three space-separated parts, the third in parentheses. */
function decodeId(text: string): EncodedId | undefined {
  const parts = text.split(' ');
  const [name, version] = parts;
  const rest = parts.slice(2).join(' ');
  if (parts.length <= 2) return { name: name!, ...(version !== undefined ? { version } : {}) };
  if (!rest.startsWith('(') || !rest.endsWith(')')) return undefined;
  return { name: name!, version: version!, source: rest.slice(1, -1) };
}

/**
 * Cargo compares sources by kind and canonical URL, never by the commit after `#` (the "precise" part), and
 * the canonical URL drops a trailing `.git`.
 */
function sourceKey(source: string | null): string {
  if (source === null) return '';
  const noPrecise = source.replace(/#.*$/, '');
  return noPrecise.replace(/\.git(?=$|\?)/, '');
}

function kindOf(source: string | null): LockSourceKind {
  if (source === null || source.startsWith('path+')) return 'path';
  return source.startsWith('git+') ? 'git' : 'registry';
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object' && v !== null) return 'a table';
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  return String(v);
}

interface Position {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

interface Locator {
  /** The value of the `key = value` at a document path (else its table, else just the file). */
  key(path: readonly (string | number)[]): Position;
  /** A table's header (`[[package]]`). */
  table(path: readonly (string | number)[]): Position;
  /** Positions of an array's elements, when the array is written at that path. */
  elements(path: readonly (string | number)[]): { line: number; column: number }[] | undefined;
}

/** Source positions for error messages; built once, looked up by document path. */
function locator(file: string, ast: AST.TOMLProgram): Locator {
  const tables = new Map<string, AST.TOMLTable>();
  const kvs = new Map<string, AST.TOMLKeyValue>();
  const id = (p: readonly (string | number)[]): string => JSON.stringify(p);
  for (const top of ast.body) {
    for (const node of top.body) {
      if (node.type === 'TOMLKeyValue') {
        kvs.set(id(node.key.keys.map(keyText)), node);
        continue;
      }
      tables.set(id(node.resolvedKey), node);
      for (const kv of node.body) kvs.set(id([...node.resolvedKey, ...kv.key.keys.map(keyText)]), kv);
    }
  }
  const pos = (n: { loc: AST.SourceLocation } | undefined): Position => (n ? { file, line: n.loc.start.line, column: n.loc.start.column + 1 } : { file });
  return {
    key: (p) => pos(kvs.get(id(p))?.value ?? tables.get(id(p.slice(0, -1)))),
    table: (p) => pos(tables.get(id(p))),
    elements: (p) => {
      const kv = kvs.get(id(p));
      if (kv?.value.type !== 'TOMLArray') return undefined;
      return kv.value.elements.map((e) => ({ line: e.loc.start.line, column: e.loc.start.column + 1 }));
    },
  };
}

function keyText(k: AST.TOMLBare | AST.TOMLQuoted): string {
  return k.type === 'TOMLBare' ? k.name : k.value;
}
