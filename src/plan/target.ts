import * as semver from '../semver.js';
import { UserError } from '../errors.js';
import type { DependencyEntry } from '../manifest/dependencies.js';
import { floorVersion, parseRequirement, simpleOperator, type Requirement } from '../manifest/requirement.js';
import { entryLocation, valueLocation } from '../manifest/locate.js';
import type { Target } from './types.js';

/** A registry entry on the family together with its parsed requirement. */
export interface Candidate {
  readonly entry: DependencyEntry;
  /** Undefined for a registry entry with no `version` (cargo reads it as `*`). */
  readonly requirement: Requirement | undefined;
}

/** The requirement text of a registry entry, or undefined when it has none. */
export function requirementText(entry: DependencyEntry): string | undefined {
  if (typeof entry.value === 'string') return entry.value;
  return typeof entry.value.version === 'string' ? entry.value.version : undefined;
}

/** Parses an entry's requirement; an unparsable one is an error, as it is for cargo. */
export function candidateOf(entry: DependencyEntry): Candidate {
  const text = requirementText(entry);
  if (text === undefined) {
    if (entry.table.scope === 'package') {
      throw new UserError(
        `dependency (\`${entry.key}\`) specified without providing a local path, Git repository, version, or workspace dependency to use`,
        entryLocation(entry),
      );
    }
    return { entry, requirement: undefined };
  }
  const requirement = parseRequirement(text);
  if (!requirement) {
    throw new UserError(`failed to parse the version requirement \`${text}\` for dependency \`${entry.key}\``, valueLocation(entry, 'version'));
  }
  return { entry, requirement };
}

/**
 * The version to align to: `--to` when given, otherwise the newest version any family requirement of the root
 * already asks for (so a bare run consolidates without upgrading). Among requirements with the same lowest
 * admitted version the most common spelling wins, then the most precise.
 */
export function chooseTarget(candidates: readonly Candidate[], opts: { to?: string; exact: boolean }): Omit<Target, 'release'> | undefined {
  if (candidates.length === 0) return undefined;
  let version: string;
  let origin: Target['origin'];
  if (opts.to !== undefined) {
    version = opts.to;
    origin = 'option';
  } else {
    const newest = newestRequested(candidates);
    if (newest === undefined) return undefined;
    version = newest;
    origin = 'workspace';
  }
  if (opts.exact) return { version, requirement: `=${fullVersion(version)}`, operator: '=', origin };
  const operator = styleOperator(candidates);
  return { version, requirement: `${operator}${version}`, operator, origin };
}

function newestRequested(candidates: readonly Candidate[]): string | undefined {
  let best: { floor: semver.SemVer; texts: Map<string, number> } | undefined;
  for (const c of candidates) {
    if (!c.requirement || c.requirement.comparators.length !== 1) continue;
    const floor = floorVersion(c.requirement);
    const text = c.requirement.comparators[0]!.version;
    if (!floor || /[*xX]/.test(text)) continue;
    const cmp = best ? semver.compare(floor, best.floor) : 1;
    if (cmp > 0) best = { floor, texts: new Map() };
    if (cmp >= 0) best!.texts.set(text, (best!.texts.get(text) ?? 0) + 1);
  }
  if (!best) return undefined;
  return [...best.texts].sort(([a, na], [b, nb]) => nb - na || b.length - a.length || (a < b ? -1 : 1))[0]![0];
}

/** `=` when every family requirement of the root is an `=` pin (likewise an explicit `^` or `~`), else bare. */
function styleOperator(candidates: readonly Candidate[]): string {
  const written = candidates.flatMap((c) => (c.requirement ? [c.requirement] : []));
  if (written.length === 0) return '';
  const ops = new Set(written.map((r) => (r.comparators[0]?.written ? simpleOperator(r) : undefined)));
  const [op] = ops;
  return ops.size === 1 && op !== undefined ? op : '';
}

/** `=8` admits all of 8.x, so an exact pin needs all three numbers. */
function fullVersion(v: string): string {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(.*)$/.exec(v);
  if (!m) return v;
  return `${m[1]}.${m[2] ?? '0'}.${m[3] ?? '0'}${m[4] ?? ''}`;
}
