import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Tests run from dist/test/; everything is located from the repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDir = path.resolve(repoRoot, '..', 'shared');
export const corpusDir = path.join(sharedDir, 'corpus');
export const fixturesDir = path.join(repoRoot, '__fixtures__');
/** The command as installed: the bundle `npm run build` makes (scripts/bundle.mjs), the package's `bin`. */
export const cliPath = path.join(repoRoot, 'dist', 'bin', 'wasmtime-align.js');
