import * as path from 'node:path';
import type { AST } from 'toml-eslint-parser';
import { UserError } from '../errors.js';
import { isTable } from '../manifest/dependencies.js';
import type { Manifest, TomlTable } from '../manifest/read.js';

/** What a manifest says about its workspace, as cargo's `WorkspaceConfig`. */
export type WorkspaceConfig =
  | {
      readonly kind: 'root';
      readonly rootDir: string;
      /** `undefined` when `members` is absent (cargo treats that differently from `[]` in one message only). */
      readonly members: readonly string[] | undefined;
      readonly exclude: readonly string[];
      readonly defaultMembers: readonly string[] | undefined;
    }
  | { readonly kind: 'member'; readonly pointer: string | undefined };

export function hasPackage(m: Manifest): boolean {
  return isTable(m.value['package']);
}

export function packageName(m: Manifest): string | undefined {
  const pkg = m.value['package'];
  const name = isTable(pkg) ? pkg['name'] : undefined;
  return typeof name === 'string' ? name : undefined;
}

export function readWorkspaceConfig(m: Manifest): WorkspaceConfig {
  const pkg = m.value['package'];
  const pointer = isTable(pkg) ? pkg['workspace'] : undefined;
  if (pointer !== undefined && typeof pointer !== 'string') {
    throw locatedError(m, ['package', 'workspace'], 'invalid type: `package.workspace` must be a string');
  }
  const ws = m.value['workspace'];
  if (ws === undefined) return { kind: 'member', pointer };
  if (!isTable(ws)) throw locatedError(m, ['workspace'], 'invalid type: `workspace` must be a table');
  if (pointer !== undefined) {
    throw locatedError(
      m,
      ['package', 'workspace'],
      'cannot configure both `package.workspace` and `[workspace]`, only one can be specified',
    );
  }
  return {
    kind: 'root',
    rootDir: path.dirname(m.path),
    members: stringList(m, ws, 'members'),
    exclude: stringList(m, ws, 'exclude') ?? [],
    defaultMembers: stringList(m, ws, 'default-members'),
  };
}

function stringList(m: Manifest, ws: TomlTable, key: string): string[] | undefined {
  const v = ws[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) {
    throw locatedError(m, ['workspace', key], `invalid type: \`workspace.${key}\` must be an array of strings`);
  }
  const bad = v.findIndex((e) => typeof e !== 'string');
  if (bad >= 0) {
    throw locatedError(m, ['workspace', key, bad], `invalid type: \`workspace.${key}\` must be an array of strings`);
  }
  return v as string[];
}

/** A UserError pointing at the value under `keyPath` in `m`, or at the file when it cannot be found. */
export function locatedError(m: Manifest, keyPath: readonly (string | number)[], message: string): UserError {
  const node = findNode(m.ast, keyPath);
  return new UserError(
    message,
    node ? { file: m.path, line: node.loc.start.line, column: node.loc.start.column + 1 } : { file: m.path },
  );
}

/** The syntax node holding the value at `want`, whichever of the TOML spellings defined it. */
export function findNode(ast: AST.TOMLProgram, want: readonly (string | number)[]): AST.TOMLNode | undefined {
  const top = ast.body[0];
  if (!top) return undefined;
  for (const item of top.body) {
    if (item.type === 'TOMLKeyValue') {
      const hit = inKeyValue(item, [], want);
      if (hit) return hit;
      continue;
    }
    if (!isPrefix(item.resolvedKey, want)) continue;
    for (const kv of item.body) {
      const hit = inKeyValue(kv, item.resolvedKey, want);
      if (hit) return hit;
    }
    // `[workspace]` itself was asked for (e.g. for an empty table).
    if (item.resolvedKey.length === want.length) return item;
  }
  return undefined;
}

function inKeyValue(kv: AST.TOMLKeyValue, base: readonly (string | number)[], want: readonly (string | number)[]) {
  const at = [...base, ...kv.key.keys.map((k) => (k.type === 'TOMLBare' ? k.name : k.value))];
  return descend(kv.value, at, want);
}

function descend(
  node: AST.TOMLContentNode,
  at: readonly (string | number)[],
  want: readonly (string | number)[],
): AST.TOMLNode | undefined {
  if (!isPrefix(at, want)) return undefined;
  if (at.length === want.length) return node;
  if (node.type === 'TOMLInlineTable') {
    for (const kv of node.body) {
      const hit = inKeyValue(kv, at, want);
      if (hit) return hit;
    }
  } else if (node.type === 'TOMLArray') {
    const i = want[at.length];
    const el = typeof i === 'number' ? node.elements[i] : undefined;
    if (el) return descend(el, [...at, i as number], want);
  }
  return undefined;
}

function isPrefix(a: readonly (string | number)[], b: readonly (string | number)[]): boolean {
  return a.length <= b.length && a.every((k, i) => k === b[i]);
}
