/**
 * `--message-format github`: GitHub Actions workflow commands (`::error file=..,line=..,col=..::message`) for every
 * error and warning of a run and for every file that would change, so that a pull request shows them at their lines.
 * They go to stderr after the normal output (the runner reads workflow commands from both streams), so the diff,
 * the JSON report and `--list` on stdout stay what they are.
 */
import * as path from 'node:path';
import { displayPath, formatLocation, relativePath, userErrors, type UserError } from '../errors.js';
import type { FilePlan, Plan } from '../pipeline.js';
import type { Finding } from '../plan/types.js';
import { planWarnings, type Mode } from './report.js';

export const MESSAGE_FORMATS = ['human', 'github'] as const;
export type MessageFormat = (typeof MESSAGE_FORMATS)[number];

const TITLE = 'wasmtime-align';

/** One annotation: its level, where (a file, optionally a line and column), and what. */
export interface Annotation {
  readonly level: 'error' | 'warning' | 'notice';
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

/** The annotations of a run that planned: its errors (--keep-going), warnings, and the files that change. */
export function planAnnotations(plan: Plan, mode: Mode, cwd: string, env: NodeJS.ProcessEnv): string {
  const list: Annotation[] = [
    ...plan.errors.flatMap(errorAnnotations),
    ...planWarnings(plan).map(findingAnnotation),
  ];
  // --check fails the job because of these files: each is an error at its first changed line.
  const level = mode === 'check' ? 'error' : mode === 'dry-run' ? 'notice' : undefined;
  if (level !== undefined) {
    for (const f of plan.files) {
      list.push({ level, file: f.manifest.path, line: firstChangedLine(f), message: `would be changed by wasmtime-align (run it with --write to apply)` });
    }
  }
  return list.map((a) => formatAnnotation(a, cwd, env)).join('');
}

/** The annotations of a run that stopped: one per error. */
export function failureAnnotations(e: UserError, cwd: string, env: NodeJS.ProcessEnv): string {
  return errorAnnotations(e).map((a) => formatAnnotation(a, cwd, env)).join('');
}

function errorAnnotations(e: UserError): Annotation[] {
  return userErrors(e).map((one) => ({ level: 'error', ...(one.location ?? {}), message: one.message }));
}

function findingAnnotation(f: Finding): Annotation {
  return { level: 'warning', ...(f.file !== undefined ? { file: f.file } : {}), ...(f.line !== undefined ? { line: f.line } : {}), ...(f.column !== undefined ? { column: f.column } : {}), message: f.message };
}

/** `::error file=a/Cargo.toml,line=7,col=45,title=wasmtime-align::message`, escaped as GitHub reads it. */
export function formatAnnotation(a: Annotation, cwd: string, env: NodeJS.ProcessEnv): string {
  const props: string[] = [];
  const file = a.file === undefined ? undefined : annotationPath(a.file, cwd, env);
  if (file !== undefined) {
    props.push(`file=${escapeProperty(file)}`);
    if (a.line !== undefined) props.push(`line=${a.line}`);
    if (a.line !== undefined && a.column !== undefined) props.push(`col=${a.column}`);
  }
  props.push(`title=${escapeProperty(TITLE)}`);
  // A file GitHub cannot place (outside the checkout) is named in the message instead, as the human output names it.
  const where = a.file !== undefined && file === undefined ? formatLocation({ file: a.file, ...(a.line !== undefined ? { line: a.line } : {}), ...(a.column !== undefined ? { column: a.column } : {}) }, cwd) : '';
  return `::${a.level} ${props.join(',')}::${escapeData(where + a.message)}\n`;
}

/**
 * A file as GitHub places annotations: relative to the repository checkout (`GITHUB_WORKSPACE`); undefined for a
 * file outside it, which GitHub would attach to the wrong file. Outside Actions (no GITHUB_WORKSPACE), as every
 * message names it (relative to the current directory when below it, absolute otherwise).
 */
export function annotationPath(file: string, cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  const workspace = env['GITHUB_WORKSPACE'];
  if (workspace === undefined || workspace === '' || !path.isAbsolute(workspace)) return displayPath(file, cwd);
  const rel = relativePath(path.resolve(cwd, file), workspace);
  return rel !== '..' && !rel.startsWith('../') && !path.isAbsolute(rel) ? rel : undefined;
}

/** GitHub's escaping of a workflow command's message: `%`, CR and LF. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value also escapes `:` and `,`, which end it. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** The 1-based line of the file as it is now (before the change) where the change begins. */
export function firstChangedLine(f: FilePlan): number {
  const before = f.before.split('\n');
  const after = f.after.split('\n');
  let i = 0;
  while (i < before.length && i < after.length && before[i] === after[i]) i++;
  // Text added after the last line is shown on that line. (A final newline leaves an empty last element.)
  const lines = f.before.endsWith('\n') ? before.length - 1 : before.length;
  return Math.max(1, Math.min(i + 1, lines));
}
