/**
 * A jscodeshift transform: `jscodeshift -t dist/transforms/wasmtime-align.js --extensions=toml
 * --ignore-pattern=target/ --to=26.0.1 .` gives what `wasmtime-align --write --to 26.0.1 .` gives.
 *
 * jscodeshift hands over one file at a time, but a lift edits several manifests of one workspace together, so
 * each call plans the whole workspace of its file (once per workspace and options within a worker) and returns
 * that file's new text. Files that are not Cargo.toml are skipped.
 */
import * as path from 'node:path';
import { planPaths, type Plan } from '../src/pipeline.js';

export interface FileInfo {
  readonly path: string;
  readonly source: string;
}

/** jscodeshift passes unknown command-line flags through as options. */
export interface TransformOptions {
  readonly to?: string | number;
  readonly exact?: boolean;
  readonly lift?: boolean;
  readonly 'no-lift'?: boolean;
  readonly allKeys?: boolean;
  readonly 'all-keys'?: boolean;
  readonly [flag: string]: unknown;
}

const plans = new Map<string, Plan>();

export default function transform(file: FileInfo, _api: unknown, options: TransformOptions = {}): string | undefined {
  if (path.basename(file.path) !== 'Cargo.toml') return undefined;
  const abs = path.resolve(file.path);
  const opts = {
    to: options.to === undefined ? undefined : String(options.to),
    exact: options.exact === true,
    lift: options.lift !== false && options['no-lift'] !== true,
    allKeys: options.allKeys === true || options['all-keys'] === true,
  };
  const key = `${JSON.stringify(opts)}\0${abs}`;
  let plan = plans.get(key);
  if (!plan) {
    plan = planPaths([abs], opts);
    // Every manifest of the planned roots shares this plan.
    for (const root of plan.roots) for (const m of root.manifests) plans.set(`${JSON.stringify(opts)}\0${m.path}`, plan);
  }
  const planned = plan.files.find((f) => f.manifest.path === abs);
  return planned ? planned.after : file.source;
}
