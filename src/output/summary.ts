import { displayPath, formatLocation } from '../errors.js';
import type { GeneratedSection, Plan } from '../pipeline.js';
import type { Finding, RootPlan } from '../plan/types.js';
import { groupBy } from '../plan/util.js';
import { crateTable } from './crate-table.js';
import type { Mode } from './report.js';
import type { Style } from './style.js';

const NOTES_SHOWN = 5;
const MIGRATIONS_SHOWN = 20;
/** A monorepo can change hundreds of manifests; the diff and --json name them all. */
const FILES_SHOWN = 10;

/** The short human summary printed on stderr: per root the version, what was lifted, what changed, findings. */
export function summary(plan: Plan, mode: Mode, cwd: string, style: Style): string {
  const out: string[] = [];
  const finding = (f: Finding): string => {
    const label = f.level === 'warning' ? style.yellow('warning') : style.cyan('note');
    return `  ${label}: ${formatLocation(f, cwd)}${f.message}`;
  };
  for (const f of plan.findings) out.push(finding(f).trimStart());

  const changed = new Set(plan.files.map((f) => f.manifest.path));
  let quiet = 0;
  for (const root of plan.roots) {
    if (!root.target && root.findings.length === 0 && root.excluded.length === 0) {
      quiet++;
      continue;
    }
    out.push(rootLine(root, cwd, style));
    if (root.lifted.length > 0) {
      const entries = root.changes.filter((c) => c.kind === 'rewrite' && c.reasons.includes('lift')).length;
      out.push(`  lifted into [workspace.dependencies]: ${root.lifted.join(', ')} (${entries} member ${entries === 1 ? 'entry' : 'entries'})`);
    }
    if (root.excluded.length > 0) {
      const held = (x: RootPlan['excluded'][number]): string =>
        x.heldBy ? `${x.crate} (${x.tie ? 'required on its line' : 'pinned exactly'} by ${x.heldBy}${x.through?.length ? `, through ${x.through.join(', ')}` : ''})` : x.crate;
      out.push(`  excluded, left as they are: ${root.excluded.map(held).join(', ')}`);
    }
    out.push(...crateTable(root.crates, style));
    if (mode === 'dry-run' && root.breakingNotes.count > 0 && root.target) {
      const n = root.breakingNotes.count;
      const to = root.target.origin === 'option' ? ` --to ${root.target.version}` : '';
      const releases = root.breakingNotes.releases;
      const span = releases.length === 1 ? releases[0]! : `${releases[0]} to ${releases.at(-1)}`;
      out.push(`  ${style.cyan('note')}: the upgrade crosses ${n} breaking release ${n === 1 ? 'note' : 'notes'} (Changed, Removed, Security Fixes; ${span}): \`wasmtime-align notes${to}\` lists them`);
    }
    const files = root.manifests.filter((m) => changed.has(m.path)).map((m) => displayPath(m.path, cwd));
    const more = files.length > FILES_SHOWN ? ` and ${files.length - FILES_SHOWN} more` : '';
    if (files.length > 0) out.push(`  ${files.length} ${files.length === 1 ? 'manifest' : 'manifests'} ${mode === 'write' ? 'changed' : 'to change'}: ${files.slice(0, FILES_SHOWN).join(', ')}${more}`);
    else if (root.target) out.push('  already aligned');
    for (const m of root.migrations.slice(0, MIGRATIONS_SHOWN)) {
      const link = m.rule.links[0] ? `, ${m.rule.links[0]}` : '';
      out.push(`  ${style.cyan('features')}: ${formatLocation(m, cwd)}${m.crate} ${m.effect} (${m.rule.action} in ${m.rule.version}${link})`);
    }
    if (root.migrations.length > MIGRATIONS_SHOWN) out.push(`  ... and ${root.migrations.length - MIGRATIONS_SHOWN} more feature migrations (--json lists them all)`);
    // Once per file, outside the cap on notes: the follow-up it asks for is easy to miss.
    for (const [file, sections] of groupBy(root.generated, (s) => s.file)) {
      out.push(`  ${style.cyan('note')}: ${formatLocation({ file, line: sections[0]!.startLine }, cwd)}${hakariNote(sections)}`);
    }
    const notes = root.findings.filter((f) => f.level === 'note');
    for (const f of root.findings.filter((f) => f.level === 'warning')) out.push(finding(f));
    for (const f of notes.slice(0, NOTES_SHOWN)) out.push(finding(f));
    if (notes.length > NOTES_SHOWN) out.push(`  ... and ${notes.length - NOTES_SHOWN} more notes (--json lists them all)`);
  }
  if (quiet > 0) out.push(`${quiet} ${quiet === 1 ? 'root has' : 'roots have'} no registry dependency on the wasmtime family`);

  const n = plan.files.length;
  const files = `${n} ${n === 1 ? 'file' : 'files'}`;
  if (n === 0) out.push(style.bold('nothing to change'));
  else if (mode === 'write') out.push(style.bold(`wrote ${files}`));
  else if (mode === 'check') out.push(style.bold(`${files} would change`));
  else out.push(style.bold(`${files} would change (dry run; --write applies it)`));
  return out.join('\n') + '\n';
}

/** `hakari section (lines 12-40) left as generated; run ...`, for one file's sections. */
export function hakariNote(sections: readonly GeneratedSection[]): string {
  const ranges = sections.map((s) => `${s.startLine}-${s.endLine}${s.closed ? '' : ', no `### END HAKARI SECTION` line'}`).join('; ');
  const what = sections.length === 1 ? 'hakari section' : 'hakari sections';
  return `${what} (lines ${ranges}) left as generated; run \`cargo hakari generate\` after updating Cargo.lock`;
}

function rootLine(root: RootPlan, cwd: string, style: Style): string {
  const where = displayPath(root.manifest.path, cwd);
  const what = root.kind === 'workspace' ? `workspace of ${root.members.length} ${root.members.length === 1 ? 'member' : 'members'}` : 'package';
  if (!root.target) return `${style.bold(where)} (${what})`;
  const origin = { option: '--to', setting: '`to` setting', workspace: 'newest requested' }[root.target.origin];
  return `${style.bold(where)} (${what}): wasmtime family at ${style.green(root.target.requirement)} (${origin})`;
}
