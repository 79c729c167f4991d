import type { AST } from 'toml-eslint-parser';
import { keyName } from '../manifest/dependencies.js';
import type { Manifest, TomlTable } from '../manifest/read.js';
import type { AddWorkspaceEntry, EntryValue } from '../plan/types.js';
import { aboveComments, belowTrailingComments, insertLinesAfter } from './lines.js';
import { indentAt, lineStart, type Splice } from './splice.js';
import { formatKey, formatValue, type WritableValue } from './toml-text.js';

/** New `[workspace.dependencies]` entries: sorted position in a sorted table, else after the family, else created. */
export function addSplices(manifest: Manifest, adds: readonly AddWorkspaceEntry[], isFamily: (packageName: string) => boolean): Splice[] {
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
    const family = kvs.filter((kv) => isFamily(packageOfKv(manifest, keyOf(kv))));
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

function packageOfKv(manifest: Manifest, key: string): string {
  const ws = (manifest.value.workspace as TomlTable | undefined)?.dependencies as TomlTable | undefined;
  const v = ws?.[key];
  return typeof v === 'object' && v !== null && typeof (v as TomlTable).package === 'string' ? ((v as TomlTable).package as string) : key;
}
