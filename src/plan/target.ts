import * as semver from '../semver.js';
import { UserError } from '../errors.js';
import type { DependencyEntry } from '../manifest/dependencies.js';
import { floorVersion, parseRequirement, simpleOperator, type Requirement } from '../manifest/requirement.js';
import { entryLocation, valueLocation } from '../manifest/locate.js';
import type { ReleaseData } from '../family/release-data.js';
import { numberingOf, versionFor } from '../family/lockstep.js';
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
 * The wasmtime release a candidate asks for, at the precision it is written: `wasmtime = "47.0"` -> `47.0`,
 * `cranelift-codegen = "0.113.1"` -> `26.0.1` (companions are mapped through the release data), `"^0.134"` ->
 * `47.0`. Undefined for ranges, wildcards, and versions that belong to no release (a crate's own numbering).
 */
export function askedRelease(c: Candidate, data: ReleaseData): string | undefined {
  const req = c.requirement;
  if (!req || req.comparators.length !== 1 || simpleOperator(req) === undefined) return undefined;
  const written = req.comparators[0]!.version;
  const floor = floorVersion(req);
  const release = floor && data.releaseOf(c.entry.package, floor.version);
  if (release === undefined) return undefined;
  if (release === floor!.version) return written; // the crate carries the release's own number: as written
  const parts = written.split('.').length;
  const w = semver.parse(release)!;
  return parts >= 3 ? release : parts === 2 ? `${w.major}.${w.minor}` : undefined;
}

/**
 * A crate's requirement version for the chosen release, at the precision the release is written: the release
 * text itself for crates on wasmtime's numbering; for companions their own number (`47.0` -> `0.134`,
 * `26.0.1` -> `0.113.1`), as the data maps it, else as the crate's numbering gives it.
 */
export function versionTextFor(crate: string, release: string, data: ReleaseData): string | undefined {
  const known = semver.valid(release) !== null ? data.versionAt(crate, release) : undefined;
  const line = data.resolveLine('wasmtime', release.replace(/[-+].*$/, ''))?.version;
  const sample = known !== undefined ? [known, release] : line !== undefined ? [data.versionAt(crate, line), line] : undefined;
  const numbering = sample?.[0] !== undefined ? numberingOf(sample[0], sample[1]!) : data.family(crate)?.numbering;
  if (numbering === undefined) return undefined;
  if (numbering.kind === 'wasmtime') return release;
  if (known !== undefined) return known;
  const parts = release.split('.');
  const full = versionFor(numbering, [parts[0], parts[1] ?? '0', parts[2] ?? '0'].join('.'));
  if (full === undefined) return undefined;
  // `^0.134` admits what `^47` and `^47.0` admit: a companion needs at least two numbers.
  return parts.length >= 3 ? full : full.split('.').slice(0, 2).join('.');
}

/**
 * The version to align to: `--to` when given, otherwise the newest release any family requirement of the root
 * already asks for, companions included (so a bare run consolidates without upgrading, and never lowers a
 * requirement). Among requirements asking for the same release the most common spelling wins, then the most
 * precise.
 */
export function chooseTarget(
  candidates: readonly Candidate[],
  opts: { to?: string; toFrom?: 'option' | 'setting'; exact: boolean },
  data: ReleaseData,
): Omit<Target, 'release'> | undefined {
  if (candidates.length === 0) return undefined;
  let version: string;
  let origin: Target['origin'];
  if (opts.to !== undefined) {
    version = opts.to;
    origin = opts.toFrom ?? 'option';
  } else {
    const newest = newestRequested(candidates, data);
    if (newest === undefined) return undefined;
    version = newest;
    origin = 'workspace';
  }
  if (opts.exact) return { version, requirement: `=${fullVersion(version)}`, operator: '=', origin };
  const operator = styleOperator(candidates);
  return { version, requirement: `${operator}${version}`, operator, origin };
}

function newestRequested(candidates: readonly Candidate[], data: ReleaseData): string | undefined {
  let best: { floor: semver.SemVer; texts: Map<string, number> } | undefined;
  for (const c of candidates) {
    const text = askedRelease(c, data);
    const floor = text === undefined ? null : semver.coerce(text, { includePrerelease: true });
    if (!floor) continue;
    const cmp = best ? semver.compare(floor, best.floor) : 1;
    if (cmp > 0) best = { floor, texts: new Map() };
    if (cmp >= 0) best!.texts.set(text!, (best!.texts.get(text!) ?? 0) + 1);
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
