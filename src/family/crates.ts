/**
 * The wasmtime crate family: the crates that move together when wasmtime moves. Matching is by exact package
 * name, never by prefix: `wasmtime-provider`, `wasmtime-jni` and the guest crate `wasi-nn` are other projects'
 * crates. What exists at which release, and what replaced what, is the release data's business
 * (data/release-data.json, see release-data.ts); this list only says who belongs.
 */
export interface FamilyCrate {
  readonly name: string;
  /** `wasmtime`: the crate carries wasmtime's version; `companion`: its own numbering, mapped per release. */
  readonly numbering: 'wasmtime' | 'companion';
}

/** Crates that carry wasmtime's own version number (each within its lifetime) and pin each other. */
const WASMTIME_NUMBERED = [
  'wasmtime',
  'wasmtime-wasi',
  'wasmtime-wasi-nn',
  'wasmtime-wasi-http',
  'wasmtime-wasi-io',
  'wasmtime-wasi-tls',
  'wasmtime-wasi-config',
  'wasmtime-wasi-runtime-config',
  'wasmtime-wasi-keyvalue',
  'wasmtime-wasi-threads',
  'wasmtime-environ',
  'wasmtime-wast',
  'wasmtime-cli-flags',
  'wasmtime-cache',
  'wasmtime-component-macro',
  'wasmtime-component-util',
  'wasmtime-cranelift',
  'wasmtime-fiber',
  'wasmtime-runtime',
  'wasmtime-jit',
  'wasmtime-types',
  'wasi-common',
  'wiggle',
  'wiggle-macro',
  'wiggle-generate',
  'wasi-cap-std-sync',
  'wasi-tokio',
] as const;

/**
 * Crates on their own numbering that belong to one wasmtime release each (cranelift = 0.(major+87).patch;
 * pulley and winch share wasmtime's number from 26.0.0): the release data maps a wasmtime version to theirs.
 */
const COMPANIONS = [
  'cranelift',
  'cranelift-assembler-x64',
  'cranelift-assembler-x64-meta',
  'cranelift-bforest',
  'cranelift-bitset',
  'cranelift-codegen',
  'cranelift-codegen-meta',
  'cranelift-codegen-shared',
  'cranelift-control',
  'cranelift-entity',
  'cranelift-frontend',
  'cranelift-interpreter',
  'cranelift-isle',
  'cranelift-jit',
  'cranelift-module',
  'cranelift-native',
  'cranelift-object',
  'cranelift-reader',
  'cranelift-serde',
  'cranelift-srcgen',
  'cranelift-wasm',
  'pulley-interpreter',
  'pulley-macros',
  'winch-codegen',
] as const;

const BY_NAME: ReadonlyMap<string, FamilyCrate> = new Map<string, FamilyCrate>([
  ...WASMTIME_NUMBERED.map((name): [string, FamilyCrate] => [name, { name, numbering: 'wasmtime' }]),
  ...COMPANIONS.map((name): [string, FamilyCrate] => [name, { name, numbering: 'companion' }]),
]);

export const FAMILY_CRATE_NAMES: readonly string[] = [...BY_NAME.keys()];

/** The family crate with this exact package name, if any. */
export function familyCrate(packageName: string): FamilyCrate | undefined {
  return BY_NAME.get(packageName);
}
