/**
 * The crates that carry wasmtime's own version number and pin each other, so they must move together.
 * Matching is by exact package name, never by prefix: `wasmtime-provider`, `wasmtime-jni` and the guest crate
 * `wasi-nn` are other projects' crates.
 *
 * `since` is the first release that shares wasmtime's numbering; `removedIn`, where set, is the first wasmtime
 * major without the crate (LTS lines before it keep it). Source: ../shared/data/wasmtime-family
 * (feature-history.json `crates.*.versions`, migrations.json `crate_rules`).
 */
export interface FamilyCrate {
  readonly name: string;
  /** `wasmtime`: the crate carries wasmtime's version; `companion`: its own numbering, mapped per release. */
  readonly numbering: 'wasmtime' | 'companion';
  readonly since: string;
  readonly removedIn?: { readonly major: number; readonly note: string };
}

const WASMTIME_NUMBERED: readonly Omit<FamilyCrate, 'numbering'>[] = [
  { name: 'wasmtime', since: '0.3.0' },
  { name: 'wasmtime-wasi', since: '0.3.0' },
  { name: 'wasmtime-wasi-nn', since: '0.22.0' },
  { name: 'wasmtime-wasi-http', since: '9.0.0' },
  { name: 'wasmtime-wasi-io', since: '30.0.0' },
  { name: 'wasmtime-wasi-tls', since: '32.0.0' },
  { name: 'wasmtime-wasi-config', since: '27.0.0' },
  { name: 'wasmtime-wasi-keyvalue', since: '24.0.0' },
  {
    name: 'wasmtime-wasi-threads',
    since: '7.0.0',
    removedIn: { major: 47, note: 'removed in 47.0.0 with no replacement (the 36 LTS line keeps it)' },
  },
  { name: 'wasmtime-environ', since: '0.3.0' },
  { name: 'wasmtime-wast', since: '0.3.0' },
  { name: 'wasmtime-cli-flags', since: '0.37.0' },
  { name: 'wasmtime-cache', since: '0.20.0', removedIn: { major: 35, note: 'renamed wasmtime-internal-cache in 35.0.0 (internal; use wasmtime\'s `cache` feature)' } },
  {
    name: 'wasmtime-component-macro',
    since: '0.39.0',
    removedIn: { major: 35, note: 'renamed wasmtime-internal-component-macro in 35.0.0 (internal; use wasmtime\'s `component-model` feature)' },
  },
  {
    name: 'wasmtime-component-util',
    since: '0.40.0',
    removedIn: { major: 35, note: 'renamed wasmtime-internal-component-util in 35.0.0 (internal)' },
  },
  {
    name: 'wasmtime-cranelift',
    since: '0.20.0',
    removedIn: { major: 35, note: 'renamed wasmtime-internal-cranelift in 35.0.0 (internal; use wasmtime\'s `cranelift` feature)' },
  },
  { name: 'wasmtime-fiber', since: '0.24.0', removedIn: { major: 35, note: 'renamed wasmtime-internal-fiber in 35.0.0 (internal)' } },
  { name: 'wasmtime-runtime', since: '0.3.0', removedIn: { major: 21, note: 'folded into wasmtime as `wasmtime::runtime::vm` in 21.0.0' } },
  { name: 'wasmtime-jit', since: '0.3.0', removedIn: { major: 18, note: 'folded into wasmtime in 18.0.0' } },
  {
    name: 'wasi-common',
    since: '0.7.0',
    removedIn: { major: 47, note: 'removed in 47.0.0: use wasmtime-wasi with its `p1` feature (the 36 LTS line keeps it)' },
  },
  { name: 'wiggle', since: '0.13.0' },
  { name: 'wiggle-macro', since: '0.15.0' },
  { name: 'wiggle-generate', since: '0.15.0' },
  {
    name: 'wasi-cap-std-sync',
    since: '0.23.0',
    removedIn: { major: 18, note: 'merged into wasi-common as its `sync` feature in 18.0.0' },
  },
  {
    name: 'wasi-tokio',
    since: '0.27.0',
    removedIn: { major: 18, note: 'merged into wasi-common as its `tokio` feature in 18.0.0' },
  },
];

/**
 * Crates on their own numbering that belong to one wasmtime release each (cranelift = 0.(major+87).patch;
 * pulley and winch share wasmtime's number from 26.0.0): the release data maps a wasmtime version to theirs.
 * `since` is the crate's own first version.
 */
const COMPANIONS: readonly Omit<FamilyCrate, 'numbering'>[] = [
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
].map((name) => ({ name, since: '0.0.0' }));

const CRATES: readonly FamilyCrate[] = [
  ...WASMTIME_NUMBERED.map((c) => ({ ...c, numbering: 'wasmtime' as const })),
  ...COMPANIONS.map((c) => ({ ...c, numbering: 'companion' as const })),
];

const BY_NAME: ReadonlyMap<string, FamilyCrate> = new Map(CRATES.map((c) => [c.name, c]));

export const FAMILY_CRATE_NAMES: readonly string[] = CRATES.map((c) => c.name);

/** The family crate with this exact package name, if any. */
export function familyCrate(packageName: string): FamilyCrate | undefined {
  return BY_NAME.get(packageName);
}
