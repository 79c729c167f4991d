/**
 * What the members ask for: every dependency entry of a member on a family crate, with the requirement and the
 * features cargo sees (an inheriting entry takes the workspace entry's crate and version, and both entries'
 * features).
 */
import type { AST } from 'toml-eslint-parser';
import type { Root } from '../discover/index.js';
import type { SourceLocation } from '../errors.js';
import { dependencyEntries, field, lookup, workspaceDependencies, type DependencyEntry } from '../manifest/dependencies.js';
import { nodeLocation, valueLocation } from '../manifest/locate.js';
import type { Manifest } from '../manifest/read.js';
import { floorVersion, parseRequirement, type Requirement } from '../manifest/requirement.js';
import { mayUseFamily } from '../plan/family-use.js';
import { candidateOf, requirementText } from '../plan/target.js';
import type { ReleaseMap } from './releases.js';
import type { Ask } from './types.js';

export interface RequestedFeature {
  readonly name: string;
  readonly location: SourceLocation;
}

export interface AskInfo {
  readonly ask: Ask;
  readonly entry: DependencyEntry;
  readonly requirement: Requirement | undefined;
  readonly features: readonly RequestedFeature[];
}

/** Member manifests of a root: the members of a workspace, or the package itself. */
export function memberManifests(root: Root): readonly Manifest[] {
  return root.kind === 'workspace' ? root.members : [root.manifest];
}

export function packageName(m: Manifest): string {
  const n = lookup(m.value, ['package', 'name']);
  return typeof n === 'string' ? n : '';
}

export function memberAsks(root: Root, releases: ReleaseMap): AskInfo[] {
  const ws = new Map<string, DependencyEntry>();
  if (root.kind === 'workspace') {
    for (const e of dependencyEntries(root.manifest)) if (e.table.scope === 'workspace') ws.set(e.key, e);
  }
  const wsDeps = workspaceDependencies(root.manifest);
  const out: AskInfo[] = [];
  for (const m of memberManifests(root)) {
    // As in planning: a member that cannot name the family is not given a syntax tree.
    if (m !== root.manifest && !mayUseFamily(m, wsDeps, (name) => releases.isFamily(name))) continue;
    for (const e of dependencyEntries(m)) {
      if (e.table.scope !== 'package') continue;
      // Cargo itself rejects an inheriting entry without a workspace entry; the align run reports that.
      const from = e.source === 'inherited' ? ws.get(e.key) : e;
      if (!from || from.source === 'inherited' || !releases.isFamily(from.package)) continue;
      out.push(askOf(m, e, from, releases));
    }
  }
  return out;
}

function askOf(m: Manifest, e: DependencyEntry, from: DependencyEntry, releases: ReleaseMap): AskInfo {
  // A registry entry without a version, or with one cargo cannot parse, is a cargo error (UserError here).
  const text = requirementText(from);
  const requirement = from.source === 'registry' ? candidateOf(from).requirement : text === undefined ? undefined : parseRequirement(text);
  const floor = requirement ? floorVersion(requirement) : undefined;
  const loc = valueLocation(from, 'version');
  const ask: Ask = {
    member: packageName(m),
    manifest: m.path,
    file: loc.file,
    line: loc.line ?? 1,
    column: loc.column ?? 1,
    key: e.key,
    crate: from.package,
    requirement: requirement ? text ?? null : null,
    source: from.source as Ask['source'],
    inherited: from !== e,
    release: floor ? releases.releaseOf(from.package, floor.version) ?? null : null,
  };
  const features = from !== e ? [...featuresOf(from), ...featuresOf(e)] : featuresOf(e);
  return { ask, entry: e, requirement, features };
}

/** Each feature string of an entry with its own position (the array's when it is not written out). */
function featuresOf(e: DependencyEntry): RequestedFeature[] {
  if (typeof e.value === 'string' || !Array.isArray(e.value.features)) return [];
  const f = field(e, 'features');
  const array = f?.kv.value.type === 'TOMLArray' ? (f.kv.value as AST.TOMLArray) : undefined;
  return e.value.features.flatMap((name, i): RequestedFeature[] => {
    if (typeof name !== 'string') return [];
    const el = array?.elements[i];
    return [{ name, location: el ? nodeLocation(e.manifest, el) : valueLocation(e, 'features') }];
  });
}
