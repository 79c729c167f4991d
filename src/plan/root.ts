import * as semver from '../semver.js';
import { UserError } from '../errors.js';
import type { Root } from '../discover/index.js';
import type { ReleaseData } from '../family/release-data.js';
import { familyCrate } from '../family/crates.js';
import { dependencyEntries, tableLabel, workspaceDependencies, type DependencyEntry } from '../manifest/dependencies.js';
import { inHakariSection } from '../manifest/hakari-section.js';
import { entryLocation } from '../manifest/locate.js';
import type { Manifest, TomlTable } from '../manifest/read.js';
import { floorVersion, parseRequirement, sameRequirement } from '../manifest/requirement.js';
import { Changes } from './changes.js';
import { crateMigration } from './crate-migrations.js';
import { mayUseFamily } from './family-use.js';
import { migrateRootFeatures } from './features.js';
import { addBlockerOf, isLiftable, planLift } from './lift.js';
import { candidateOf, chooseTarget, requirementText, type Candidate } from './target.js';
import { toolchainFindings } from './toolchain.js';
import type { Change, Finding, RootPlan, Target } from './types.js';
import { groupBy, note, uniqueManifests } from './util.js';
import { featuresOf, withFeatures, withVersion } from './values.js';

export interface PlanOptions {
  /** The release to align to (a full version, resolved from `--to`); the newest already requested when absent. */
  readonly to?: string;
  /** Write `=X.Y.Z`. */
  readonly exact: boolean;
  /** Move the family into `[workspace.dependencies]`; false aligns versions where they stand. */
  readonly lift: boolean;
  /** Also align renamed second copies of a crate (an LTS line kept on purpose). */
  readonly allKeys: boolean;
  /** Drop features the chosen release lacks (with a warning) instead of stopping. */
  readonly dropUnknownFeatures: boolean;
  /** Replace crates renamed or merged at the chosen release (wasi-cap-std-sync -> wasi-common `sync`). */
  readonly applyCrateMigrations: boolean;
  /** Raise `rust-version` fields below the chosen release's minimum. */
  readonly bumpRustVersion: boolean;
}

/** Plans one workspace or standalone package. Pure: reads the parsed manifests and the release data. */
export function planRoot(root: Root, opts: PlanOptions, data: ReleaseData): RootPlan {
  const manifests = root.kind === 'workspace' ? uniqueManifests([root.manifest, ...root.members]) : [root.manifest];
  const members = root.kind === 'workspace' ? root.members : [root.manifest];
  const wsDeps = workspaceDependencies(root.manifest);
  // Entries inside a hakari section mirror the lock, they are not requests: cargo-hakari rewrites them.
  const entries = manifests.filter((m) => m === root.manifest || mayUseFamily(m, wsDeps)).flatMap((m) => dependencyEntries(m)).filter((e) => !inHakariSection(e));
  const wsByKey = new Map<string, DependencyEntry>();
  for (const e of entries) {
    if (e.table.scope === 'workspace' && e.manifest === root.manifest) wsByKey.set(e.key, e);
  }
  // An inherited entry's crate is named by the workspace entry it inherits.
  const packageOf = (e: DependencyEntry): string => (e.source === 'inherited' ? (wsByKey.get(e.key)?.package ?? e.key) : e.package);
  const numbering = (e: DependencyEntry) => familyCrate(packageOf(e))?.numbering;

  const findings: Finding[] = [];
  const familyEntries = entries.filter((e) => e.table.scope === 'package' || wsByKey.get(e.key) === e).filter((e) => numbering(e) !== undefined);
  for (const e of familyEntries) {
    if (e.source === 'path' || e.source === 'git') {
      const where = typeof e.value === 'object' ? String(e.source === 'path' ? e.value.path : e.value.git) : '';
      findings.push(note(e, `\`${e.key}\` in [${tableLabel(e.table)}] is a ${e.source} dependency (${where}): left as it is`));
    }
  }

  const registry: Candidate[] = [];
  for (const c of familyEntries.filter((e) => e.source === 'registry').map(candidateOf)) {
    // Cargo checks workspace entries only when used; one without any source is left for cargo to judge.
    if (c.requirement === undefined && c.entry.table.scope === 'workspace') {
      findings.push(note(c.entry, `\`${c.entry.key}\` in [workspace.dependencies] has no version: left as it is`));
    } else registry.push(c);
  }

  // Renamed copies of a crate next to the crate itself may be a deliberate second line; they do not choose the
  // target, and they are kept where they do not already name it (so a second run decides the same).
  const maybeSecond = opts.allKeys ? new Set<string>() : renamedCopyKeys(familyEntries, packageOf);
  const own = registry.filter((c) => numbering(c.entry) === 'wasmtime');
  const chosen = chooseTarget(own.filter((c) => !maybeSecond.has(c.entry.key)), opts) ?? chooseTarget(own, opts);
  const base = { kind: root.kind, manifest: root.manifest, members, manifests } as const;
  if (!chosen) {
    if (registry.length > 0 && own.length === 0) {
      findings.push({ level: 'note', file: root.manifest.path, message: 'only crates on their own numbering (cranelift, pulley, winch) are used: pass --to to align them' });
    } else if (registry.length > 0) {
      findings.push({ level: 'warning', file: root.manifest.path, message: 'no family requirement names a version to align to; pass --to' });
    }
    return { ...base, target: undefined, changes: [], findings, lifted: [], migrations: [] };
  }
  // The known release features are checked against: `--to` itself, or the newest release the chosen line admits.
  const release = opts.to !== undefined ? (data.release('wasmtime', opts.to) ? opts.to : null) : (data.resolveLine('wasmtime', lineOf(chosen.version))?.version ?? null);
  const target: Target = { ...chosen, release };
  if (release === null && opts.to === undefined) {
    findings.push({ level: 'warning', file: root.manifest.path, message: `wasmtime ${chosen.version} is not in the release data: features are not checked` });
  }
  const targetReq = parseRequirement(target.requirement)!;
  const targetVersionOf = (crate: string): string | undefined => {
    if (familyCrate(crate)?.numbering === 'companion') return release === null ? undefined : data.companionVersion(crate, release);
    return release ?? (semver.valid(target.version) ? target.version : undefined);
  };
  const requirementOf = (crate: string): string | undefined => {
    if (familyCrate(crate)?.numbering !== 'companion') return target.requirement;
    const v = targetVersionOf(crate);
    return v === undefined ? undefined : `${target.operator}${v}`;
  };

  const secondKeys = new Set(
    [...maybeSecond].filter((k) => registry.some((c) => c.entry.key === k && !(c.requirement && sameRequirement(c.requirement, targetReq)))),
  );
  for (const c of registry.filter((c) => secondKeys.has(c.entry.key))) {
    const e = c.entry;
    findings.push(note(e, `\`${e.key}\` (${e.package} ${requirementText(e) ?? ''}) is a second line of ${e.package} next to \`${e.package}\`: kept as it is (--all-keys aligns it too)`));
  }
  const secondLines = new Set(registry.filter((c) => secondKeys.has(c.entry.key)).map((c) => c.entry));

  const changes = new Changes();
  // A crate migration plans an entry through a stand-in; the feature pass needs the way back and forth.
  const plannedAs = new Map<DependencyEntry, DependencyEntry>();
  const originalOf = new Map<DependencyEntry, DependencyEntry>();
  const candidates: Candidate[] = [];
  for (const c of registry.filter((c) => !secondKeys.has(c.entry.key))) {
    const moved = followCrate(c, registry, target, targetVersionOf, opts, data, changes, findings);
    if (typeof moved === 'string') continue; // removed (merged into another entry), or on no known release
    plannedAs.set(c.entry, moved.entry);
    originalOf.set(moved.entry, c.entry);
    candidates.push(moved);
  }

  const align = (c: Candidate): void => {
    const req = requirementOf(c.entry.package);
    if (req === undefined) return;
    const parsed = parseRequirement(req)!;
    if (c.requirement && sameRequirement(c.requirement, parsed) && !changes.has(c.entry)) return;
    changes.set(c.entry, withVersion(changes.valueOf(c.entry), req), 'align');
  };

  const lifted: string[] = [];
  const memberCandidates = candidates.filter((c) => c.entry.table.scope === 'package');
  // A workspace whose only member is its root package has nobody to share entries with: align in place.
  const wantsLift = root.kind === 'workspace' && opts.lift && manifests.some((m) => m !== root.manifest);
  const addBlocker = wantsLift ? addBlockerOf(root.manifest, wsByKey) : undefined;
  const memberEntries = entries.filter((e) => e.table.scope === 'package');

  if (wantsLift) {
    for (const [key, group] of groupBy(memberCandidates, (c) => c.entry.key)) {
      const ws = wsByKey.get(key);
      const packages = new Set(group.map((c) => c.entry.package));
      const liftable: Candidate[] = [];
      for (const c of group) {
        const why =
          packages.size > 1
            ? `\`${key}\` names different crates (${[...packages].sort().join(', ')}) in different members`
            : requirementOf(c.entry.package) === undefined
              ? `no ${c.entry.package} release is known for wasmtime ${target.version}`
              : !ws && addBlocker !== undefined
                ? addBlocker
                : isLiftable(c.entry, ws, secondLines);
        if (why === undefined) liftable.push(c);
        else {
          findings.push(note(c.entry, `\`${key}\` not lifted: ${why}; its version is aligned in place`));
          align(c);
        }
      }
      if (liftable.length === 0) continue;
      lifted.push(key);
      planLift(key, liftable, ws, memberEntries, requirementOf(liftable[0]!.entry.package)!, changes, root.manifest);
    }
  } else {
    memberCandidates.forEach(align);
  }
  // Workspace entries not rewritten by a lift still name the chosen version.
  for (const c of candidates) {
    if (c.entry.table.scope === 'workspace' && !changes.has(c.entry)) align(c);
  }

  // Features follow every entry that moves to the target: candidates, and members inheriting one of them.
  const moving = new Set(candidates.map((c) => c.entry));
  const inheritedMoving = memberEntries.filter((e) => {
    const ws = e.source === 'inherited' ? wsByKey.get(e.key) : undefined;
    return ws !== undefined && moving.has(plannedAs.get(ws) ?? ws);
  });
  const fromOf = (e: DependencyEntry): string | undefined => {
    const source = e.source === 'inherited' ? wsByKey.get(e.key) : (originalOf.get(e) ?? e);
    const text = source ? requirementText(source) : undefined;
    const parsed = text === undefined ? undefined : parseRequirement(text);
    return parsed ? floorVersion(parsed)?.version : undefined;
  };
  const featureOutcome = migrateRootFeatures([...candidates.map((c) => c.entry), ...inheritedMoving], manifests, changes, {
    data,
    targetOf: (e) => targetVersionOf(packageOf(e)),
    fromOf,
    packageOf,
    wsByKey,
    dropUnknown: opts.dropUnknownFeatures,
  });
  findings.push(...featureOutcome.findings);
  for (const { entry, move } of featureOutcome.moves) {
    applyFeatureMove(entry, move.toCrate, move.toFeature, move.rule.evidence.find((ev) => ev.url)?.url, candidates.map((c) => c.entry), changes, opts);
  }

  const tool = toolchainFindings(root, manifests, target, data, opts.bumpRustVersion);
  findings.push(...tool.findings);
  for (const c of tool.changes) changes.push(c);

  const list = changes.list();
  findings.push(...patchWarnings(root.manifest, list, target));
  return { ...base, target, changes: list, findings, lifted: lifted.sort(), migrations: featureOutcome.migrations };
}

/**
 * A crate that has no release at the target: renamed or merged crates are replaced (with
 * --apply-crate-migrations) by a stand-in entry for the new crate, or merged into the same table's entry for
 * it; otherwise the run stops and says what happened, citing the release note.
 */
function followCrate(
  c: Candidate,
  registry: readonly Candidate[],
  target: Target,
  targetVersionOf: (crate: string) => string | undefined,
  opts: PlanOptions,
  data: ReleaseData,
  changes: Changes,
  findings: Finding[],
): Candidate | 'removed' | 'unknown' {
  const e = c.entry;
  const crate = e.package;
  const companion = familyCrate(crate)?.numbering === 'companion';
  const to = targetVersionOf(crate);
  const from = companion || !c.requirement ? undefined : floorVersion(c.requirement)?.version;
  // A release the data does not know cannot be checked crate by crate; only the crate rules speak for it.
  if (target.release === null) {
    if (!crateMigration(crate, from, target.version, data)) return companion ? 'unknown' : c;
  } else if (to !== undefined && data.release(crate, to) !== undefined) return c;
  const migration = crateMigration(crate, from, target.release ?? target.version, data);
  if (!migration) {
    if (companion && target.release === null) return 'unknown';
    const first = data.versions(crate)[0]?.version;
    const which = companion ? `the ${crate} release that belongs to wasmtime ${target.version}` : `${crate} ${to ?? target.version}`;
    throw new UserError(`\`${e.key}\` cannot follow wasmtime to ${target.version}: the release data knows no ${which}${first && !companion ? ` (its first release is ${first})` : ''}`, entryLocation(e));
  }
  const where = `\`${e.key}\` cannot follow wasmtime to ${target.version}: ${migration.explanation}`;
  if (!migration.replacement) throw new UserError(`${where}; there is no automatic replacement: change it by hand`, entryLocation(e));
  const { crate: next, feature } = migration.replacement;
  if (!opts.applyCrateMigrations) {
    throw new UserError(`${where}; --apply-crate-migrations replaces it with ${next}${feature ? ` and its \`${feature}\` feature` : ''}`, entryLocation(e));
  }
  const features = [...featuresOf(e.value), ...(feature ? [feature] : [])];
  // The same table already depends on the new crate: the feature joins that entry, this one goes.
  const sibling = registry.find((o) => o.entry !== e && o.entry.manifest === e.manifest && o.entry.package === next && JSON.stringify(o.entry.table) === JSON.stringify(e.table));
  if (sibling) {
    const merged = [...new Set([...featuresOf(changes.valueOf(sibling.entry)), ...features])];
    changes.set(sibling.entry, withFeatures(changes.valueOf(sibling.entry), merged), 'crate-migration');
    changes.remove(e);
    findings.push(note(e, `${crate} merged into \`${sibling.entry.key}\`${feature ? ` with its \`${feature}\` feature` : ''} (${migration.explanation})`));
    return 'removed';
  }
  const key = e.key === crate ? next : e.key;
  let value: TomlTable | string;
  if (typeof e.value === 'string' && features.length === 0) value = e.value;
  else {
    const table: TomlTable = typeof e.value === 'string' ? { version: e.value } : { ...e.value };
    if (key !== next) table.package = next;
    else delete table.package;
    if (features.length > 0) table.features = features;
    value = table;
  }
  const standIn: DependencyEntry = { ...e, key, package: next, value, path: [...e.path.slice(0, -1), key] };
  changes.standIn(e, standIn, 'crate-migration');
  findings.push(note(e, `${crate} replaced by ${next}${feature ? ` with its \`${feature}\` feature` : ''} (${migration.explanation})`));
  return { entry: standIn, requirement: c.requirement };
}

/** A feature that moved to another crate (wasmtime-wasi `sync` -> wasi-common): joins that crate's entry. */
function applyFeatureMove(
  e: DependencyEntry,
  toCrate: string,
  toFeature: string | undefined,
  link: string | undefined,
  candidates: readonly DependencyEntry[],
  changes: Changes,
  opts: PlanOptions,
): void {
  const what = `\`${e.key}\`: ${e.package}'s feature moved to ${toCrate}${toFeature ? ` (\`${toFeature}\`)` : ''}${link ? ` (${link})` : ''}`;
  const sibling = candidates.find((o) => o.manifest === e.manifest && o.package === toCrate && JSON.stringify(o.table) === JSON.stringify(e.table));
  if (!opts.applyCrateMigrations) throw new UserError(`${what}; --apply-crate-migrations ${sibling ? `adds it to \`${sibling.key}\`` : 'needs that crate in the same table'}`, entryLocation(e));
  if (!sibling) throw new UserError(`${what}; add ${toCrate} to the same table by hand, then run again`, entryLocation(e));
  if (!toFeature) return;
  const features = featuresOf(changes.valueOf(sibling));
  if (!features.includes(toFeature)) changes.set(sibling, withFeatures(changes.valueOf(sibling), [...features, toFeature]), 'crate-migration');
}

/**
 * Keys that rename a crate which some manifest (or the workspace table) also has under its own name: an LTS
 * copy kept on purpose, say. Every entry with such a key belongs to that line.
 */
function renamedCopyKeys(family: readonly DependencyEntry[], packageOf: (e: DependencyEntry) => string): Set<string> {
  const keys = new Set<string>();
  for (const [, group] of groupBy(family, (e) => `${e.manifest.path}\0${e.table.scope}\0${packageOf(e)}`)) {
    if (!group.some((e) => e.key === packageOf(e))) continue;
    for (const e of group) if (e.key !== packageOf(e)) keys.add(e.key);
  }
  return keys;
}

/**
 * `[patch]` tables are out of this tool's reach (and of `cargo metadata --no-deps`): a patched family crate
 * must itself be a release that meets the new requirement, or cargo silently stops using the patch.
 */
function patchWarnings(rootManifest: Manifest, changes: readonly Change[], target: Target): Finding[] {
  const moved = changes.some((c) => c.kind === 'add' || (c.kind === 'rewrite' && c.reasons.includes('align')));
  const patch = rootManifest.value.patch;
  if (!moved || typeof patch !== 'object' || patch === null) return [];
  const out: Finding[] = [];
  for (const [registry, table] of Object.entries(patch as TomlTable)) {
    if (typeof table !== 'object' || table === null) continue;
    for (const [key, value] of Object.entries(table as TomlTable)) {
      const pkg = typeof value === 'object' && value !== null && typeof (value as TomlTable).package === 'string' ? String((value as TomlTable).package) : key;
      if (!familyCrate(pkg)) continue;
      out.push({
        level: 'warning',
        file: rootManifest.path,
        message: `[patch.${registry}] replaces \`${key}\`: the patched copy must be a release that meets ${target.requirement}, or cargo ignores the patch`,
      });
    }
  }
  return out;
}

/** `8` -> `8`, `26.0.1` -> `26.0.1`, `49.0.0-dev` -> `49.0.0`: the line whose newest release is checked. */
function lineOf(version: string): string {
  return version.replace(/[-+].*$/, '');
}
