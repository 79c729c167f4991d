/**
 * Semantic-change rules (migrations.json `action: "semantic-change"`): at some release, what a build gets changed
 * although no feature was renamed. Every such rule that an entry's upgrade or downgrade crosses gets exactly one
 * outcome: applied (a feature change keeps what the entry built), reported (no feature change can: a warning with
 * the rule's note and evidence), or not affected (the entry builds the same on both sides). None is skipped.
 */
import * as semver from '../semver.js';
import type { CrateRelease, FeatureRule, ReleaseData } from '../family/release-data.js';
import { ruleVersion, type FeatureState } from './feature-rules.js';

/** What a rule says, read from the rule and from the releases on either side of it. */
export type SemanticShape =
  /** Code that every build had moved behind new default-on features (`runtime` at 18, `anyhow` at 42). */
  | { readonly kind: 'new-default'; readonly gates: readonly string[] }
  /** A feature that existed, opt-in, joined `default` (`component-model-async` at 39). */
  | { readonly kind: 'joined-default' }
  /** A removed feature whose replacements are to be named instead (wasmtime-cli-flags `default` at 15). */
  | { readonly kind: 'removed'; readonly replacement: readonly string[] }
  /** The feature itself means something else; `restore` gives back the old meaning (`onnx` at 35: `onnx-download`). */
  | { readonly kind: 'redefined'; readonly restore: readonly string[] }
  /** Its definition changed only by renames that other rules carry (wasmtime-wasi `p3` at 46): same meaning. */
  | { readonly kind: 'same-meaning' };

export type SemanticOutcome =
  | { readonly kind: 'applied'; readonly effect: string }
  /** `effect`: features that had to go all the same (they do not exist on the other side). */
  | { readonly kind: 'reported'; readonly why: string; readonly effect?: string }
  | { readonly kind: 'not-affected' };

export interface SemanticDecision<O extends SemanticOutcome = SemanticOutcome> {
  readonly rule: FeatureRule;
  readonly outcome: O;
}

export type ReportedRule = SemanticDecision<Extract<SemanticOutcome, { kind: 'reported' }>>;

export function isReported(d: SemanticDecision): d is ReportedRule {
  return d.outcome.kind === 'reported';
}

/** What is known of the features crossing a rule. */
export interface Crossing {
  readonly direction: 'up' | 'down';
  /**
   * `entry`: a dependency entry, which decides on its default features. `reference`: a `[features]` item naming a
   * dependency's feature; rules about default features are its entry's business, not the item's.
   */
  readonly subject: 'entry' | 'reference';
  /** Whether the dependency builds with its default features (for a reference: its entry's). */
  readonly usesDefaults: boolean;
  /** The release the entry goes to (undefined: not in the data). */
  readonly target: CrateRelease | undefined;
}

/** Decides one crossed rule, editing `state` when the outcome is applied (or forced: see `reported.effect`). */
export function decideSemantic(rule: FeatureRule, state: FeatureState, crossing: Crossing, data: ReleaseData): SemanticOutcome {
  const { shape, before, at } = factsOf(rule, data);
  const x: Context = { f: rule.feature, v: ruleVersion(rule), crate: rule.crate, state, c: crossing, before, at };
  const up = crossing.direction === 'up';
  switch (shape.kind) {
    case 'new-default':
      return up ? newDefaultUp(x, shape.gates) : newDefaultDown(x, shape.gates);
    case 'joined-default':
      return joinedDefault(x);
    case 'removed':
      return up ? removedUp(x, shape.replacement) : removedDown(x, shape.replacement);
    case 'redefined':
      return up ? redefinedUp(x, shape.restore) : redefinedDown(x, shape.restore);
    case 'same-meaning':
      return NOT_AFFECTED; // what the feature enables is renamed by the enabled crate's own rules, which run too
  }
}

export function shapeOf(rule: FeatureRule, data: ReleaseData): SemanticShape {
  return factsOf(rule, data).shape;
}

/** A rule's shape and the crate's releases on either side of it: the last stable one before, the first at or after. */
interface RuleFacts {
  readonly shape: SemanticShape;
  readonly before: CrateRelease | undefined;
  readonly at: CrateRelease | undefined;
}

// Hundreds of entries cross the same few rules.
const facts = new WeakMap<ReleaseData, Map<FeatureRule, RuleFacts>>();

function factsOf(rule: FeatureRule, data: ReleaseData): RuleFacts {
  let cache = facts.get(data);
  if (!cache) facts.set(data, (cache = new Map()));
  let known = cache.get(rule);
  if (!known) {
    const v = ruleVersion(rule);
    const versions = data.versions(rule.crate);
    const at = versions.find((r) => !semver.lt(r.version, v));
    const before = [...versions].reverse().find((r) => semver.lt(r.version, v) && !semver.prerelease(r.version));
    cache.set(rule, (known = { shape: classify(rule, before, at, data), before, at }));
  }
  return known;
}

/**
 * From the data alone: a removal is `removed`; a feature that is in `default` at the rule's release and was not
 * just before is `new-default` when it did not exist before (the code it gates was always built) and
 * `joined-default` when it did (every such rule has an empty `to`); otherwise the feature was redefined, or kept
 * its meaning when its definition differs only by renames.
 */
function classify(rule: FeatureRule, before: CrateRelease | undefined, at: CrateRelease | undefined, data: ReleaseData): SemanticShape {
  if (rule.removedIn !== undefined) return { kind: 'removed', replacement: rule.to };
  const f = rule.feature;
  if (at?.defaultFeatures.includes(f) && !before?.defaultFeatures.includes(f)) {
    return before?.features.has(f) ? { kind: 'joined-default' } : { kind: 'new-default', gates: rule.to.length > 0 ? rule.to : [f] };
  }
  if (rule.to.length === 0 && sameDefinition(rule, before, at, data)) return { kind: 'same-meaning' };
  return { kind: 'redefined', restore: rule.to };
}

/** The feature's definitions on both sides are equal once the rename rules of that release map the older one. */
function sameDefinition(rule: FeatureRule, before: CrateRelease | undefined, at: CrateRelease | undefined, data: ReleaseData): boolean {
  const old = before?.featureDefs?.[rule.feature];
  const now = at?.featureDefs?.[rule.feature];
  if (!old || !now) return false;
  const v = ruleVersion(rule);
  const renamed = old.map((item) => {
    const m = /^([^/?]+)(\??)\/(.+)$/.exec(item); // `wasmtime/component-model-async-bytes`
    const r = m && data.migrations().rules.find((r) => r.crate === m[1] && r.feature === m[3] && r.action === 'rename' && r.to.length === 1 && ruleVersion(r) === v);
    return r ? `${m![1]}${m![2]}/${r.to[0]}` : item;
  });
  return renamed.length === now.length && renamed.every((item) => now.includes(item));
}

interface Context {
  /** The rule's feature, version and crate. */
  readonly f: string;
  readonly v: string;
  readonly crate: string;
  readonly state: FeatureState;
  readonly c: Crossing;
  readonly before: CrateRelease | undefined;
  readonly at: CrateRelease | undefined;
}

const NOT_AFFECTED: SemanticOutcome = { kind: 'not-affected' };
const applied = (effect: string): SemanticOutcome => ({ kind: 'applied', effect });
const reported = (why: string, effect?: string): SemanticOutcome => ({ kind: 'reported', why, ...(effect ? { effect } : {}) });
const list = (names: readonly string[]): string => names.map((n) => `\`${n}\``).join(', ');

// new-default. Affected: an entry without default features (going up it lacks the gates unless it names them).
// Going down, the gates do not exist and what they guard is always built: an entry naming them drops them, and an
// entry without default features that did not name one now builds its code (reported). Entries with default
// features build the gated code on both sides; a reference leaves the gates to its entry (up) or drops them (down).

function newDefaultUp(x: Context, gates: readonly string[]): SemanticOutcome {
  if (x.c.subject === 'reference' || x.c.usesDefaults) return NOT_AFFECTED;
  const added = x.state.add(gates);
  return added.length > 0 ? applied(`added ${list(added)} (default-features = false)`) : NOT_AFFECTED;
}

function newDefaultDown(x: Context, gates: readonly string[]): SemanticOutcome {
  const target = x.c.target;
  const gone = target ? gates.filter((g) => !target.features.has(g)) : [];
  const unnamed = gone.filter((g) => !x.state.has(g));
  const dropped = x.state.drop(gone);
  const effect = dropped.length > 0 ? `dropped ${list(dropped)}` : undefined;
  if (x.c.subject === 'entry' && !x.c.usesDefaults && unnamed.length > 0) {
    return reported(`${list(unnamed)} ${unnamed.length > 1 ? 'go' : 'goes'} away and the code behind ${unnamed.length > 1 ? 'them' : 'it'} is always built`, effect);
  }
  return effect ? applied(effect) : NOT_AFFECTED;
}

// joined-default. Affected: an entry with default features that does not name the feature: going up it starts
// building it (reported: features only add), going down it stops (applied: it names the feature, when the target
// has it). Entries without default features, and references, build the same on both sides.

function joinedDefault(x: Context): SemanticOutcome {
  if (x.c.subject === 'reference' || !x.c.usesDefaults || x.state.has(x.f)) return NOT_AFFECTED;
  if (x.c.direction === 'up') return reported(`\`${x.f}\` became a default feature, so this entry now builds it`);
  if (!x.c.target?.features.has(x.f)) return reported(`this entry loses \`${x.f}\`, which ${x.crate} ${x.c.target?.version ?? 'there'} lacks`);
  x.state.add([x.f]);
  return applied(`added \`${x.f}\` (a default feature from ${x.v} on)`);
}

// removed. Affected: an entry or reference naming the feature, and an entry with default features when the
// feature is `default` itself or was one of the defaults. Going up the replacement is named instead. Going down the
// old feature comes back and the replacement may not exist (it is dropped): no feature list says the same.

/** Whether the removed feature is (up) or comes back (down) in an entry's build through its default features. */
function removedViaDefaults(x: Context): boolean {
  return x.c.subject === 'entry' && x.c.usesDefaults && (x.f === 'default' || (x.before?.defaultFeatures.includes(x.f) ?? false));
}

function removedUp(x: Context, replacement: readonly string[]): SemanticOutcome {
  const named = x.state.has(x.f);
  if (!named && !removedViaDefaults(x)) return NOT_AFFECTED;
  const added = replacement.filter((t) => !x.state.has(t));
  if (!named && added.length === 0) return NOT_AFFECTED;
  if (named) x.state.replace(x.f, replacement);
  else x.state.add(replacement);
  return applied(`\`${x.f}\` -> ${list(replacement) || 'nothing'}`);
}

function removedDown(x: Context, replacement: readonly string[]): SemanticOutcome {
  const target = x.c.target;
  const dropped = x.state.drop(target ? replacement.filter((t) => !target.features.has(t)) : []);
  const comesBack = x.state.has(x.f) || removedViaDefaults(x); // `dep/default` is always a valid name
  if (dropped.length === 0 && !comesBack) return NOT_AFFECTED;
  return reported(`\`${x.f}\` comes back in place of ${list(replacement)}`, dropped.length > 0 ? `dropped ${list(dropped)}` : undefined);
}

// redefined. Affected: an entry or reference enabling the feature (by name; an entry also through its defaults),
// unless the entry's default features bring every restoring feature at that release. Going up the restoring
// features are added (replacing the feature when they imply it); going down they turn back into the feature. With
// nothing to restore, or going down to a feature that now means more, no feature list says the same: reported.

function redefinedAffects(x: Context, restore: readonly string[]): boolean {
  const enabled = x.state.has(x.f) || (x.c.subject === 'entry' && x.c.usesDefaults && (x.at?.defaultFeatures.includes(x.f) ?? false));
  const covered = x.c.usesDefaults && restore.length > 0 && restore.every((t) => x.at?.defaultFeatures.includes(t));
  return enabled && !covered;
}

function redefinedUp(x: Context, restore: readonly string[]): SemanticOutcome {
  if (!redefinedAffects(x, restore)) return NOT_AFFECTED;
  if (restore.length === 0) return reported(`\`${x.f}\` changes meaning`);
  const added = restore.filter((t) => !x.state.has(t));
  if (added.length === 0) return NOT_AFFECTED;
  // `onnx-download` = [`onnx`, ...]: the feature itself need not stay.
  if (x.state.has(x.f) && restore.every((t) => x.c.target?.featureDefs?.[t]?.includes(x.f))) {
    x.state.replace(x.f, restore);
    return applied(`\`${x.f}\` -> ${list(added)}`);
  }
  x.state.add(restore);
  return applied(`added ${list(added)}`);
}

function redefinedDown(x: Context, restore: readonly string[]): SemanticOutcome {
  const back = restore.filter((t) => x.state.has(t));
  if (back.length > 0) {
    x.state.replace(back[0]!, [x.f]);
    x.state.drop(back);
    return applied(`${list(back)} -> \`${x.f}\``);
  }
  if (!redefinedAffects(x, restore)) return NOT_AFFECTED;
  if (restore.length === 0) return reported(`\`${x.f}\` changes meaning`);
  return reported(`\`${x.f}\` goes back to what ${list(restore)} ${restore.length > 1 ? 'do' : 'does'} now`);
}
