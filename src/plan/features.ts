import type { AST } from 'toml-eslint-parser';
import { UserError, type ErrorSink, type SourceLocation } from '../errors.js';
import type { ReleaseData, CrateRelease, FeatureRule } from '../family/release-data.js';
import { keyName, type DependencyEntry } from '../manifest/dependencies.js';
import { entryLocation, nodeLocation, valueLocation } from '../manifest/locate.js';
import type { Manifest } from '../manifest/read.js';
import type { Changes } from './changes.js';
import type { CrateMoves } from './crate-moves.js';
import { migrateFeatures, ruleVersion, type AppliedRule, type FeatureMove } from './migrate-features.js';
import { isReported, type ReportedRule } from './semantic-rules.js';
import type { EntryValue, Finding, MigrationNote } from './types.js';
import { groupBy } from './util.js';
import { featuresOf, usesDefaultFeatures, withFeatures } from './values.js';

/** What the feature pass needs to know about one root. */
export interface FeatureContext {
  readonly data: ReleaseData;
  /** The release an entry's crate goes to (undefined: the entry is not moving to a known release). */
  readonly targetOf: (e: DependencyEntry) => string | undefined;
  /** The release an entry's requirement asks for now (its lowest admitted version). */
  readonly fromOf: (e: DependencyEntry) => string | undefined;
  readonly packageOf: (e: DependencyEntry) => string;
  readonly wsByKey: ReadonlyMap<string, DependencyEntry>;
  /** Drop features the target release lacks (with a warning) instead of stopping. */
  readonly dropUnknown: boolean;
  /** Keys crate migrations renamed or made required: `[features]` items naming them follow. */
  readonly moves: CrateMoves;
  /** Where errors go (an unknown feature, ...): every one is reported, then the root stops. */
  readonly errors: ErrorSink;
  /** Whether crate migrations may be applied (a `[features]` item whose feature moved to another crate). */
  readonly applyCrateMigrations: boolean;
}

export interface FeatureOutcome {
  readonly migrations: MigrationNote[];
  readonly findings: Finding[];
  /** Features that moved to another crate: crate migrations the caller decides on. */
  readonly moves: { readonly entry: DependencyEntry; readonly move: FeatureMove }[];
}

/**
 * Carries every family entry's features (workspace entries first, then members) and every `[features]`
 * reference to a family dependency to the target release, then checks that each feature exists there.
 */
export function migrateRootFeatures(entries: readonly DependencyEntry[], manifests: readonly Manifest[], changes: Changes, ctx: FeatureContext): FeatureOutcome {
  const out: FeatureOutcome = { migrations: [], findings: [], moves: [] };
  const ordered = [...entries.filter((e) => e.table.scope === 'workspace'), ...entries.filter((e) => e.table.scope === 'package')];
  const reported = new Map<DependencyEntry, Set<FeatureRule>>();
  for (const e of ordered) migrateEntry(e, changes, ctx, out, reported);
  const byManifest = groupBy(entries.filter((e) => e.table.scope === 'package'), (e) => e.manifest.path);
  // Without a family entry nothing in a manifest's [features] can name one (nor need its syntax tree).
  for (const m of manifests) {
    const own = byManifest.get(m.path);
    if (own) migrateReferences(m, own, changes, ctx, out);
  }
  return out;
}

/** `reported`: the semantic rules each workspace entry was warned about, which its inheriting members need not repeat. */
function migrateEntry(e: DependencyEntry, changes: Changes, ctx: FeatureContext, out: FeatureOutcome, reported: Map<DependencyEntry, Set<FeatureRule>>): void {
  const to = ctx.targetOf(e);
  if (to === undefined) return;
  const crate = ctx.packageOf(e);
  const planned = changes.valueOf(e);
  const own = featuresOf(planned);
  // The workspace entry it inherits: already, or once lifted by this plan (its planned value says `workspace = true`).
  const ws = e.source === 'inherited' || (e.table.scope === 'package' && typeof planned === 'object' && planned.workspace === true) ? ctx.wsByKey.get(e.key) : undefined;
  const usesDefaults = entryUsesDefaults(e, changes, ctx);
  const from = ctx.fromOf(e);
  let features = own;
  let applied: readonly AppliedRule[] = [];
  if (from !== undefined) {
    const m = migrateFeatures({ crate, from, to, features: own, usesDefaults, subject: 'entry', data: ctx.data });
    features = [...m.features];
    applied = m.applied;
    for (const move of m.moves) out.moves.push({ entry: e, move });
    const already = ws ? reported.get(ws) : undefined;
    const mine = m.semantic.filter(isReported).filter((d) => !already?.has(d.rule));
    reported.set(e, new Set(mine.map((d) => d.rule)));
    for (const d of mine) out.findings.push(semanticWarning(entryLocation(e), `\`${e.key}\``, d));
    if (ws) {
      // What the workspace entry (already migrated) enables, an inheriting member need not add again.
      const inherited = new Set(featuresOf(changes.valueOf(ws)));
      features = features.filter((f) => own.includes(f) || !inherited.has(f));
    }
  }
  const release = ctx.data.release(crate, to);
  if (release) features = checkFeatures(features, release, valueLocation(e, 'features'), `\`${e.key}\``, ctx, out, beforeOf(crate, from, own, ctx));
  if (!sameList(features, own)) {
    changes.set(e, withFeatures(planned, features), 'features');
    const loc = entryLocation(e);
    for (const a of applied) out.migrations.push(migrationNote(loc, e.key, crate, from!, to, a));
  }
}

/** Whether the entry builds with its crate's default features, as planned (an inheriting member: with its workspace entry). */
function entryUsesDefaults(e: DependencyEntry, changes: Changes, ctx: FeatureContext): boolean {
  const planned = changes.valueOf(e);
  return e.source === 'inherited' ? usesDefaultFeatures(planned, ctx.wsByKey.get(e.key)?.value ?? {}) : usesDefaultFeatures(planned);
}

/**
 * `[features]` items naming a family dependency's feature: `"wasmtime/jitdump"`, `"wt?/vtune"`. `entries` are the
 * manifest's own family entries.
 */
function migrateReferences(m: Manifest, entries: readonly DependencyEntry[], changes: Changes, ctx: FeatureContext, out: FeatureOutcome): void {
  const byKey = new Map(entries.map((e) => [e.key, e]));
  const table = m.ast.body[0]!.body.find((n): n is AST.TOMLTable => n.type === 'TOMLTable' && n.resolvedKey.length === 1 && n.resolvedKey[0] === 'features');
  if (!table) return;
  const featureNames = new Set(table.body.map((kv) => keyName(kv.key.keys[0]!)));
  // Where `dep:x` appears anywhere, cargo makes no implicit feature `x`: an item enabling x must say `dep:x`.
  const depSyntax = new Set(
    table.body.flatMap((kv) => (kv.value.type === 'TOMLArray' ? kv.value.elements : [])).flatMap((el) => {
      const v = el.type === 'TOMLValue' && el.kind === 'string' ? el.value : '';
      return v.startsWith('dep:') ? [v.slice(4)] : [];
    }),
  );
  for (const kv of table.body) {
    if (kv.key.keys.length !== 1 || kv.value.type !== 'TOMLArray') continue;
    const name = keyName(kv.key.keys[0]!);
    const replacements = new Map<number, readonly string[]>();
    const after: string[] = [];
    kv.value.elements.forEach((el, i) => {
      const item = el.type === 'TOMLValue' && el.kind === 'string' ? el.value : undefined;
      if (item === undefined) return;
      const items = followItem(item, { m, name, loc: nodeLocation(m, el), byKey, featureNames, depSyntax, changes, ctx, out }).filter((x) => !after.includes(x));
      after.push(...items);
      if (!sameList(items, [item])) replacements.set(i, items);
    });
    if (replacements.size > 0) {
      changes.push({ kind: 'array', manifest: m, path: ['features', name], array: kv.value, replacements, after, reasons: ['features'] });
    }
  }
}

/** What one `[features]` item becomes, and what it needs to know. */
interface ItemContext {
  readonly m: Manifest;
  /** The feature the item belongs to. */
  readonly name: string;
  readonly loc: SourceLocation;
  readonly byKey: ReadonlyMap<string, DependencyEntry>;
  readonly featureNames: ReadonlySet<string>;
  readonly depSyntax: ReadonlySet<string>;
  readonly changes: Changes;
  readonly ctx: FeatureContext;
  readonly out: FeatureOutcome;
}

/**
 * One `[features]` item carried along: the dependency it names follows a crate migration (`x`, `dep:x`, `x/f`,
 * `x?/f`), a dependency feature follows the feature rules, and an item that enabled an optional dependency keeps
 * enabling it even when its feature is dropped (only a weak `x?/f` may go). Items naming a dependency a merge made
 * required: `x` goes (the code is always built now), `x?/f` becomes `x/f`, `dep:x` cannot be kept (an error).
 */
function followItem(item: string, ic: ItemContext): string[] {
  const { m, name, loc, ctx } = ic;
  const ref = /^(?:(dep:)([^/?]+)|([^/?]+)(\??)\/(.+)|([^/?:]+))$/.exec(item);
  if (!ref) return [item];
  const [, depPrefix, depName, refDep, weakMark, feature, plain] = ref;
  const original = depName ?? refDep ?? plain!;
  // A plain item names a feature of this package when one has that name; only otherwise an optional dependency.
  if (plain !== undefined && ic.featureNames.has(plain)) return [item];
  const dep = ctx.moves.keyOf(m, original);
  const required = ctx.moves.isMadeRequired(m, dep);
  if (depPrefix !== undefined || plain !== undefined) {
    if (!required) return [depPrefix !== undefined ? `dep:${dep}` : dep];
    if (depPrefix !== undefined) {
      ctx.errors.add(new UserError(`\`${item}\` in [features] ${name} enables \`${dep}\` as an optional dependency, but the crate migration merged it into a required one; make the feature and the dependency agree by hand, then run again`, loc));
      return [item];
    }
    ic.out.findings.push({ level: 'note', ...loc, message: `\`${item}\` in [features] ${name} dropped: \`${dep}\` is required after the crate migration, so it is always built` });
    return [];
  }
  const weak = weakMark === '?' && !required ? '?' : '';
  const e = ic.byKey.get(dep);
  const moved: string[] = [];
  const to = e ? ctx.targetOf(e) : undefined;
  let features = [feature!];
  if (e !== undefined && to !== undefined) {
    const crate = ctx.packageOf(e);
    const from = ctx.fromOf(e);
    if (from !== undefined) {
      const usesDefaults = entryUsesDefaults(e, ic.changes, ctx);
      const migrated = migrateFeatures({ crate, from, to, features, usesDefaults, subject: 'reference', data: ctx.data });
      features = [...migrated.features];
      for (const a of migrated.applied) ic.out.migrations.push(migrationNote(loc, `[features] ${name}`, crate, from, to, a));
      // The feature stays switched on by this item, now on the crate it moved to: never on that crate's entry,
      // where it would be built whether or not the feature is on.
      for (const move of migrated.moves) moved.push(...movedItem(item, e, move, weak !== '', ic));
      for (const d of migrated.semantic.filter(isReported)) ic.out.findings.push(semanticWarning(loc, `\`${item}\` in [features] ${name}`, d));
    }
    const release = ctx.data.release(crate, to);
    if (release) features = checkFeatures(features, release, loc, `\`${item}\` in [features] ${name}`, ctx, ic.out, beforeOf(crate, from, [feature!], ctx));
  }
  // Two old names can become one (`jitdump`, `vtune` -> `profiling`): the list keeps it once.
  const items = features.map((f) => `${dep}${weak}/${f}`);
  // `x/f` also switched the optional dependency x on; with f gone, the item must still do that.
  const optional = e !== undefined && isOptional(ic.changes.valueOf(e));
  if (items.length === 0 && weak === '' && optional) items.push(ic.depSyntax.has(dep) ? `dep:${dep}` : dep);
  return [...items, ...moved.filter((x) => !items.includes(x))];
}

function isOptional(v: EntryValue): boolean {
  return typeof v === 'object' && v.optional === true;
}

/**
 * `"wasmtime-wasi/sync"` when wasmtime-wasi's `sync` moved to wasi-common: `"wasi-common/sync"`, naming the
 * manifest's entry for that crate (the same table's first). A strong item also switches that entry on where it is
 * optional (the moved code is what the feature asked for; a note says so); a weak one stays weak where it can
 * (`"wasi-common?/sync"`), and where the entry is required it can only become strong, with a note that the
 * condition on the old dependency is gone.
 */
function movedItem(item: string, from: DependencyEntry, move: FeatureMove, weak: boolean, ic: ItemContext): string[] {
  const { name, loc, ctx } = ic;
  const what = `\`${item}\` in [features] ${name}: ${from.package}'s \`${move.feature}\` moved to ${move.toCrate}${move.toFeature ? ` (\`${move.toFeature}\`)` : ''}`;
  const candidates = [...ic.byKey.values()].filter((o) => o.table.scope === 'package' && ctx.packageOf(o) === move.toCrate);
  const sibling = candidates.find((o) => JSON.stringify(o.table) === JSON.stringify(from.table)) ?? candidates[0];
  if (!ctx.applyCrateMigrations) throw new UserError(`${what}; --apply-crate-migrations makes the item name ${sibling ? `\`${sibling.key}\`` : 'that crate'}`, loc);
  if (!sibling) throw new UserError(`${what}; add ${move.toCrate} to the manifest's dependencies by hand, then run again`, loc);
  const key = sibling.key;
  const optional = isOptional(ic.changes.valueOf(sibling));
  if (move.toFeature === undefined) {
    // The feature became the crate itself: the item switches it on where it is optional.
    if (!optional || weak) return [];
    ic.out.findings.push({ level: 'note', ...loc, message: `${what}: it now switches on the optional \`${key}\`` });
    return [ic.depSyntax.has(key) ? `dep:${key}` : key];
  }
  let features = [move.toFeature];
  const to = ctx.targetOf(sibling);
  const release = to === undefined ? undefined : ctx.data.release(ctx.packageOf(sibling), to);
  if (release) features = checkFeatures(features, release, loc, `\`${item}\` in [features] ${name}`, ctx, ic.out);
  if (features.length === 0) return [];
  const mark = weak && optional ? '?' : '';
  if (weak && !optional) {
    ic.out.findings.push({ level: 'note', ...loc, message: `${what}: \`${key}\` is required, so the item becomes \`${key}/${move.toFeature}\` and no longer depends on whether \`${from.key}\` is on` });
  } else if (weak) {
    ic.out.findings.push({ level: 'note', ...loc, message: `${what}: the item becomes \`${key}?/${move.toFeature}\`, which depends on whether \`${key}\` is on (no longer \`${from.key}\`)` });
  } else if (optional) {
    ic.out.findings.push({ level: 'note', ...loc, message: `${what}: the item becomes \`${key}/${move.toFeature}\`, which also switches on the optional \`${key}\`` });
  }
  return features.map((f) => `${key}${mark}/${f}`);
}

/** The release an entry asks for now, and the features it names there (before any migration). */
interface Before {
  readonly release: CrateRelease;
  readonly features: readonly string[];
}

function beforeOf(crate: string, from: string | undefined, features: readonly string[], ctx: FeatureContext): Before | undefined {
  const release = from === undefined ? undefined : ctx.data.release(crate, from);
  return release ? { release, features } : undefined;
}

/** Features the release lacks stop the run (or, with --drop-unknown-features, are dropped with a warning). */
function checkFeatures(features: readonly string[], release: CrateRelease, loc: SourceLocation, what: string, ctx: FeatureContext, out: FeatureOutcome, before?: Before): string[] {
  // A release without a feature list (after the snapshot): features stay as written; the root's warning says so.
  if (release.source === 'derived') return [...features];
  const kept: string[] = [];
  for (const f of features) {
    // `dep/default` names the dependency's default set, which every crate has.
    if (release.features.has(f) || f === 'default') {
      kept.push(f);
      continue;
    }
    const suggestion = closest(f, [...release.features]);
    // A feature the entry already named where it is now, and that release lacks it too: not the upgrade's doing.
    const notBefore = before !== undefined && before.release.version !== release.version && before.features.includes(f) && !before.release.features.has(f) && f !== 'default';
    const lacks = notBefore ? `${release.crate} has no feature \`${f}\` at ${release.version} (nor at ${before.release.version}, the release it asks for now)` : `${release.crate} ${release.version} has no feature \`${f}\``;
    const missing = `${what}: ${lacks}`;
    if (!ctx.dropUnknown) {
      // The likely fix first (a typo), the way out second, the whole list last.
      const list = [...release.explicitFeatures].sort().join(', ');
      const hint = suggestion ? `; did you mean \`${suggestion}\`? Or --drop-unknown-features drops it` : '; --drop-unknown-features drops it';
      // Reported, and kept meanwhile so that the root's other features are still checked.
      ctx.errors.add(new UserError(`${missing}${hint}. Its features: ${list || '(none)'}`, loc));
      kept.push(f);
      continue;
    }
    out.findings.push({ level: 'warning', ...loc, message: `${missing}${suggestion ? `; the closest is \`${suggestion}\`` : ''}: dropped` });
  }
  return kept;
}

/**
 * A semantic change no feature edit can carry: `warning: a/Cargo.toml:7:1: \`wasmtime\`: crossing 39.0.0,
 * \`component-model-async\` became a default feature, so this entry now builds it: <note> (<links>); check your code`.
 */
function semanticWarning(loc: SourceLocation, what: string, d: ReportedRule): Finding {
  const links = [...new Set(d.rule.evidence.flatMap((ev) => (ev.url ? [ev.url] : [])))];
  const note = d.rule.note.replace(/\.$/, '');
  const effect = d.outcome.effect ? ` (${d.outcome.effect})` : '';
  const evidence = links.length > 0 ? ` (${links.join(', ')})` : '';
  return { level: 'warning', ...loc, message: `${what}: crossing ${ruleVersion(d.rule)}, ${d.outcome.why}${effect}: ${note}${evidence}; check your code` };
}

function migrationNote(loc: SourceLocation, key: string, crate: string, from: string, to: string, a: AppliedRule): MigrationNote {
  return {
    file: loc.file,
    line: loc.line ?? 1,
    column: loc.column ?? 1,
    key,
    crate,
    from,
    to,
    effect: a.effect,
    rule: {
      feature: a.rule.feature,
      action: a.rule.action,
      version: ruleVersion(a.rule),
      note: a.rule.note,
      confidence: a.rule.confidence,
      links: a.rule.evidence.flatMap((ev) => (ev.url ? [ev.url] : [])),
    },
  };
}

/** The known name nearest to a misspelt one (Levenshtein distance at most a third of its length, at least 2). */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = distance(name, c);
    if (!best || d < best.d || (d === best.d && c < best.c)) best = { c, d };
  }
  return best && best.d <= Math.max(2, Math.floor(name.length / 3)) ? best.c : undefined;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
