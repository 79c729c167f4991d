import * as semver from '../semver.js';
import type { FeatureRule, ReleaseData } from '../family/release-data.js';

/** One migration rule that changed (or concerns) an entry's features, for the summary and the JSON report. */
export interface AppliedRule {
  readonly crate: string;
  readonly rule: FeatureRule;
  readonly direction: 'up' | 'down';
  /** What it did, e.g. "`jitdump` -> `profiling`", "dropped `uffd`", "added `runtime`". */
  readonly effect: string;
}

/** A feature that moved to another crate (`wasmtime-wasi/sync` -> `wasi-common/sync`): a crate migration. */
export interface FeatureMove {
  readonly feature: string;
  readonly toCrate: string;
  readonly toFeature: string | undefined;
  readonly rule: FeatureRule;
}

export interface MigratedFeatures {
  readonly features: readonly string[];
  readonly applied: readonly AppliedRule[];
  readonly moves: readonly FeatureMove[];
}

export interface MigrationInput {
  readonly crate: string;
  /** The release the entry asks for now (the lowest its requirement admits). */
  readonly from: string;
  /** The release it goes to. */
  readonly to: string;
  readonly features: readonly string[];
  /** Whether the entry builds with the crate's default features (cargo's effective value). */
  readonly usesDefaults: boolean;
  readonly data: ReleaseData;
}

/**
 * Carries a feature list from one release to another by the rules of migrations.json, applied in version order
 * and chained (memfd -> memory-init-cow -> dropped; preview1-on-preview2 -> preview1 -> p1). Going down, the
 * reversible rules run backwards. Features the target release lacks are left for the caller to report.
 */
export function migrateFeatures(input: MigrationInput): MigratedFeatures {
  const from = semver.coerce(input.from, { includePrerelease: true });
  const to = semver.coerce(input.to, { includePrerelease: true });
  if (!from || !to || semver.eq(from, to)) return { features: [...input.features], applied: [], moves: [] };
  const up = semver.lt(from, to);
  const [lo, hi] = up ? [from, to] : [to, from];
  const rules = [...rulesBetween(input.data, input.crate, lo, hi)];
  const state = new FeatureState(input.features);
  const applied: AppliedRule[] = [];
  const moves: FeatureMove[] = [];
  const record = (rule: FeatureRule, effect: string): void => {
    applied.push({ crate: input.crate, rule, direction: up ? 'up' : 'down', effect });
  };

  if (up) {
    for (const rule of rules) applyUp(rule, state, input, record, moves);
  } else {
    for (const rule of rules.reverse()) applyDown(rule, state, input, record, rules);
  }
  return { features: state.list, applied, moves };
}

// A monorepo asks the same few questions (this crate, from this release to that one) for hundreds of entries.
const between = new WeakMap<ReleaseData, Map<string, readonly FeatureRule[]>>();

/** The crate's rules with a version in (lo, hi], in version order. */
function rulesBetween(data: ReleaseData, crate: string, lo: semver.SemVer, hi: semver.SemVer): readonly FeatureRule[] {
  let cache = between.get(data);
  if (!cache) between.set(data, (cache = new Map()));
  const id = `${crate} ${lo.version} ${hi.version}`;
  let rules = cache.get(id);
  if (!rules) {
    rules = data
      .migrations()
      .rules.filter((r) => r.crate === crate)
      .filter((r) => {
        const v = ruleVersion(r);
        return semver.gt(v, lo) && semver.lte(v, hi);
      })
      .sort((a, b) => semver.compare(ruleVersion(a), ruleVersion(b)));
    cache.set(id, rules);
  }
  return rules;
}

function applyUp(
  rule: FeatureRule,
  state: FeatureState,
  input: MigrationInput,
  record: (rule: FeatureRule, effect: string) => void,
  moves: FeatureMove[],
): void {
  const f = rule.feature;
  switch (rule.action) {
    case 'rename':
    case 'split':
      if (state.has(f)) {
        state.replace(f, rule.to);
        record(rule, `\`${f}\` -> ${rule.to.map((t) => `\`${t}\``).join(', ')}`);
      }
      return;
    case 'drop-always-on':
    case 'drop-removed':
      if (state.has(f)) {
        state.replace(f, []);
        record(rule, `dropped \`${f}\``);
      }
      return;
    case 'replace-with-crate':
      if (state.has(f)) {
        state.replace(f, []);
        for (const t of rule.to) {
          const [toCrate, toFeature] = t.split('/') as [string, string | undefined];
          moves.push({ feature: f, toCrate, toFeature, rule });
        }
        record(rule, `\`${f}\` moved to ${rule.to.map((t) => `\`${t}\``).join(', ')}`);
      }
      return;
    case 'semantic-change':
      semanticUp(rule, state, input, record);
      return;
  }
}

/**
 * A semantic change is one of two kinds. A feature that became default-on at that release (the code moved
 * behind it): builds without default features add the rule's features. Otherwise the feature itself changed
 * meaning: entries that use it add the rule's features (`onnx` -> `onnx-download`), and drop the old name when
 * every new feature implies it.
 */
function semanticUp(rule: FeatureRule, state: FeatureState, input: MigrationInput, record: (rule: FeatureRule, effect: string) => void): void {
  const f = rule.feature;
  if (rule.removedIn !== undefined) {
    // A removed feature with a replacement (wasmtime-cli-flags `default`): used by name, or through the defaults.
    if (state.has(f) || (f === 'default' && input.usesDefaults)) {
      state.replace(f, []);
      const added = state.add(rule.to);
      if (added.length > 0 || f !== 'default') record(rule, `\`${f}\` -> ${rule.to.map((t) => `\`${t}\``).join(', ') || 'nothing'}`);
    }
    return;
  }
  if (becameDefault(rule, input.data)) {
    if (input.usesDefaults || rule.to.length === 0) return;
    const added = state.add(rule.to);
    if (added.length > 0) record(rule, `added ${added.map((t) => `\`${t}\``).join(', ')} (default-features = false)`);
    return;
  }
  if (!state.has(f) || rule.to.length === 0) return;
  const added = state.add(rule.to);
  const target = input.data.release(input.crate, input.to);
  const implied = target?.featureDefs && rule.to.every((t) => target.featureDefs?.[t]?.includes(f));
  if (implied) state.replace(f, []);
  if (added.length > 0) record(rule, implied ? `\`${f}\` -> ${added.map((t) => `\`${t}\``).join(', ')}` : `added ${added.map((t) => `\`${t}\``).join(', ')}`);
}

/** Going down: renames and feature-level semantic changes undo; drops and moves cannot be undone. */
function applyDown(
  rule: FeatureRule,
  state: FeatureState,
  input: MigrationInput,
  record: (rule: FeatureRule, effect: string) => void,
  all: readonly FeatureRule[],
): void {
  const f = rule.feature;
  if (rule.action === 'rename' && rule.to.length === 1) {
    const t = rule.to[0]!;
    // `profiling` came from both `jitdump` and `vtune`: which one to go back to cannot be known.
    const ambiguous = all.some((r) => r !== rule && r.action === 'rename' && r.to.includes(t) && ruleVersion(r) === ruleVersion(rule));
    if (!ambiguous && state.has(t)) {
      state.replace(t, [f]);
      record(rule, `\`${t}\` -> \`${f}\``);
    }
    return;
  }
  if (rule.action !== 'semantic-change' || rule.to.length === 0) return;
  const target = input.data.release(input.crate, input.to);
  if (rule.removedIn === undefined && !becameDefault(rule, input.data) && rule.to.some((t) => state.has(t))) {
    state.replace(rule.to.find((t) => state.has(t))!, [f]);
    for (const t of rule.to) state.replace(t, []);
    record(rule, `${rule.to.map((t) => `\`${t}\``).join(', ')} -> \`${f}\``);
    return;
  }
  // Features added for builds without defaults do not exist below the release that introduced them.
  const gone = rule.to.filter((t) => state.has(t) && target !== undefined && !target.features.has(t));
  if (gone.length > 0) {
    for (const t of gone) state.replace(t, []);
    record(rule, `dropped ${gone.map((t) => `\`${t}\``).join(', ')}`);
  }
}

/** Whether the rule's feature joined `default` at the rule's release (it was not a default feature before). */
function becameDefault(rule: FeatureRule, data: ReleaseData): boolean {
  const v = ruleVersion(rule);
  const versions = data.versions(rule.crate);
  const at = versions.find((r) => !semver.lt(r.version, v));
  const before = [...versions].reverse().find((r) => semver.lt(r.version, v) && !semver.prerelease(r.version));
  if (!at) return false;
  return at.defaultFeatures.includes(rule.feature) && !(before?.defaultFeatures.includes(rule.feature) ?? false);
}

export function ruleVersion(rule: FeatureRule): string {
  return (rule.removedIn ?? rule.changedIn)!;
}

/** An ordered feature list without duplicates; replacements keep the position of what they replace. */
class FeatureState {
  list: string[];
  constructor(features: readonly string[]) {
    this.list = [...new Set(features)];
  }
  has(f: string): boolean {
    return this.list.includes(f);
  }
  replace(f: string, by: readonly string[]): void {
    const i = this.list.indexOf(f);
    if (i < 0) return;
    const fresh = by.filter((b) => !this.list.includes(b));
    this.list.splice(i, 1, ...fresh);
  }
  /** Appends the features not there yet; returns those. */
  add(features: readonly string[]): string[] {
    const fresh = features.filter((f) => !this.list.includes(f));
    this.list.push(...fresh);
    return fresh;
  }
}
