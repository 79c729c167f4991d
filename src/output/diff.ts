import * as path from 'node:path';
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import { relativePath } from '../errors.js';
import type { FilePlan } from '../pipeline.js';
import type { Style } from './style.js';

/**
 * A git-style unified diff of every changed file, paths relative to `base`, so that
 * `wasmtime-align > x.patch && git apply x.patch` gives exactly what --write gives.
 */
export function unifiedDiff(files: readonly FilePlan[], base: string): string {
  return files
    .map((f) => {
      const rel = relativePath(f.writePath, base);
      const patch = createTwoFilesPatch(`a/${rel}`, `b/${rel}`, f.before, f.after, undefined, undefined, {
        headerOptions: FILE_HEADERS_ONLY,
      });
      return `diff --git a/${rel} b/${rel}\n${patch}`;
    })
    .join('');
}

/** Colours a diff for a terminal: removed lines red, added green, hunk headers cyan, file headers bold. */
export function colorDiff(diff: string, style: Style): string {
  return diff
    .split('\n')
    .map((line) => {
      if (line.startsWith('diff --git') || line.startsWith('--- ') || line.startsWith('+++ ')) return style.bold(line);
      if (line.startsWith('@@')) return style.cyan(line);
      if (line.startsWith('+')) return style.green(line);
      if (line.startsWith('-')) return style.red(line);
      return line;
    })
    .join('\n');
}

/**
 * The directory diff paths are relative to: the current directory, unless a changed file lies above it (a
 * member directory was given); then the nearest directory holding them all, since git refuses `../` paths.
 */
export function diffBase(files: readonly FilePlan[], cwd: string): string {
  let base = path.resolve(cwd);
  for (const f of files) {
    while (base !== path.dirname(base) && path.relative(base, f.writePath).startsWith('..')) base = path.dirname(base);
  }
  return base;
}
