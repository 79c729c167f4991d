import { securityFixesLine, uncheckedFeatures } from './release-findings.js';
import * as semver from '../semver.js';
import { ErrorSink, UserError } from '../errors.js';
import type { Root } from '../discover/index.js';
import type { ReleaseData } from '../family/release-data.js';
import { dependencyEntries, isTable, tableLabel, workspaceDependencies, type DependencyEntry } from '../manifest/dependencies.js';
import { inHakariSection } from '../manifest/hakari-section.js';
import { entryLocation } from '../manifest/locate.js';
import type { Manifest, TomlTable } from '../manifest/read.js';
import { floorVersion, parseRequirement, sameRequirement, simpleOperator } from '../manifest/requirement.js';
import { Changes } from './changes.js';
import { crateMigration } from './crate-migrations.js';
import { crateChanges, crossedReleases } from './crate-changes.js';
import { applyExclusions, sameLine, type UnheldTie } from './exclude.js';
import { CrateMoves } from './crate-moves.js';
import { mayUseFamily } from './family-use.js';
import { packageName } from '../discover/config.js';
import { migrateRootFeatures } from './features.js';
import { addBlockerOf, isLiftable, planLift } from './lift.js';
import { candidateOf, chooseTarget, requirementText, versionTextFor, type Candidate } from './target.js';
import { toolchainFindings } from './toolchain.js';
import type { Change, EntryValue, Finding, MigrationNote, RootPlan, Target } from './types.js';
import { groupBy, note, uniqueManifests } from './util.js';
import { featuresOf, withFeatures, withoutOptional, withVersion } from './values.js';

export interface PlanOptions {
  /** The release to align to (a full version, resolved from `--to`); the newest already requested when absent. */
  readonly to?: string;
  /** Where `to` came from: the command line (or API), or the root's `to` setting. */
  readonly toFrom?: 'option' | 'setting';
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
  /** Crates left exactly as they are (names or globs such as `cranelift-*`), with the family crates they pin. */
  readonly exclude: readonly string[];
  /**
   * Plan only what the crossed releases need (`notes`): a crate that cannot follow, or a feature the target
   * lacks, is left out with a warning instead of stopping the root, and nothing planned is meant to be written.
   */
  readonly tolerant?: boolean;
}

/** Plans one workspace or standalone package. Pure: reads the parsed manifests and the release data. */
export function planRoot(root: Root, opts: PlanOptions, data: ReleaseData): RootPlan {
  const scope = familyScope(root, data);
  const base = { kind: root.kind, manifest: root.manifest, members: scope.members, manifests: scope.manifests } as const;
  const findings: Finding[] = [...scope.findings];
  const all = registryCandidates(scope, findings);
  const { registry, excluded, unheld } = applyExclusions(all, opts.exclude, data);

  // Renamed copies of a crate next to the crate itself may be a deliberate second line; they do not choose the
  // target, and they are kept where they do not already name it (so a second run decides the same).
  const maybeSecond = opts.allKeys ? new Set<DependencyEntry>() : renamedCopies(scope, data);
  const target = chooseRootTarget(registry, maybeSecond, opts, data, root, findings);
  if (!target) return { ...base, target: undefined, changes: [], findings, lifted: [], migrations: [], excluded, crates: [], breakingNotes: { count: 0, releases: [] } };
  findings.push(...unheldWarnings(unheld, target, root.manifest.path));
  const versions = targetVersions(target, data);
  const secondLines = keptSecondLines(registry, maybeSecond, target, findings);

  const changes = new Changes();
  const moves = new CrateMoves();
  // Crates that cannot follow, unknown features, ...: every one of the root is reported, then the root stops.
  const errors = new ErrorSink();
  const moving = followCrates(registry.filter((c) => !secondLines.has(c.entry)), { registry, target, versions, opts, data, changes, findings, moves, errors });
  const { align } = keptRanges(moving.candidates, versions, findings);
  const lifted = liftOrAlign(root, scope, align, secondLines, versions, target, opts, changes, findings);
  const migrations = migrateFeaturesOf(align, moving, moves, scope, versions, opts, data, changes, findings, errors);
  stopOnErrors(errors, opts, findings);

  const tool = toolchainFindings(root, scope.manifests, target, data, opts.bumpRustVersion, excluded.map((x) => x.crate));
  findings.push(...tool.findings);
  for (const c of tool.changes) changes.push(c);

  const list = changes.list();
  findings.push(...patchWarnings(root.manifest, list, target, data));
  const crates = crateChanges(list, {
    data,
    packageOf: scope.packageOf,
    wsByKey: scope.wsByKey,
    plannedAs: moving.plannedAs,
    registry: registry.map((c) => c.entry),
    requirementOf: versions.requirementOf,
    members: scope.members,
  });
  const counts = data.breakingNotes();
  const crossed = crossedReleases(crates, counts.keys(), target.release, data);
  const breakingNotes = { count: crossed.reduce((n, r) => n + counts.get(r)!, 0), releases: crossed };
  return { ...base, target, changes: list, findings, lifted, migrations, excluded, crates, breakingNotes };
}

/** Every error of the root stops it; with `opts.tolerant` (`notes`) they are warnings and planning goes on. */
function stopOnErrors(errors: ErrorSink, opts: PlanOptions, findings: Finding[]): void {
  if (!opts.tolerant) return errors.throwIfAny();
  for (const e of errors.list) findings.push({ level: 'warning', ...(e.location ?? {}), message: e.message });
}

/** A root's manifests and the dependency entries on the family, with how to tell which crate an entry is. */
interface FamilyScope {
  readonly manifests: readonly Manifest[];
  readonly members: readonly Manifest[];
  /** The members' dependency entries (of the members that may use the family). */
  readonly memberEntries: readonly DependencyEntry[];
  /** The root's `[workspace.dependencies]` entries by key. */
  readonly wsByKey: ReadonlyMap<string, DependencyEntry>;
  /** The crate an entry names; an inheriting entry's is named by the workspace entry it inherits. */
  readonly packageOf: (e: DependencyEntry) => string;
  /** Entries on a family crate: members' own and the root's workspace entries. */
  readonly family: readonly DependencyEntry[];
  readonly findings: readonly Finding[];
}

function familyScope(root: Root, data: ReleaseData): FamilyScope {
  const manifests = root.kind === 'workspace' ? uniqueManifests([root.manifest, ...root.members]) : [root.manifest];
  const members = root.kind === 'workspace' ? root.members : [root.manifest];
  const wsDeps = workspaceDependencies(root.manifest);
  // A Set lookup: this runs for every dependency key of every member of a monorepo.
  const names = new Set(data.familyNames());
  const isFamily = (name: string): boolean => names.has(name);
  // A package that is itself a family crate (a fork or a vendored copy of wasmtime) is never rewritten inside.
  const copies = manifests.filter((m) => isFamily(packageName(m) ?? ''));
  // Entries inside a hakari section mirror the lock, they are not requests: cargo-hakari rewrites them.
  const using = manifests.filter((m) => !copies.includes(m) && (m === root.manifest || mayUseFamily(m, wsDeps, isFamily)));
  // The root's entries come from its syntax tree, which on a large root is most of a run: it is built only when
  // the root or a member may name the family (otherwise nothing is planned, and no entry of the root is read).
  const rootNeeded = using.some((m) => m !== root.manifest) || mayUseFamily(root.manifest, wsDeps, isFamily) || namesFamily(wsDeps, isFamily);
  const entries = using
    .filter((m) => m !== root.manifest || rootNeeded)
    .flatMap((m) => dependencyEntries(m))
    .filter((e) => !inHakariSection(e));
  const wsByKey = new Map<string, DependencyEntry>();
  for (const e of entries) {
    if (e.table.scope === 'workspace' && e.manifest === root.manifest) wsByKey.set(e.key, e);
  }
  const packageOf = (e: DependencyEntry): string => (e.source === 'inherited' ? (wsByKey.get(e.key)?.package ?? e.key) : e.package);
  const family = entries.filter((e) => e.table.scope === 'package' || wsByKey.get(e.key) === e).filter((e) => isFamily(packageOf(e)));
  const findings: Finding[] = [];
  if (copies.length > 0) {
    const names = copies.map((m) => packageName(m)!).sort();
    const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
    const what = copies.length === 1 ? 'is a family crate itself' : `are family crates themselves`;
    findings.push({ level: 'note', file: copies.length === 1 ? copies[0]!.path : root.manifest.path, message: `${shown} ${what} (a fork or a copy of wasmtime's): ${copies.length === 1 ? 'its manifest is left as it is' : 'their manifests are left as they are'}` });
  }
  for (const e of family) {
    if (e.source === 'path' || e.source === 'git') {
      const where = typeof e.value === 'object' ? String(e.source === 'path' ? e.value.path : e.value.git) : '';
      findings.push(note(e, `\`${e.key}\` in [${tableLabel(e.table)}] is a ${e.source} dependency (${where}): left as it is`));
    }
  }
  const memberEntries = entries.filter((e) => e.table.scope === 'package');
  return { manifests, members, memberEntries, wsByKey, packageOf, family, findings };
}

/** Whether a dependency table names a family crate, by key or by `package`. */
function namesFamily(table: TomlTable, isFamily: (name: string) => boolean): boolean {
  return Object.entries(table).some(([key, spec]) => {
    if (isFamily(key)) return true;
    const pkg = typeof spec === 'object' && spec !== null ? (spec as TomlTable)['package'] : undefined;
    return typeof pkg === 'string' && isFamily(pkg);
  });
}

/** Registry entries on the family with their parsed requirements. */
function registryCandidates(scope: FamilyScope, findings: Finding[]): Candidate[] {
  const registry: Candidate[] = [];
  for (const c of scope.family.filter((e) => e.source === 'registry').map(candidateOf)) {
    // Cargo checks workspace entries only when used; one without any source is left for cargo to judge.
    if (c.requirement === undefined && c.entry.table.scope === 'workspace') {
      findings.push(note(c.entry, `\`${c.entry.key}\` in [workspace.dependencies] has no version: left as it is`));
    } else registry.push(c);
  }
  return registry;
}

/** The release to align to, or undefined (with a finding saying why) when the root gives none. */
function chooseRootTarget(
  registry: readonly Candidate[],
  maybeSecond: ReadonlySet<DependencyEntry>,
  opts: PlanOptions,
  data: ReleaseData,
  root: Root,
  findings: Finding[],
): Target | undefined {
  const chosen = chooseTarget(registry.filter((c) => !maybeSecond.has(c.entry)), opts, data) ?? chooseTarget(registry, opts, data);
  if (!chosen) {
    if (registry.length > 0) {
      findings.push({ level: 'warning', file: root.manifest.path, message: 'no family requirement names a release to align to (ranges, wildcards, or versions older than the family); pass --to' });
    }
    return undefined;
  }
  // The known release features are checked against: `--to` itself, or the newest release the chosen line admits.
  const release = opts.to !== undefined ? (data.release('wasmtime', opts.to) ? opts.to : null) : (data.resolveLine('wasmtime', lineOf(chosen.version))?.version ?? null);
  if (release === null && opts.to === undefined) {
    findings.push({ level: 'warning', file: root.manifest.path, message: `wasmtime ${chosen.version} is not in the release data: features are not checked` });
  }
  if (release !== null) {
    const unchecked = uncheckedFeatures(release, [...new Set(registry.map((c) => c.entry.package))], data);
    if (unchecked !== undefined) findings.push({ level: 'warning', file: root.manifest.path, message: unchecked });
    // What the requirement names (`48.0.0`), not the newest release its line admits, is what may lack the fixes.
    const security = securityFixesLine(semver.valid(chosen.version) === chosen.version ? chosen.version : release, data);
    if (security !== undefined) {
      // An `=` pin keeps the lock off the fixes; any other requirement admits them.
      const pinned = chosen.operator === '=';
      const how = pinned
        ? `; the requirement ${chosen.requirement} excludes them: --to ${security.newest} takes the newest`
        : `; the requirement ${chosen.requirement} admits them (\`cargo update\` takes ${security.newest}; --to ${security.newest} requires it)`;
      findings.push({ level: pinned ? 'warning' : 'note', file: root.manifest.path, message: security.text + how });
    }
  }
  return { ...chosen, release };
}

/** Per crate, the version it moves to (features are checked there) and the requirement written for it. */
interface TargetVersions {
  /** The release of `crate` at the target, undefined when none is known. */
  readonly versionOf: (crate: string) => string | undefined;
  /** The requirement text for `crate`: the target's, or a companion's own number at the same precision. */
  readonly requirementOf: (crate: string) => string | undefined;
}

function targetVersions(target: Target, data: ReleaseData): TargetVersions {
  const text = target.requirement.slice(target.operator.length);
  // A monorepo asks the same few crates hundreds of times.
  const versionOf = memo((crate: string): string | undefined => {
    if (data.family(crate)?.numbering.kind === 'companion' || target.release !== null) {
      return target.release === null ? undefined : versionTextFor(crate, target.release, data);
    }
    return semver.valid(target.version) ? target.version : undefined;
  });
  const requirementOf = memo((crate: string): string | undefined => {
    const v = versionTextFor(crate, text, data);
    return v === undefined ? undefined : `${target.operator}${v}`;
  });
  return { versionOf, requirementOf };
}

function memo<T>(f: (key: string) => T): (key: string) => T {
  const m = new Map<string, T>();
  return (key) => {
    if (!m.has(key)) m.set(key, f(key));
    return m.get(key)!;
  };
}

/** Second lines kept as they are (a renamed copy on another release), each with a note. */
function keptSecondLines(registry: readonly Candidate[], maybeSecond: ReadonlySet<DependencyEntry>, target: Target, findings: Finding[]): Set<DependencyEntry> {
  const targetReq = parseRequirement(target.requirement)!;
  const kept = registry.filter((c) => maybeSecond.has(c.entry) && !(c.requirement && sameRequirement(c.requirement, targetReq)));
  for (const { entry: e } of kept) {
    findings.push(note(e, `\`${e.key}\` (${e.package} ${requirementText(e) ?? ''}) is a second line of ${e.package} next to \`${e.package}\`: kept as it is (--all-keys aligns it too)`));
  }
  return new Set(kept.map((c) => c.entry));
}

/** Entries that move, after crate migrations (a stand-in entry plans a replaced crate). */
interface Moving {
  readonly candidates: readonly Candidate[];
  readonly plannedAs: ReadonlyMap<DependencyEntry, DependencyEntry>;
  readonly originalOf: ReadonlyMap<DependencyEntry, DependencyEntry>;
}

/** What following crates to the target reads (the root's registry entries and the target) and adds to. */
interface FollowContext {
  readonly registry: readonly Candidate[];
  readonly target: Target;
  readonly versions: TargetVersions;
  readonly opts: PlanOptions;
  readonly data: ReleaseData;
  readonly changes: Changes;
  readonly findings: Finding[];
  /** Keys crate migrations rename or make required, for `[features]` items to follow. */
  readonly moves: CrateMoves;
  readonly errors: ErrorSink;
}

function followCrates(list: readonly Candidate[], ctx: FollowContext): Moving {
  const plannedAs = new Map<DependencyEntry, DependencyEntry>();
  const originalOf = new Map<DependencyEntry, DependencyEntry>();
  const candidates: Candidate[] = [];
  for (const c of list) {
    // A crate that cannot follow is reported and stays as it is meanwhile (so nothing else fails for want of it).
    const moved = ctx.errors.attempt(() => followCrate(c, ctx)) ?? c;
    if (moved === 'removed') continue; // merged into another entry
    plannedAs.set(c.entry, moved.entry);
    originalOf.set(moved.entry, c.entry);
    candidates.push(moved);
  }
  return { candidates, plannedAs, originalOf };
}

/**
 * Ranges (`>=42, <47`) and wildcards (`25.*`) are never collapsed silently: one that admits the target stays
 * as it is; any other becomes the target's requirement, with a note naming the old one.
 */
function keptRanges(candidates: readonly Candidate[], versions: TargetVersions, findings: Finding[]): { stay: Candidate[]; align: Candidate[] } {
  const stay: Candidate[] = [];
  const align: Candidate[] = [];
  for (const c of candidates) {
    const req = c.requirement;
    if (!req || (req.comparators.length > 0 && simpleOperator(req) !== undefined)) {
      align.push(c);
      continue;
    }
    const e = c.entry;
    const to = versions.versionOf(e.package);
    const admits = to !== undefined && (req.comparators.length === 0 || semver.satisfies(to, req.npmRange, { includePrerelease: true }));
    if (admits) {
      findings.push(note(e, `\`${e.key}\` asks for \`${req.text}\`, which admits ${e.package} ${to}: kept as it is`));
      stay.push(c);
    } else {
      findings.push(note(e, `\`${e.key}\` asked for \`${req.text}\`, which does not admit ${e.package} ${to ?? 'at the target'}: now ${versions.requirementOf(e.package) ?? 'aligned'}`));
      align.push(c);
    }
  }
  return { stay, align };
}

/** Lifts member entries into `[workspace.dependencies]` where that keeps their meaning; aligns the rest in place. */
function liftOrAlign(
  root: Root,
  scope: FamilyScope,
  candidates: readonly Candidate[],
  secondLines: ReadonlySet<DependencyEntry>,
  versions: TargetVersions,
  target: Target,
  opts: PlanOptions,
  changes: Changes,
  findings: Finding[],
): string[] {
  const align = (c: Candidate): void => {
    const req = versions.requirementOf(c.entry.package);
    if (req === undefined) return;
    const parsed = parseRequirement(req)!;
    if (c.requirement && sameRequirement(c.requirement, parsed) && !changes.has(c.entry)) return;
    changes.set(c.entry, withVersion(changes.valueOf(c.entry), req), 'align');
  };
  const lifted: string[] = [];
  const memberCandidates = candidates.filter((c) => c.entry.table.scope === 'package');
  // A workspace whose only member is its root package has nobody to share entries with: align in place.
  const wantsLift = root.kind === 'workspace' && opts.lift && scope.manifests.some((m) => m !== root.manifest);
  const addBlocker = wantsLift ? addBlockerOf(root.manifest, scope.wsByKey) : undefined;
  if (wantsLift) {
    for (const [key, group] of groupBy(memberCandidates, (c) => c.entry.key)) {
      const ws = scope.wsByKey.get(key);
      const packages = new Set(group.map((c) => c.entry.package));
      const liftable: Candidate[] = [];
      for (const c of group) {
        const why =
          packages.size > 1
            ? `\`${key}\` names different crates (${[...packages].sort().join(', ')}) in different members`
            : versions.requirementOf(c.entry.package) === undefined
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
      planLift(key, liftable, ws, scope.memberEntries, versions.requirementOf(liftable[0]!.entry.package)!, changes, root.manifest);
    }
  } else {
    memberCandidates.forEach(align);
  }
  // Workspace entries not rewritten by a lift still name the chosen version.
  for (const c of candidates) {
    if (c.entry.table.scope === 'workspace' && !changes.has(c.entry)) align(c);
  }
  return lifted.sort();
}

/** Carries features of every moving entry (and of members inheriting one) to the target release. */
function migrateFeaturesOf(
  candidates: readonly Candidate[],
  moving: Moving,
  moves: CrateMoves,
  scope: FamilyScope,
  versions: TargetVersions,
  opts: PlanOptions,
  data: ReleaseData,
  changes: Changes,
  findings: Finding[],
  errors: ErrorSink,
): MigrationNote[] {
  const movingEntries = new Set(candidates.map((c) => c.entry));
  const inheritedMoving = scope.memberEntries.filter((e) => {
    const ws = e.source === 'inherited' ? scope.wsByKey.get(e.key) : undefined;
    return ws !== undefined && movingEntries.has(moving.plannedAs.get(ws) ?? ws);
  });
  const fromOf = (e: DependencyEntry): string | undefined => {
    const source = e.source === 'inherited' ? scope.wsByKey.get(e.key) : (moving.originalOf.get(e) ?? e);
    const text = source ? requirementText(source) : undefined;
    const parsed = text === undefined ? undefined : parseRequirement(text);
    return parsed ? floorVersion(parsed)?.version : undefined;
  };
  const outcome = migrateRootFeatures([...candidates.map((c) => c.entry), ...inheritedMoving], scope.manifests, changes, {
    data,
    targetOf: (e) => versions.versionOf(scope.packageOf(e)),
    fromOf,
    packageOf: scope.packageOf,
    wsByKey: scope.wsByKey,
    dropUnknown: opts.dropUnknownFeatures,
    moves,
    errors,
    applyCrateMigrations: opts.applyCrateMigrations,
  });
  findings.push(...outcome.findings);
  for (const { entry, move } of outcome.moves) {
    errors.attempt(() => applyFeatureMove(entry, move.toCrate, move.toFeature, move.rule.evidence.find((ev) => ev.url)?.url, candidates.map((c) => c.entry), changes, opts));
  }
  return outcome.migrations;
}

/**
 * A crate that has no release at the target: renamed or merged crates are replaced (with
 * --apply-crate-migrations) by a stand-in entry for the new crate, or merged into the same table's entry for
 * it; otherwise the run stops and says what happened, citing the release note.
 */
function followCrate(c: Candidate, { registry, target, versions, opts, data, changes, findings, moves }: FollowContext): Candidate | 'removed' {
  const e = c.entry;
  const crate = e.package;
  const companion = data.family(crate)?.numbering.kind === 'companion';
  const to = versions.versionOf(crate);
  // Crate rules are dated by wasmtime release: a companion's requirement is read as the release it belongs to.
  const floor = c.requirement ? floorVersion(c.requirement)?.version : undefined;
  const from = floor === undefined ? undefined : companion ? data.releaseOf(crate, floor) : floor;
  // A release the data does not know cannot be checked crate by crate; only the crate rules speak for it.
  // A release the data does not know cannot be checked crate by crate; only the crate rules speak for it.
  if (target.release === null) {
    if (!crateMigration(crate, from, target.version, data)) return c;
  } else if (to !== undefined && data.release(crate, to) !== undefined) return c;
  const migration = crateMigration(crate, from, target.release ?? target.version, data);
  if (!migration) {
    // The data may simply end before the target for this crate (a crate the release tags did not cover): its
    // numbering still says which version belongs to the target, unchecked. On a line that goes on after newer
    // lines began (an LTS line: 24, 36), the crate's data may end on that line while newer lines have it.
    const wanted = target.release ?? target.version;
    const known = newestPlaced(crate, data, wanted) ?? newestPlaced(crate, data);
    if (known !== undefined && semver.valid(wanted) !== null && semver.lt(known.release, wanted)) {
      findings.push(note(e, `the release data knows ${crate} up to ${known.version} (wasmtime ${known.release}): ${versions.requirementOf(crate) ?? 'its version'} follows its numbering, its features are not checked`));
      return c;
    }
    const first = data.versions(crate)[0]?.version;
    const which = companion ? `${crate} release that belongs to wasmtime ${target.version}` : `${crate} ${to ?? target.version}`;
    throw new UserError(`\`${e.key}\` cannot follow wasmtime to ${target.version}: the release data knows no ${which}${first && !companion ? ` (its first release is ${first})` : ''}${waysOut(crate, target, registry, data, opts.applyCrateMigrations)}`, entryLocation(e));
  }
  const where = `\`${e.key}\` cannot follow wasmtime to ${target.version}: ${migration.explanation}`;
  if (!migration.replacement) throw new UserError(`${where}; there is no automatic replacement${waysOut(crate, target, registry, data, opts.applyCrateMigrations)}`, entryLocation(e));
  const { crate: next, feature } = migration.replacement;
  if (!opts.applyCrateMigrations) {
    throw new UserError(`${where}; --apply-crate-migrations replaces it with ${next}${feature ? ` and its \`${feature}\` feature` : ''}`, entryLocation(e));
  }
  const features = [...featuresOf(e.value), ...(feature ? [feature] : [])];
  // The same table already depends on the new crate: the feature joins that entry, this one goes.
  const sibling = registry.find((o) => o.entry !== e && o.entry.manifest === e.manifest && o.entry.package === next && JSON.stringify(o.entry.table) === JSON.stringify(e.table));
  if (sibling) {
    const merged = [...new Set([...featuresOf(changes.valueOf(sibling.entry)), ...features])];
    let value = withFeatures(changes.valueOf(sibling.entry), merged);
    // The merged entry stays required if either part was: code that was always built stays always built.
    const optional = (v: EntryValue): boolean => typeof v === 'object' && v.optional === true;
    if (optional(value) && !optional(e.value)) {
      value = withoutOptional(value);
      moves.madeRequired(e, sibling.entry.key);
    } else if (!optional(value) && optional(e.value)) moves.madeRequired(e, sibling.entry.key);
    changes.set(sibling.entry, value, 'crate-migration');
    changes.remove(e, sibling.entry.key);
    moves.rename(e, sibling.entry.key);
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
  moves.rename(e, key);
  findings.push(note(e, `${crate} replaced by ${next}${feature ? ` with its \`${feature}\` feature` : ''} (${migration.explanation})`));
  return { entry: standIn, requirement: c.requirement };
}

/**
 * The newest version of a crate that the data places on a wasmtime release, with that release; with `line`, on
 * a release of that wasmtime line (semver-compatible with it) only.
 */
function newestPlaced(crate: string, data: ReleaseData, line?: string): { version: string; release: string } | undefined {
  for (const r of [...data.versions(crate)].reverse()) {
    const release = data.releaseOf(crate, r.version);
    if (release === undefined) continue;
    if (line !== undefined && !sameLine(release, line)) continue;
    return { version: r.version, release };
  }
  return undefined;
}

/**
 * What a user can do about a crate that cannot follow: the release nearest to the target at which every family
 * crate in use exists (below a target past a removal, above one before a crate's first release), counting a
 * crate that --apply-crate-migrations replaces by one that exists there when the flag is on, and naming the
 * release the flag would reach when it is off; or leaving the crate out.
 */
function waysOut(crate: string, target: Target, registry: readonly Candidate[], data: ReleaseData, migrations: boolean): string {
  const crates = [...new Set(registry.map((c) => c.entry.package))];
  const wanted = semver.coerce(target.release ?? target.version, { includePrerelease: true });
  const releases = data
    .versions('wasmtime')
    .filter((w) => !w.yanked && semver.prerelease(w.version) === null)
    .map((w) => w.version);
  const nearest = (exists: (c: string, w: string) => boolean): string | undefined => {
    const common = releases.filter((w) => crates.every((c) => exists(c, w)));
    const below = wanted ? common.filter((v) => semver.lte(v, wanted)) : [];
    return below.at(-1) ?? (wanted ? common.find((v) => semver.gt(v, wanted)) : undefined);
  };
  const plain = (c: string, w: string): boolean => data.versionAt(c, w) !== undefined;
  const migrated = (c: string, w: string): boolean => {
    if (plain(c, w)) return true;
    const next = crateMigration(c, undefined, w, data)?.replacement?.crate;
    return next !== undefined && data.versionAt(next, w) !== undefined;
  };
  const withFlag = nearest(migrated);
  const without = nearest(plain);
  let to = '';
  if (migrations && withFlag) to = `every family crate in use exists at ${withFlag}${withFlag !== without ? ', with the crate migrations' : ''} (--to ${withFlag}), or `;
  else if (without) {
    const flag = withFlag !== undefined && withFlag !== without ? `; --apply-crate-migrations allows up to ${withFlag} (--to ${withFlag} --apply-crate-migrations)` : '';
    to = `every family crate in use exists at ${without} (--to ${without})${flag}, or `;
  } else if (withFlag) to = `--apply-crate-migrations allows ${withFlag} (--to ${withFlag} --apply-crate-migrations), or `;
  return `; ${to}--exclude ${crate} leaves it as it is`;
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
 * Entries that rename a crate which the same manifest (or the workspace table) also has under its own name, on
 * another release: an LTS copy kept on purpose, say. A renamed copy on the same release as the crate under its
 * own name is no second line: it moves with it. Decided per manifest, so one member's second line does not hold
 * back another member's only copy under the same key; a member's copy of the workspace's own second line (same
 * key, same release) stays with that line.
 */
function renamedCopies(scope: FamilyScope, data: ReleaseData): Set<DependencyEntry> {
  const releaseOf = (e: DependencyEntry): string | undefined => {
    const source = e.source === 'inherited' ? scope.wsByKey.get(e.key) : e;
    const text = source && requirementText(source);
    const req = text === undefined ? undefined : parseRequirement(text);
    const floor = req && simpleOperator(req) !== undefined ? floorVersion(req)?.version : undefined;
    return floor === undefined ? undefined : data.releaseOf(scope.packageOf(e), floor);
  };
  const out = new Set<DependencyEntry>();
  for (const [, group] of groupBy(scope.family, (e) => `${e.manifest.path}\0${e.table.scope}\0${scope.packageOf(e)}`)) {
    const own = group.filter((e) => e.key === scope.packageOf(e));
    if (own.length === 0) continue;
    const ownReleases = new Set(own.map(releaseOf));
    for (const e of group) {
      if (e.key === scope.packageOf(e)) continue;
      const release = releaseOf(e);
      if (release === undefined || !ownReleases.has(release)) out.add(e);
    }
  }
  // A member's copy of a workspace second line (same key, same release) belongs to that line too.
  for (const ws of [...out].filter((e) => e.table.scope === 'workspace')) {
    for (const e of scope.family) if (e.table.scope === 'package' && e.source === 'registry' && e.key === ws.key && releaseOf(e) === releaseOf(ws)) out.add(e);
  }
  return out;
}

/**
 * `[patch]` tables are out of this tool's reach (and of `cargo metadata --no-deps`): a patched family crate
 * must itself be a release that meets the new requirement, or cargo silently stops using the patch.
 */
function patchWarnings(rootManifest: Manifest, changes: readonly Change[], target: Target, data: ReleaseData): Finding[] {
  const moved = changes.some((c) => c.kind === 'add' || (c.kind === 'rewrite' && c.reasons.includes('align')));
  if (!moved) return [];
  const out: Finding[] = [];
  const warn = (message: string): void => void out.push({ level: 'warning', file: rootManifest.path, message });
  const patch = rootManifest.value.patch;
  for (const [registry, table] of Object.entries(isTable(patch) ? patch : {})) {
    for (const [key, value] of Object.entries(isTable(table) ? table : {})) {
      const pkg = isTable(value) && typeof value.package === 'string' ? value.package : key;
      if (data.family(pkg)) warn(`[patch.${registry}] replaces \`${key}\`: the patched copy must be a release that meets ${target.requirement}, or cargo ignores the patch`);
    }
  }
  // `[replace]` names one exact version (`wasmtime:25.0.0`); a requirement that moves past it leaves it unused.
  const replace = rootManifest.value.replace;
  for (const spec of Object.keys(isTable(replace) ? replace : {})) {
    const [name, version] = spec.replace(/^.*#/, '').split(/[:@]/) as [string, string | undefined];
    const req = parseRequirement(target.requirement)!;
    const stillMatches = version !== undefined && data.family(name)?.numbering.kind === 'wasmtime' && semver.valid(version) !== null && semver.satisfies(version, req.npmRange);
    if (data.family(name) && !stillMatches) warn(`[replace] replaces \`${spec}\`: the replacement must be a release that meets ${target.requirement}, or cargo ignores it`);
  }
  return out;
}

/**
 * An excluded crate that requires wasmtime on its own line, while wasmtime moves to another: wasmtime is not
 * held back (it is what the run aligns to), and cargo builds two copies of it.
 */
function unheldWarnings(unheld: readonly UnheldTie[], target: Target, file: string): Finding[] {
  const to = target.release ?? target.version;
  return [...groupBy(unheld.filter((u) => !sameLine(u.release, to)), (u) => `${u.crate} ${u.release}`).values()].map((group) => {
    const { crate, release } = group[0]!;
    const by = group.map((u) => u.by);
    const line = release.replace(/^(0\.\d+|\d+)\..*$/, '$1');
    return {
      level: 'warning' as const,
      file,
      message: `${by.join(', ')} (excluded) ${by.length === 1 ? 'requires' : 'require'} ${crate} ${line}: with ${crate} at ${target.version} cargo builds two copies of ${crate}, and values from one do not work with the other (--to ${line} keeps one)`,
    };
  });
}

/** `8` -> `8`, `26.0.1` -> `26.0.1`, `49.0.0-dev` -> `49.0.0`: the line whose newest release is checked. */
function lineOf(version: string): string {
  return version.replace(/[-+].*$/, '');
}
