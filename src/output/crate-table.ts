import { packageName } from '../discover/config.js';
import { crateJump } from '../plan/crate-changes.js';
import type { CrateChange } from '../plan/types.js';
import type { Style } from './style.js';

/** Members named in a row; more are counted. */
const MEMBERS_NAMED = 3;

/**
 * The summary's table of what changes per crate, one row each, columns aligned (padding is computed before
 * colour is applied):
 *
 *   crate              before            after    members
 *   wasmtime           25.0.0, 26.0.1 -> 26.0.1   a, b
 *   cranelift-codegen  0.111.0        -> 0.113.1  a        major
 */
export function crateTable(rows: readonly CrateChange[], style: Style, indent = '  '): string[] {
  if (rows.length === 0) return [];
  const cells = rows.map((r) => {
    const names = r.members.map((m) => packageName(m) ?? m.path);
    const members = names.length === 0 ? '-' : names.length <= MEMBERS_NAMED ? names.join(', ') : `${names.length} members`;
    return { name: r.name, before: r.from.join(', ') || '-', after: r.becomes !== undefined ? `${r.becomes} ${r.to}` : r.to, members, jump: crateJump(r) };
  });
  const head = { name: 'crate', before: 'before', after: 'after', members: 'members' };
  const width = (k: 'name' | 'before' | 'after' | 'members'): number => Math.max(head[k].length, ...cells.map((c) => c[k].length));
  const [wn, wb, wa, wm] = [width('name'), width('before'), width('after'), width('members')];
  const line = (name: string, before: string, arrow: string, after: string, members: string, mark: string): string =>
    `${indent}${name.padEnd(wn)}  ${before.padEnd(wb)} ${arrow} ${after.padEnd(wa)}  ${mark === '' ? members : `${members.padEnd(wm)}  ${mark}`}`.trimEnd();
  const out = [line(head.name, head.before, '  ', head.after, head.members, '')];
  for (const c of cells) {
    const mark = c.jump === 'downgrade' || c.jump === 'major downgrade' ? style.red(c.jump) : c.jump === 'major' ? style.yellow('major') : '';
    out.push(line(c.name, c.before, '->', c.after, c.members, mark));
  }
  return out;
}
