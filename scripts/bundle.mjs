#!/usr/bin/env node
// Bundles the compiled command line (dist/src/cli.js, from tsc) and its dependencies into one file,
// dist/bin/wasmtime-align.js, the package's `bin`. Loading one file instead of some 90 ES modules and 200
// CommonJS files saves about 60 ms of every run's start-up, a third of a run on a small workspace.
// The API (dist/src/index.js) and the jscodeshift transform stay unbundled. Run by `npm run build`.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [path.join(root, 'dist/src/cli.js')],
  outfile: path.join(root, 'dist/bin/wasmtime-align.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // CommonJS dependencies (fast-glob, semver) call require() for Node's own modules; an ES module has none.
  banner: { js: "import { createRequire as __wasmtimeAlignRequire } from 'node:module';\nconst require = __wasmtimeAlignRequire(import.meta.url);" },
  legalComments: 'eof',
  logLevel: 'warning',
});
