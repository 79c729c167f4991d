/**
 * The meaning check (src/edit/meaning.ts): a plan that changes what cargo reads beyond what it planned is stopped
 * with a message naming the package, the entry and the change. Real plans pass it (every fixture, the corpus and
 * the property tests run through it); here plans are tampered with to prove it catches each kind of change.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { discover } from '../src/discover/index.js';
import { checkMeaning } from '../src/edit/meaning.js';
import { embeddedReleaseData } from '../src/family/release-data.js';
import { UserError } from '../src/errors.js';
import { planRoot, type PlanOptions } from '../src/plan/root.js';
import type { Change, RootPlan } from '../src/plan/types.js';
import { tempDir, writeTree } from './helpers.js';

const data = embeddedReleaseData();
const isFamily = (name: string): boolean => data.family(name) !== undefined;
const OPTS: PlanOptions = { exact: false, lift: true, allKeys: false, dropUnknownFeatures: false, applyCrateMigrations: false, bumpRustVersion: false, exclude: [], to: '26.0.1' };

function plan(): RootPlan {
  const dir = writeTree(tempDir('meaning'), {
    'Cargo.toml': '[workspace]\nmembers = ["a"]\nresolver = "2"\n',
    'a/Cargo.toml':
      '[package]\nname = "a"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nwasmtime = "25.0.0"\nwasmtime-wasi = { version = "25.0.0", optional = true }\nserde = "1"\n\n[features]\nwasi = ["wasmtime-wasi/preview1"]\n',
  });
  const [root] = discover([dir]).roots;
  return planRoot(root!, OPTS, data);
}

function tampered(p: RootPlan, edit: (changes: Change[]) => Change[]): RootPlan {
  return { ...p, changes: edit([...p.changes]) };
}

const rejects = (p: RootPlan, message: RegExp): void => {
  assert.throws(() => checkMeaning(p, isFamily), (e: unknown) => e instanceof UserError && message.test(e.message) && /a\/Cargo\.toml$/.test(e.location?.file ?? '') && /bug in wasmtime-align/.test(e.message));
};

test('a real plan passes', () => {
  assert.doesNotThrow(() => checkMeaning(plan(), isFamily));
});

test('a family entry that would become optional, or lose its default features, is stopped', () => {
  const p = plan();
  const rewrite = (after: (v: Record<string, unknown>) => Record<string, unknown>) =>
    tampered(p, (cs) => cs.map((c) => (c.kind === 'rewrite' && c.entry.key === 'wasmtime' && c.entry.table.scope === 'package' ? { ...c, after: after(c.after as Record<string, unknown>) } : c)));
  rejects(rewrite((v) => ({ ...v, optional: true })), /`wasmtime` in \[normal\] would become optional/);
  // A member's own `default-features = false` is ignored next to a workspace entry with defaults (cargo-rules.md
  // section 2), so the workspace entry is where turning them off would bite.
  const wsOff = tampered(p, (cs) => cs.map((c) => (c.kind === 'add' && c.key === 'wasmtime' ? { ...c, after: { version: '26.0.1', 'default-features': false } } : c)));
  rejects(wsOff, /`wasmtime` in \[normal\] would disable wasmtime's default features/);
});

test('a dependency outside the family that would change, or disappear, is stopped', () => {
  const p = plan();
  const serde = (after: unknown): RootPlan =>
    tampered(p, (cs) => {
      const wasmtime = cs.find((c) => c.kind === 'rewrite' && c.entry.key === 'wasmtime' && c.entry.table.scope === 'package');
      if (wasmtime?.kind !== 'rewrite') throw new Error('no wasmtime rewrite');
      const entry = { ...wasmtime.entry, key: 'serde', package: 'serde', path: ['dependencies', 'serde'], value: '1' } as typeof wasmtime.entry;
      return [...cs, { kind: 'rewrite', entry, after: after as string, reasons: ['align'] }];
    });
  rejects(serde('2'), /`serde` in \[normal\] \(serde, not of the wasmtime family\) would change/);
});

test('a feature that would no longer switch its optional dependency on is stopped', () => {
  const p = plan();
  const t = tampered(p, (cs) =>
    cs.map((c) => (c.kind === 'array' ? { ...c, after: [], replacements: new Map([[0, []]]) } : c)),
  );
  // The plan keeps the item (preview1 exists at 25 and 26); a tampered array drops it.
  const hasArray = p.changes.some((c) => c.kind === 'array');
  const base: RootPlan = hasArray
    ? t
    : {
        ...p,
        changes: [
          ...p.changes,
          {
            kind: 'array',
            manifest: p.manifests.find((m) => m.path.endsWith('a/Cargo.toml'))!,
            path: ['features', 'wasi'],
            array: undefined as never,
            replacements: new Map([[0, []]]),
            after: [],
            reasons: ['features'],
          },
        ],
      };
  rejects(base, /feature `wasi` would no longer switch on `wasmtime-wasi`/);
});

test('a dependency feature that a crate migration moves out of [features] into an entry is stopped', () => {
  const dir = writeTree(tempDir('meaning-move'), {
    'a/Cargo.toml':
      '[package]\nname = "a"\nversion = "0.1.0"\nedition = "2021"\n\n[features]\nblocking = ["wasmtime-wasi/sync"]\n\n[dependencies]\nwasmtime = "17"\nwasmtime-wasi = { version = "17", default-features = false }\nwasi-common = { version = "17", optional = true }\n',
  });
  const [root] = discover([`${dir}/a`]).roots;
  const p = planRoot(root!, { ...OPTS, to: '18.0.4', applyCrateMigrations: true }, data);
  // The plan moves the item to the crate the feature moved to: `blocking` still builds it, and only then.
  const array = p.changes.find((c) => c.kind === 'array');
  assert.deepEqual(array?.kind === 'array' ? array.after : undefined, ['wasi-common/sync']);
  assert.doesNotThrow(() => checkMeaning(p, isFamily));
  // What the plan did before: the item gone, the feature always built by the wasi-common entry.
  const t = tampered(p, (cs) =>
    cs.map((c) => {
      if (c.kind === 'array') return { ...c, after: [], replacements: new Map([[0, []]]) };
      if (c.kind === 'rewrite' && c.entry.key === 'wasi-common') return { ...c, after: { ...(c.after as Record<string, unknown>), features: ['sync'] } as never };
      return c;
    }),
  );
  rejects(t, /feature `blocking` would no longer switch on `wasmtime-wasi\/sync`, and `wasi-common` would build `sync` always/);
});
