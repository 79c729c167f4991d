import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The package's own directory, where package.json and data/ are. Found from this module's location because the
 * compiled modules (dist/src/...) and the bundled command (dist/bin/...) sit at different depths below it.
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'data', 'release-data.json'))) return (root = dir);
    if (path.dirname(dir) === dir) throw new Error(`cannot find the wasmtime-align package above ${fileURLToPath(import.meta.url)}`);
  }
}
