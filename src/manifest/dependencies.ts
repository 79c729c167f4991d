import type { AST } from 'toml-eslint-parser';
import type { Manifest, TomlTable } from './read.js';

export type DepKind = 'normal' | 'dev' | 'build';

/** Which dependency table an entry sits in. */
export type DepTable =
  | {
      readonly scope: 'package';
      readonly kind: DepKind;
      /** The cfg or triple of a `[target.<cfg>.*]` table. */
      readonly target?: string;
      /** The table name as written (`dev-dependencies` or the old alias `dev_dependencies`). */
      readonly name: string;
    }
  | { readonly scope: 'workspace' };

/** One `key = value` inside an entry: `version = "26"` in `{ version = "26" }` or `wasmtime.version = "26"`. */
export interface EntryField {
  readonly name: string;
  readonly kv: AST.TOMLKeyValue;
}

interface EntryBase {
  readonly manifest: Manifest;
  readonly table: DepTable;
  /** The path of the entry in the document, e.g. `['target', 'cfg(unix)', 'dependencies', 'wasmtime']`. */
  readonly path: readonly string[];
  /** The dependency key; the crate is `package` when the key renames it. */
  readonly key: string;
  readonly package: string;
  /** The plain value: a requirement string or a table. */
  readonly value: string | TomlTable;
  readonly source: DepSource;
}

/** `wasmtime = "26.0.1"` */
export interface StringEntry extends EntryBase {
  readonly style: 'string';
  readonly kv: AST.TOMLKeyValue;
}
/** `wasmtime = { version = "26.0.1", features = ["async"] }` */
export interface InlineEntry extends EntryBase {
  readonly style: 'inline';
  readonly kv: AST.TOMLKeyValue;
  readonly inline: AST.TOMLInlineTable;
  readonly fields: readonly EntryField[];
}
/** `wasmtime.version = "26.0.1"` lines in a dependency table. */
export interface DottedEntry extends EntryBase {
  readonly style: 'dotted';
  readonly fields: readonly EntryField[];
  /** The key text every line starts with (`wasmtime.` as written, quoting included). */
  readonly keyPrefix: string;
}
/** `[dependencies.wasmtime]` followed by `version = "26.0.1"` lines. */
export interface SubtableEntry extends EntryBase {
  readonly style: 'subtable';
  readonly header: AST.TOMLTable;
  readonly fields: readonly EntryField[];
}

export type DependencyEntry = StringEntry | InlineEntry | DottedEntry | SubtableEntry;

/** Where an entry's crate comes from; only `registry` entries are lifted or aligned. */
export type DepSource = 'registry' | 'path' | 'git' | 'inherited';

const DEP_TABLES: Readonly<Record<string, DepKind>> = {
  dependencies: 'normal',
  'dev-dependencies': 'dev',
  dev_dependencies: 'dev',
  'build-dependencies': 'build',
  build_dependencies: 'build',
};
const DEP_TABLE_NAMES = Object.keys(DEP_TABLES);

/**
 * A package's dependency tables as plain values, `[target.<cfg>.*]` ones included, found without the syntax tree
 * (discovery and the family check read every member this way).
 */
export function packageDependencyTables(value: TomlTable): { readonly at: readonly string[]; readonly table: TomlTable }[] {
  const out: { at: string[]; table: TomlTable }[] = [];
  for (const kind of DEP_TABLE_NAMES) {
    const t = value[kind];
    if (isTable(t)) out.push({ at: [kind], table: t });
  }
  const targets = value['target'];
  if (isTable(targets)) {
    for (const [cfg, target] of Object.entries(targets)) {
      if (!isTable(target)) continue;
      for (const kind of DEP_TABLE_NAMES) {
        const t = target[kind];
        if (isTable(t)) out.push({ at: ['target', cfg, kind], table: t });
      }
    }
  }
  return out;
}

/** A TOML table as a plain value: not an array, not a date. */
export function isTable(v: unknown): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** The root's `[workspace.dependencies]` as a plain table (empty when it has none). */
export function workspaceDependencies(root: Manifest): TomlTable {
  const deps = lookup(root.value, ['workspace', 'dependencies']);
  return isTable(deps) ? deps : {};
}

/** The name of a key segment as TOML reads it (quotes resolved). */
export function keyName(k: AST.TOMLBare | AST.TOMLQuoted): string {
  return k.type === 'TOMLBare' ? k.name : k.value;
}

/** Where in a document path the dependency name sits, and which table it is in. */
function classify(p: readonly (string | number)[]): { table: DepTable; at: number } | undefined {
  const [a, b, c] = p;
  if (typeof a === 'string' && a in DEP_TABLES) return { table: { scope: 'package', kind: DEP_TABLES[a]!, name: a }, at: 1 };
  if (a === 'target' && typeof b === 'string' && typeof c === 'string' && c in DEP_TABLES) {
    return { table: { scope: 'package', kind: DEP_TABLES[c]!, target: b, name: c }, at: 3 };
  }
  if (a === 'workspace' && b === 'dependencies') return { table: { scope: 'workspace' }, at: 2 };
  return undefined;
}

/** Could an inline table at this path hold dependency entries (`target = { ... }`, `dependencies = { ... }`)? */
function mayHoldEntries(p: readonly string[]): boolean {
  const c = classify(p);
  if (c) return p.length <= c.at;
  return (p.length <= 2 && p[0] === 'target') || (p.length === 1 && p[0] === 'workspace');
}

interface Collected {
  table: DepTable;
  path: string[];
  header?: AST.TOMLTable;
  whole?: AST.TOMLKeyValue;
  fields: EntryField[];
  keyPrefix?: string;
}

/** Every dependency entry of a manifest, in source order: package tables, target tables, workspace table. */
export function dependencyEntries(manifest: Manifest): DependencyEntry[] {
  const found = new Map<string, Collected>();
  const order: Collected[] = [];
  const entryFor = (table: DepTable, path: string[]): Collected => {
    const id = JSON.stringify(path);
    let e = found.get(id);
    if (!e) {
      e = { table, path, fields: [] };
      found.set(id, e);
      order.push(e);
    }
    return e;
  };

  const visitKv = (tablePath: readonly string[], kv: AST.TOMLKeyValue, viaHeader: AST.TOMLTable | undefined): void => {
    const keys = kv.key.keys.map(keyName);
    const p = [...tablePath, ...keys];
    const c = classify(p);
    if (!c || p.length <= c.at) {
      if (kv.value.type === 'TOMLInlineTable' && mayHoldEntries(p)) {
        for (const inner of kv.value.body) visitKv(p, inner, undefined);
      }
      return;
    }
    const depPath = p.slice(0, c.at + 1);
    const rest = p.slice(c.at + 1);
    const e = entryFor(c.table, depPath);
    if (rest.length === 0) {
      e.whole = kv;
    } else if (viaHeader && tablePath.length === depPath.length) {
      e.header = viaHeader;
      e.fields.push({ name: rest.join('.'), kv });
    } else {
      // Dotted keys: `wasmtime.version = "1"`; the prefix is the key text up to the field name.
      const fieldKey = kv.key.keys[kv.key.keys.length - rest.length]!;
      e.keyPrefix ??= manifest.text.slice(kv.key.range[0], fieldKey.range[0]);
      e.fields.push({ name: rest.join('.'), kv });
    }
  };

  for (const top of manifest.ast.body) {
    for (const node of top.body) {
      if (node.type === 'TOMLKeyValue') {
        visitKv([], node, undefined);
        continue;
      }
      if (node.kind === 'array' || node.resolvedKey.some((k) => typeof k !== 'string')) continue;
      const tablePath = node.resolvedKey as string[];
      const c = classify(tablePath);
      if (c && tablePath.length === c.at + 1) entryFor(c.table, tablePath).header = node;
      for (const kv of node.body) visitKv(tablePath, kv, node);
    }
  }

  const entries: DependencyEntry[] = [];
  for (const e of order) {
    const built = buildEntry(manifest, e);
    if (built) entries.push(built);
  }
  return entries;
}

function buildEntry(manifest: Manifest, e: Collected): DependencyEntry | undefined {
  const value = lookup(manifest.value, e.path);
  if (typeof value !== 'string' && (typeof value !== 'object' || value === null || Array.isArray(value))) return undefined;
  const key = e.path[e.path.length - 1]!;
  const table = value as TomlTable | string;
  const pkg = typeof table === 'object' && typeof table.package === 'string' ? table.package : key;
  const source = sourceOf(table);
  // Each style is one object literal: spreading a shared base into each was half the cost of reading the entries.
  if (e.whole) {
    const kv = e.whole;
    if (kv.value.type === 'TOMLInlineTable') {
      const fields = kv.value.body.map((f) => ({ name: f.key.keys.map(keyName).join('.'), kv: f }));
      return { manifest, table: e.table, path: e.path, key, package: pkg, value: table, source, style: 'inline', kv, inline: kv.value, fields };
    }
    return typeof value === 'string' ? { manifest, table: e.table, path: e.path, key, package: pkg, value: table, source, style: 'string', kv } : undefined;
  }
  if (e.header) return { manifest, table: e.table, path: e.path, key, package: pkg, value: table, source, style: 'subtable', header: e.header, fields: e.fields };
  return { manifest, table: e.table, path: e.path, key, package: pkg, value: table, source, style: 'dotted', fields: e.fields, keyPrefix: e.keyPrefix ?? `${key}.` };
}

function sourceOf(value: string | TomlTable): DepSource {
  if (typeof value === 'string') return 'registry';
  if (value.workspace === true) return 'inherited';
  if (value.git !== undefined) return 'git';
  if (value.path !== undefined) return 'path';
  return 'registry';
}

export function lookup(root: TomlTable, path: readonly string[]): unknown {
  let v: unknown = root;
  for (const k of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as TomlTable)[k];
  }
  return v;
}

/** The entry's field of that name (`default_features` and `default-features` are one field to cargo). */
export function field(entry: DependencyEntry, name: string): EntryField | undefined {
  if (entry.style === 'string') return undefined;
  const alias = name.includes('-') ? name.replace(/-/g, '_') : name.replace(/_/g, '-');
  return entry.fields.find((f) => f.name === name) ?? entry.fields.find((f) => f.name === alias);
}

/** The table as a person would name it: `dependencies`, `target.'cfg(unix)'.dev-dependencies`, `workspace.dependencies`. */
export function tableLabel(table: DepTable): string {
  if (table.scope === 'workspace') return 'workspace.dependencies';
  return table.target === undefined ? table.name : `target.${quoteKeyIfNeeded(table.target)}.${table.name}`;
}

function quoteKeyIfNeeded(key: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(key)) return key;
  return key.includes("'") ? JSON.stringify(key) : `'${key}'`;
}
