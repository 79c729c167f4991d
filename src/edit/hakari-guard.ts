import { UserError } from '../errors.js';
import { hakariSections, hakariSectionsOf, type HakariSection } from '../manifest/hakari-section.js';
import type { Manifest } from '../manifest/read.js';

/**
 * Proves a rendered manifest keeps every hakari section byte for byte. Planning leaves the entries inside a section
 * alone; this catches what it cannot see, such as a new `[workspace.dependencies]` entry appended to a table that
 * sits inside a section. Nothing is written when it fails.
 */
export function assertHakariSectionsKept(manifest: Manifest, newText: string): void {
  const before = hakariSectionsOf(manifest);
  if (before.length === 0) return;
  const after = hakariSections(newText);
  const oldLines = manifest.text.split('\n');
  const newLines = newText.split('\n');
  const text = (lines: string[], s: HakariSection): string => lines.slice(s.startLine - 1, s.endLine).join('\n');
  const changed = before.find((s, i) => after[i] === undefined || text(oldLines, s) !== text(newLines, after[i]!));
  if (changed === undefined && after.length === before.length) return;
  const s = changed ?? before[0]!;
  throw new UserError(
    `the planned changes would edit the hakari section (lines ${s.startLine}-${s.endLine}), which \`cargo hakari generate\` owns; move the table that changes out of the section, or change it by hand`,
    { file: manifest.path, line: s.startLine },
  );
}
