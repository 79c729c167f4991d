import type { AST } from 'toml-eslint-parser';
import type { SourceLocation } from '../errors.js';
import { field, type DependencyEntry } from './dependencies.js';
import type { Manifest } from './read.js';

/** The 1-based line and column of a node, as cargo reports positions. */
export function nodeLocation(manifest: Manifest, node: { loc: AST.SourceLocation }): SourceLocation {
  return { file: manifest.path, line: node.loc.start.line, column: node.loc.start.column + 1 };
}

/** Where an entry is declared; with a field name, where that field's value is (falling back to the entry). */
export function valueLocation(entry: DependencyEntry, fieldName?: string): SourceLocation {
  if (entry.style === 'string') return nodeLocation(entry.manifest, entry.kv.value);
  const f = fieldName === undefined ? undefined : field(entry, fieldName);
  if (f) return nodeLocation(entry.manifest, f.kv.value);
  return entryLocation(entry);
}

export function entryLocation(entry: DependencyEntry): SourceLocation {
  switch (entry.style) {
    case 'string':
    case 'inline':
      return nodeLocation(entry.manifest, entry.kv);
    case 'subtable':
      return nodeLocation(entry.manifest, entry.header);
    case 'dotted':
      return nodeLocation(entry.manifest, entry.fields[0]!.kv);
  }
}
