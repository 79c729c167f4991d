import { isDeepStrictEqual } from 'node:util';
import type { AST } from 'toml-eslint-parser';
import { keyName, type DependencyEntry, type EntryField } from '../manifest/dependencies.js';
import type { Manifest, TomlTable } from '../manifest/read.js';
import { familyCrate } from '../family/crates.js';
import type { AddWorkspaceEntry, Change, EntryValue, RewriteEntry } from '../plan/types.js';
import { applySplices, indentAt, lineStart, nextLineStart, type Splice } from './splice.js';
import { formatKey, formatString, formatValue, type WritableValue } from './toml-text.js';

/**
 * Renders one manifest's planned changes as splices of its original text: nothing outside the edited entries
 * moves, so comments, blank lines, key order, quoting, alignment and line endings stay as they were.
 * Returns the new text without the BOM (the writer puts it back).
 */
export function renderManifest(manifest: Manifest, changes: readonly Change[]): string {
  const splices: Splice[] = [];
  const adds: AddWorkspaceEntry[] = [];
  for (const c of changes) {
    if (c.kind === 'rewrite') splices.push(...rewriteSplices(c));
    else adds.push(c);
  }
  if (adds.length > 0) splices.push(...addSplices(manifest, adds));
  return applySplices(manifest.text, splices);
}

function rewriteSplices(change: RewriteEntry): Splice[] {
  const { entry, after } = change;
  const text = entry.manifest.text;
  if (entry.style === 'string') {
    const node = entry.kv.value;
    const style = node.type === 'TOMLValue' && node.kind === 'string' && node.style === 'literal' && !node.multiline ? 'literal' : 'basic';
    const written = typeof after === 'string' ? formatString(after, style) : formatValue(after as WritableValue);
    return [{ start: node.range[0], end: node.range[1], text: written }];
  }
  if (typeof after === 'string') throw new Error(`cannot turn the table entry \`${entry.key}\` into a string`);
  return reconcileFields(entry, after, text);
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
        splices.push({ start: f.kv.value.range[0], end: f.kv.value.range[1], text: formatLike(f.kv.value, after[f.name] as WritableValue) });
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

/** Inserts whole lines after the line holding `offset`, keeping a missing final newline missing. */
function insertLinesAfter(text: string, offset: number, lines: readonly string[], eol: string): Splice {
  const at = nextLineStart(text, offset);
  const body = lines.join(eol);
  if (at === text.length && !text.endsWith('\n')) return { start: at, end: at, text: eol + body };
  return { start: at, end: at, text: body + eol };
}

/** Removes runs of fields from an inline table together with the commas that separated them. */
function removeInlineFields(text: string, inline: AST.TOMLInlineTable, fields: readonly EntryField[], keep: ReadonlySet<EntryField>): Splice[] {
  const nodes = inline.body;
  const isKept = (kv: AST.TOMLKeyValue): boolean => fields.some((f) => f.kv === kv && keep.has(f));
  const splices: Splice[] = [];
  for (let i = 0; i < nodes.length; ) {
    if (isKept(nodes[i]!)) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < nodes.length && !isKept(nodes[j + 1]!)) j++;
    const next = nodes[j + 1];
    const prev = nodes[i - 1];
    const lines = ownLines(text, nodes[i]!.range[0], nodes[j]!.range[1]);
    // In a multi-line inline table (TOML 1.1) the fields own their lines, comments included.
    if (lines) splices.push({ ...lines, text: '' });
    else if (next) splices.push({ start: nodes[i]!.range[0], end: next.range[0], text: '' });
    else if (prev) splices.push({ start: prev.range[1], end: nodes[j]!.range[1], text: '' });
    else splices.push({ start: nodes[i]!.range[0], end: nodes[j]!.range[1], text: '' });
    i = j + 1;
  }
  return splices;
}

/** Removes a `key = value` line (with its comment); a key sharing its line with others loses only itself. */
function removeLineField(text: string, f: EntryField): Splice {
  return { ...(ownLines(text, f.kv.range[0], f.kv.range[1]) ?? { start: f.kv.range[0], end: f.kv.range[1] }), text: '' };
}

/** Removals of neighbouring lines can touch (the last line takes the line break before it): join them. */
function mergeRemovals(removals: readonly Splice[]): Splice[] {
  const out: Splice[] = [];
  for (const r of [...removals].sort((a, b) => a.start - b.start)) {
    const last = out.at(-1);
    if (last && r.start <= last.end) out[out.length - 1] = { start: last.start, end: Math.max(last.end, r.end), text: '' };
    else out.push(r);
  }
  return out;
}

/**
 * The whole lines from `start` to `end` when nothing else stands on them (but blanks, a comma and a comment).
 * On the last line of a file without a final newline, the line break before it goes instead, so the file
 * still ends without one.
 */
function ownLines(text: string, start: number, end: number): { start: number; end: number } | undefined {
  const from = lineStart(text, start);
  const to = nextLineStart(text, end);
  if (text.slice(from, start).trim() !== '' || !/^[ \t]*,?[ \t]*(#.*)?\r?\n?$/.test(text.slice(end, to))) return undefined;
  if (to === text.length && !text.endsWith('\n') && from > 0) {
    return { start: from - (text[from - 2] === '\r' ? 2 : 1), end: to };
  }
  return { start: from, end: to };
}

/** A value in the quoting style of the value it replaces. */
function formatLike(node: AST.TOMLContentNode, v: WritableValue): string {
  if (typeof v === 'string' && node.type === 'TOMLValue' && node.kind === 'string' && node.style === 'literal' && !node.multiline) {
    return formatString(v, 'literal');
  }
  return formatValue(v);
}

/** New `[workspace.dependencies]` entries: sorted position in a sorted table, else after the family, else created. */
function addSplices(manifest: Manifest, adds: readonly AddWorkspaceEntry[]): Splice[] {
  const text = manifest.text;
  const eol = manifest.eol;
  const tables = manifest.ast.body[0]!.body.filter((n): n is AST.TOMLTable => n.type === 'TOMLTable');
  const sorted = [...adds].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const table = tables.find((t) => t.resolvedKey.length === 2 && t.resolvedKey[0] === 'workspace' && t.resolvedKey[1] === 'dependencies');
  if (!table) return [createTable(text, tables, sorted, eol)];
  const kvs = table.body;
  if (kvs.length === 0) return [insertLinesAfter(text, table.range[1], sorted.map((a) => entryLine(a.key, a.after)), eol)];

  const keyOf = (kv: AST.TOMLKeyValue): string => keyName(kv.key.keys[0]!);
  const align = alignmentColumn(text, kvs);
  const line = (a: AddWorkspaceEntry, like: AST.TOMLKeyValue): string => indentAt(text, like.range[0]) + entryLine(a.key, a.after, align);
  const isSorted = kvs.every((kv, i) => i === 0 || keyOf(kvs[i - 1]!) <= keyOf(kv));
  if (!isSorted) {
    const family = kvs.filter((kv) => familyCrate(packageOfKv(manifest, keyOf(kv))) !== undefined);
    const anchor = family.at(-1) ?? kvs.at(-1)!;
    const at = anchor === kvs.at(-1) ? belowTrailingComments(text, anchor.range[1]) : anchor.range[1];
    return [insertLinesAfter(text, at, sorted.map((a) => line(a, anchor)), eol)];
  }
  // Sorted: each new key goes after the last smaller key, or above the first entry (and its comment lines).
  const groups = new Map<AST.TOMLKeyValue | undefined, AddWorkspaceEntry[]>();
  for (const a of sorted) {
    const before = kvs.filter((kv) => keyOf(kv) < a.key).at(-1);
    groups.set(before, [...(groups.get(before) ?? []), a]);
  }
  const splices: Splice[] = [];
  for (const [before, group] of groups) {
    if (before) splices.push(insertLinesAfter(text, before.range[1], group.map((a) => line(a, before)), eol));
    else {
      const first = kvs[0]!;
      const at = aboveComments(text, lineStart(text, first.range[0]), table.key.range[1]);
      splices.push({ start: at, end: at, text: group.map((a) => line(a, first) + eol).join('') });
    }
  }
  return splices;
}

/** The `[workspace.dependencies]` table, placed right after the `[workspace]` table group. */
function createTable(text: string, tables: readonly AST.TOMLTable[], adds: readonly AddWorkspaceEntry[], eol: string): Splice {
  const wsIndex = tables.findIndex((t) => t.resolvedKey.length === 1 && t.resolvedKey[0] === 'workspace');
  if (wsIndex < 0) throw new Error('no [workspace] table to place [workspace.dependencies] after');
  let last = wsIndex;
  while (last + 1 < tables.length && tables[last + 1]!.resolvedKey[0] === 'workspace') last++;
  // Keys are indented as the [workspace] table's own keys are (some manifests indent every key).
  const indent = tables[wsIndex]!.body.length > 0 ? indentAt(text, tables[wsIndex]!.body[0]!.range[0]) : '';
  const lines = ['', '[workspace.dependencies]', ...adds.map((a) => indent + entryLine(a.key, a.after))];
  return insertLinesAfter(text, belowTrailingComments(text, tables[last]!.range[1]), lines, eol);
}

function entryLine(key: string, value: EntryValue, alignTo = 0): string {
  const k = formatKey(key);
  return `${k}${' '.repeat(Math.max(1, alignTo - k.length))}= ${formatValue(value as WritableValue)}`;
}

/** When every `=` of a table's one-line entries stands in one padded column, new entries line up with it. */
function alignmentColumn(text: string, kvs: readonly AST.TOMLKeyValue[]): number {
  const columns = new Set<number>();
  let padded = false;
  for (const kv of kvs) {
    const keyEnd = kv.key.range[1];
    const eq = text.indexOf('=', keyEnd);
    const keyStart = kv.key.range[0];
    columns.add(eq - keyStart);
    if (eq - keyEnd > 1) padded = true;
  }
  return padded && columns.size === 1 ? [...columns][0]! : 0;
}

/**
 * The last entry of a table is often followed by commented-out alternatives (`# foo = { path = "../foo" }`);
 * new entries go below them, unless those comments lead into the next table (no blank line before it).
 */
function belowTrailingComments(text: string, offset: number): number {
  let lastComment: number | undefined;
  let pos = nextLineStart(text, offset);
  while (pos < text.length && /^[ \t]*#/.test(text.slice(pos, nextLineStart(text, pos)))) {
    lastComment = pos;
    pos = nextLineStart(text, pos);
  }
  const endsBlock = pos >= text.length || text.slice(pos, nextLineStart(text, pos)).trim() === '';
  return lastComment !== undefined && endsBlock ? lastComment : offset;
}

/** Moves an insertion point up over the comment lines directly above an entry (they belong to it). */
function aboveComments(text: string, at: number, floor: number): number {
  let pos = at;
  while (pos > floor) {
    const prev = lineStart(text, pos - 1);
    if (prev <= floor || !/^[ \t]*#/.test(text.slice(prev, pos))) break;
    pos = prev;
  }
  return pos;
}

function packageOfKv(manifest: Manifest, key: string): string {
  const ws = (manifest.value.workspace as TomlTable | undefined)?.dependencies as TomlTable | undefined;
  const v = ws?.[key];
  return typeof v === 'object' && v !== null && typeof (v as TomlTable).package === 'string' ? ((v as TomlTable).package as string) : key;
}
