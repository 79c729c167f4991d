import { isDeepStrictEqual } from 'node:util';
import type { AST } from 'toml-eslint-parser';
import { dependencyEntries, type DependencyEntry, type EntryField } from '../manifest/dependencies.js';
import type { Manifest, TomlTable } from '../manifest/read.js';
import type { RemoveEntry, RewriteEntry } from '../plan/types.js';
import { insertLinesAfter, mergeRemovals, ownLines, removeRuns } from './lines.js';
import { indentAt, lineStart, type Splice } from './splice.js';
import { formatKey, formatLike, formatValue, type WritableValue } from './toml-text.js';
import { arrayElementSplices } from './values.js';

export function rewriteSplices(change: RewriteEntry): Splice[] {
  const { entry, after } = change;
  const text = entry.manifest.text;
  const renamed = change.newKey === undefined ? [] : keySegments(entry).map((k) => ({ start: k.range[0], end: k.range[1], text: formatKey(change.newKey!) }));
  if ((entry.style === 'string' || entry.style === 'inline') && isDeepStrictEqual(after, { workspace: true }) && prefersDotted(entry.manifest)) {
    // `x.workspace = true` where the file writes its inheriting entries that way (cargo reads both alike).
    const key = entry.kv.key;
    const keyText = change.newKey === undefined ? text.slice(key.range[0], key.range[1]) : [...key.keys.slice(0, -1).map((k) => text.slice(k.range[0], k.range[1])), formatKey(change.newKey)].join('.');
    return [{ start: entry.kv.range[0], end: entry.kv.range[1], text: `${keyText}.workspace = true` }];
  }
  if (entry.style === 'string') {
    const node = entry.kv.value;
    return [...renamed, { start: node.range[0], end: node.range[1], text: typeof after === 'string' ? formatLike(node, after) : formatValue(after as WritableValue) }];
  }
  if (typeof after === 'string') throw new Error(`cannot turn the table entry \`${entry.key}\` into a string`);
  return [...renamed, ...reconcileFields(entry, after, text)];
}

const dottedFiles = new WeakMap<Manifest, boolean>();

/**
 * Whether a manifest mostly writes inheriting entries as `x.workspace = true` rather than
 * `x = { workspace = true, ... }`: new inheriting entries follow its dominant style (inline on a tie).
 */
function prefersDotted(m: Manifest): boolean {
  let known = dottedFiles.get(m);
  if (known === undefined) {
    const inheriting = dependencyEntries(m).filter((e) => e.source === 'inherited');
    const dotted = inheriting.filter((e) => e.style === 'dotted').length;
    known = dotted > inheriting.length - dotted;
    dottedFiles.set(m, known);
  }
  return known;
}

/** The key segments that name the dependency: one per line for dotted keys, the header's last one for a sub-table. */
function keySegments(entry: DependencyEntry): (AST.TOMLBare | AST.TOMLQuoted)[] {
  switch (entry.style) {
    case 'string':
    case 'inline':
      return [entry.kv.key.keys.at(-1)!];
    case 'subtable':
      return [entry.header.key.keys.at(-1)!];
    case 'dotted':
      return entry.fields.map((f) => f.kv.key.keys[f.kv.key.keys.length - 1 - f.name.split('.').length]!);
  }
}

/** Removes a whole entry: its line(s), or its sub-table up to the table's last key. */
export function removeEntrySplices(change: RemoveEntry): Splice[] {
  const { entry } = change;
  const text = entry.manifest.text;
  switch (entry.style) {
    case 'string':
    case 'inline':
      return [removeLines(text, entry.kv.range[0], entry.kv.range[1])];
    case 'dotted':
      return mergeRemovals(entry.fields.map((f) => removeLineField(text, f)));
    case 'subtable': {
      const last = entry.header.body.at(-1);
      return [removeLines(text, entry.header.range[0], last ? last.range[1] : entry.header.range[1])];
    }
  }
}

function removeLines(text: string, start: number, end: number): Splice {
  return { ...(ownLines(text, start, end) ?? { start, end }), text: '' };
}

/**
 * Turns an entry's fields into `after` with the fewest splices: changed values are replaced where they stand,
 * `version` gives its place to `workspace = true`, other new fields follow the version (or the last field).
 */
function reconcileFields(entry: Exclude<DependencyEntry, { style: 'string' }>, after: TomlTable, text: string): Splice[] {
  const before = entry.value as TomlTable;
  const eol = entry.manifest.eol;
  const splices: Splice[] = [];
  const fields = entry.fields;
  const keep = new Set<EntryField>();
  let added = Object.keys(after).filter((k) => !(k in before));
  const versionField = fields.find((f) => f.name === 'version');
  const prefix = entry.style === 'dotted' ? entry.keyPrefix : '';

  for (const f of fields) {
    if (f.name in after) {
      keep.add(f);
      if (!isDeepStrictEqual(before[f.name], after[f.name])) {
        // A features array keeps its comments and line breaks: only the items that change are spliced.
        const items = f.kv.value.type === 'TOMLArray' && isStringList(after[f.name]) ? arrayElementSplices(text, f.kv.value, after[f.name] as string[]) : undefined;
        splices.push(...(items ?? [{ start: f.kv.value.range[0], end: f.kv.value.range[1], text: formatLike(f.kv.value, after[f.name] as WritableValue) }]));
      }
    }
  }
  // `version = "26"` becomes `workspace = true` in the same place.
  if (versionField && !('version' in after) && added.includes('workspace')) {
    keep.add(versionField);
    splices.push({ start: versionField.kv.range[0], end: versionField.kv.range[1], text: `${prefix}workspace = ${formatValue(after.workspace as WritableValue)}` });
    added = added.filter((k) => k !== 'workspace');
  }
  const removed = fields.filter((f) => !keep.has(f));
  splices.push(...(entry.style === 'inline' ? removeInlineFields(text, entry.inline, fields, keep) : mergeRemovals(removed.map((f) => removeLineField(text, f)))));

  if (added.length === 0) return splices;
  const newFields = added.map((k) => `${formatKey(k)} = ${formatValue(after[k] as WritableValue)}`);
  const kept = fields.filter((f) => keep.has(f));
  if (kept.length === 0) {
    // Nothing of the old entry survives: write it anew where its first field was.
    if (entry.style === 'inline') return [{ start: entry.inline.range[0], end: entry.inline.range[1], text: formatValue(after as WritableValue) }];
    if (fields.length === 0) {
      if (entry.style !== 'subtable') throw new Error(`entry \`${entry.key}\` has no fields`);
      splices.push(insertLinesAfter(text, entry.header.range[1], newFields, eol));
      return splices;
    }
    splices.push(insertFields(entry, text, fields[0]!, newFields, 'before', eol, prefix));
    return splices;
  }
  const anchor = versionField && keep.has(versionField) ? versionField : kept.at(-1)!;
  if (added[0] === 'workspace') {
    // No version to take the place of: `workspace = true` goes first, the rest after the anchor.
    splices.push(insertFields(entry, text, fields[0]!, newFields.slice(0, 1), 'before', eol, prefix));
    if (newFields.length > 1) splices.push(insertFields(entry, text, anchor, newFields.slice(1), 'after', eol, prefix));
    return splices;
  }
  splices.push(insertFields(entry, text, anchor, newFields, 'after', eol, prefix));
  return splices;
}

/** New fields beside an existing one: `, k = v` in an inline table, or lines of their own. */
function insertFields(
  entry: Exclude<DependencyEntry, { style: 'string' }>,
  text: string,
  anchor: EntryField,
  newFields: readonly string[],
  where: 'before' | 'after',
  eol: string,
  prefix: string,
): Splice {
  if (entry.style === 'inline') {
    return where === 'after'
      ? { start: anchor.kv.range[1], end: anchor.kv.range[1], text: newFields.map((f) => `, ${f}`).join('') }
      : { start: anchor.kv.range[0], end: anchor.kv.range[0], text: newFields.map((f) => `${f}, `).join('') };
  }
  const indent = indentAt(text, anchor.kv.range[0]);
  const lines = newFields.map((f) => `${indent}${prefix}${f}`);
  if (where === 'before') {
    const at = lineStart(text, anchor.kv.range[0]);
    return { start: at, end: at, text: lines.map((l) => l + eol).join('') };
  }
  return insertLinesAfter(text, anchor.kv.range[1], lines, eol);
}

/** Removes the fields not kept from an inline table, with the commas that separated them. */
function removeInlineFields(text: string, inline: AST.TOMLInlineTable, fields: readonly EntryField[], keep: ReadonlySet<EntryField>): Splice[] {
  return removeRuns(text, inline.body, (kv) => fields.some((f) => f.kv === kv && keep.has(f)));
}

/** Removes a `key = value` line (with its comment); a key sharing its line with others loses only itself. */
function removeLineField(text: string, f: EntryField): Splice {
  return removeLines(text, f.kv.range[0], f.kv.range[1]);
}

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}
