import * as semver from '../semver.js';
import type { FeatureRule, ReleaseData } from '../family/release-data.js';
import { FeatureState, ruleVersion } from './feature-rules.js';
import { decideSemantic, type Crossing, type SemanticDecision } from './semantic-rules.js';

export { ruleVersion };

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
  /** Every semantic-change rule crossed, with its outcome (the applied ones are in `applied` too). */
  readonly semantic: readonly SemanticDecision[];
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
  /** A dependency entry's own features, or one `[features]` item naming a dependency's feature (see Crossing). */
  readonly subject: Crossing['subject'];
  readonly data: ReleaseData;
}

/**
 * Carries a feature list from one release to another by the rules of migrations.json, applied in version order
 * and chained (memfd -> memory-init-cow -> dropped; preview1-on-preview2 -> preview1 -> p1). Going down, the
 * reversible rules run backwards. Every semantic-change rule crossed gets an outcome (semantic-rules.ts). Features
 * the target release lacks are left for the caller to report.
 */
export function migrateFeatures(input: MigrationInput): MigratedFeatures {
  const from = semver.coerce(input.from, { includePrerelease: true });
  const to = semver.coerce(input.to, { includePrerelease: true });
  if (!from || !to || semver.eq(from, to)) return { features: [...input.features], applied: [], moves: [], semantic: [] };
  const up = semver.lt(from, to);
  const [lo, hi] = up ? [from, to] : [to, from];
  const rules = [...rulesBetween(input.data, input.crate, lo, hi)];
  const state = new FeatureState(input.features);
  const applied: AppliedRule[] = [];
  const moves: FeatureMove[] = [];
  const semantic: SemanticDecision[] = [];
  const record = (rule: FeatureRule, effect: string): void => {
    applied.push({ crate: input.crate, rule, direction: up ? 'up' : 'down', effect });
  };
  const crossing: Crossing = {
    direction: up ? 'up' : 'down',
    subject: input.subject,
    usesDefaults: input.usesDefaults,
    target: input.data.release(input.crate, input.to),
  };

  for (const rule of up ? rules : rules.reverse()) {
    if (rule.action === 'semantic-change') {
      const outcome = decideSemantic(rule, state, crossing, input.data);
      semantic.push({ rule, outcome });
      if (outcome.kind === 'applied') record(rule, outcome.effect);
    } else if (up) {
      applyUp(rule, state, record, moves);
    } else {
      applyDown(rule, state, record, rules);
    }
  }
  return { features: state.list, applied, moves, semantic };
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

/** Going up: renames, drops and moves to another crate (semantic changes are decided apart). */
function applyUp(rule: FeatureRule, state: FeatureState, record: (rule: FeatureRule, effect: string) => void, moves: FeatureMove[]): void {
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
      return;
  }
}

/** Going down: renames undo (unless ambiguous); drops and moves cannot be undone. */
function applyDown(rule: FeatureRule, state: FeatureState, record: (rule: FeatureRule, effect: string) => void, all: readonly FeatureRule[]): void {
  if (rule.action !== 'rename' || rule.to.length !== 1) return;
  const [f, t] = [rule.feature, rule.to[0]!];
  // `profiling` came from both `jitdump` and `vtune`: which one to go back to cannot be known.
  const ambiguous = all.some((r) => r !== rule && r.action === 'rename' && r.to.includes(t) && ruleVersion(r) === ruleVersion(rule));
  if (!ambiguous && state.has(t)) {
    state.replace(t, [f]);
    record(rule, `\`${t}\` -> \`${f}\``);
  }
}
