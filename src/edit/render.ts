import type { Manifest } from '../manifest/read.js';
import type { AddWorkspaceEntry, Change } from '../plan/types.js';
import { arraySplices, stringSplices } from './values.js';
import { removeEntrySplices, rewriteSplices } from './entry.js';
import { applySplices, type Splice } from './splice.js';
import { addSplices } from './workspace-table.js';

/**
 * Renders one manifest's planned changes as splices of its original text: nothing outside the edited entries
 * moves, so comments, blank lines, key order, quoting, alignment and line endings stay as they were.
 * Returns the new text without the BOM (the writer puts it back). `isFamily` places new workspace entries next to
 * the family's in an unsorted table.
 */
export function renderManifest(manifest: Manifest, changes: readonly Change[], isFamily: (packageName: string) => boolean): string {
  const splices: Splice[] = [];
  const adds: AddWorkspaceEntry[] = [];
  for (const c of changes) {
    switch (c.kind) {
      case 'rewrite':
        splices.push(...rewriteSplices(c));
        break;
      case 'remove':
        splices.push(...removeEntrySplices(c));
        break;
      case 'add':
        adds.push(c);
        break;
      case 'array':
        splices.push(...arraySplices(manifest.text, c));
        break;
      case 'string':
        splices.push(...stringSplices(c));
        break;
    }
  }
  if (adds.length > 0) splices.push(...addSplices(manifest, adds, isFamily));
  return applySplices(manifest.text, splices);
}
