/**
 * Features the members request (entries, inherited workspace entries, `[features]` references) that the locked
 * release of the crate does not have.
 */
import * as semver from '../semver.js';
import type { AST } from 'toml-eslint-parser';
import type { CrateRelease, FeatureRule } from '../family/release-data.js';
import { dependencyEntries, lookup } from '../manifest/dependencies.js';
import { nodeLocation } from '../manifest/locate.js';
import type { Manifest, TomlTable } from '../manifest/read.js';
import { closest } from '../plan/features.js';
import { ruleVersion } from '../plan/migrate-features.js';
import { memberManifests, type AskInfo, type RequestedFeature } from './asks.js';
import { isMemberNode, lockedFor, type RootContext } from './context.js';
import type { LockPackage } from './lock.js';
import type { FeatureFinding, NoteFinding } from './types.js';

export function featureFindings(ctx: RootContext): (FeatureFinding | NoteFinding)[] {
  const out: (FeatureFinding | NoteFinding)[] = [];
  const unchecked = new Map<Unchecked, Set<string>>();
  const seen = new Set<string>();
  const check = (info: AskInfo, wanted: readonly RequestedFeature[]): void => {
    const locked = lockedFor(ctx, info);
    if (!locked || wanted.length === 0) return;
    const known = knownFeatures(ctx, locked);
    if (typeof known === 'string') {
      unchecked.set(known, (unchecked.get(known) ?? new Set()).add(`${locked.name} ${locked.version}`));
      return;
    }
    for (const f of wanted) {
      // `default` always exists; `a/b` enables a feature of the crate's own dependency, which the data lacks.
      if (f.name === 'default' || f.name.includes('/') || known.features.has(f.name)) continue;
      const at = `${f.location.file}:${f.location.line}:${f.location.column}:${f.name}`;
      if (seen.has(at)) continue; // a workspace entry's feature, seen through every member inheriting it
      seen.add(at);
      const hint = known.release ? featureHint(ctx, known.release, f.name) : nearHint(f.name, known.features);
      out.push({
        kind: 'feature',
        level: 'warning',
        ...f.location,
        message: `\`${info.ask.key}\` of ${info.ask.member} asks for feature \`${f.name}\`, which the locked ${locked.name} ${locked.version} does not have${hint ? ` (${hint})` : ''}`,
        crate: locked.name,
        feature: f.name,
        locked: locked.version,
        member: info.ask.member,
        hint,
      });
    }
  };
  for (const info of ctx.asks) check(info, info.features);
  for (const m of memberManifests(ctx.root)) {
    for (const { info, feature } of featureReferences(ctx, m)) check(info, [feature]);
  }
  for (const [why, pkgs] of unchecked) {
    out.push({ kind: 'note', level: 'note', file: ctx.lock!.file, message: `features of ${[...pkgs].sort().join(', ')} were not checked: ${UNCHECKED[why]}` });
  }
  return out;
}

type Unchecked = 'git' | 'path' | 'unknown' | 'derived';
const UNCHECKED: Readonly<Record<Unchecked, string>> = {
  git: 'they come from git, and the release data describes the registry',
  path: 'they come from a path outside the workspace',
  unknown: 'the release data does not know those releases (a newer snapshot may)',
  derived: 'the release data has no feature list for those releases (known from public sources after its snapshot); run with --refresh to check them',
};

/**
 * The features a locked package has: the release data's for a registry package, the member's own manifest for
 * a path package of the workspace (the wasmtime repository itself); otherwise why it cannot be told.
 */
function knownFeatures(ctx: RootContext, p: LockPackage): { features: ReadonlySet<string>; release?: CrateRelease } | Unchecked {
  if (p.kind === 'git') return 'git';
  if (p.kind === 'path') {
    const m = isMemberNode(ctx, p) ? ctx.members.get(p.name) : undefined;
    return m ? { features: manifestFeatures(m) } : 'path';
  }
  const release = ctx.data.release(p.name, p.version);
  if (release?.source === 'derived') return 'derived';
  return release ? { features: release.features, release } : 'unknown';
}

/** `[features]` keys and the optional dependencies no feature names as `dep:x` (cargo's implicit features). */
function manifestFeatures(m: Manifest): ReadonlySet<string> {
  const table = lookup(m.value, ['features']);
  const explicit = typeof table === 'object' && table !== null && !Array.isArray(table) ? (table as TomlTable) : {};
  const items = Object.values(explicit).flatMap((v) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []));
  const optional = dependencyEntries(m).filter((e) => e.table.scope === 'package' && typeof e.value === 'object' && e.value.optional === true);
  return new Set([...Object.keys(explicit), ...optional.map((e) => e.key).filter((k) => !items.includes(`dep:${k}`))]);
}

/** `[features]` items of a member naming a feature of one of its family dependencies: `"wasmtime/jitdump"`. */
function featureReferences(ctx: RootContext, m: Manifest): { info: AskInfo; feature: RequestedFeature }[] {
  const byKey = new Map(ctx.asks.filter((a) => a.entry.manifest === m).map((a) => [a.ask.key, a]));
  if (byKey.size === 0) return [];
  const table = m.ast.body[0]!.body.find((n): n is AST.TOMLTable => n.type === 'TOMLTable' && n.resolvedKey.length === 1 && n.resolvedKey[0] === 'features');
  if (!table) return [];
  const out: { info: AskInfo; feature: RequestedFeature }[] = [];
  for (const kv of table.body) {
    if (kv.key.keys.length !== 1 || kv.value.type !== 'TOMLArray') continue;
    for (const el of kv.value.elements) {
      if (el.type !== 'TOMLValue' || el.kind !== 'string') continue;
      const ref = /^([^/?]+)\??\/(.+)$/.exec(el.value);
      const info = ref ? byKey.get(ref[1]!) : undefined;
      if (ref && info) out.push({ info, feature: { name: ref[2]!, location: nodeLocation(m, el) } });
    }
  }
  return out;
}

/** Why a release lacks a feature: a migration rule, the releases that have it, or a near name. */
function featureHint(ctx: RootContext, release: CrateRelease, feature: string): string | null {
  const rule = ctx.data
    .migrations()
    .rules.find((r) => r.crate === release.crate && r.feature === feature && r.removedIn !== undefined && !semver.lt(release.version, ruleVersion(r)));
  if (rule) return ruleHint(rule);
  const all = ctx.data.versions(release.crate);
  const later = all.find((r) => semver.gt(r.version, release.version) && r.features.has(feature));
  if (later) return `it first appears in ${later.version}`;
  const earlier = [...all].reverse().find((r) => semver.lt(r.version, release.version) && r.features.has(feature));
  if (earlier) return `the last release with it is ${earlier.version}`;
  return nearHint(feature, release.features);
}

function nearHint(feature: string, features: ReadonlySet<string>): string | null {
  const near = closest(feature, [...features]);
  return near ? `the closest is \`${near}\`` : null;
}

function ruleHint(rule: FeatureRule): string {
  const to = rule.to.map((t) => `\`${t}\``).join(', ');
  const v = ruleVersion(rule);
  switch (rule.action) {
    case 'rename':
      return `renamed to ${to} in ${v}`;
    case 'split':
      return `split into ${to} in ${v}`;
    case 'drop-always-on':
      return `always on since ${v}`;
    case 'replace-with-crate':
      return `replaced by ${to} in ${v}`;
    default:
      return `removed in ${v}${to ? `; use ${to}` : ''}`;
  }
}
