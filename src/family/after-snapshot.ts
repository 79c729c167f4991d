/**
 * The releases after the embedded snapshot (data/release-data.json `after`): known to exist from public sources,
 * with dates, notes and (where stated) a Rust version, but without feature lists or dependency lists. Their crate
 * versions are derived here, never observed: every family crate that exists at the newest release with data on
 * the way (the same line's, else the newest overall: 48.0.0 for 49-51, 36.0.14 for 36.0.15+) continues, at the
 * version its numbering gives (cranelift 0.(major+87).patch, pulley and winch on wasmtime's number), with that
 * release's features, plus the default-feature changes the data reports with evidence. Index data that `--refresh`
 * brings replaces them (observed wins); checkDerived says where the two disagree.
 */
import * as semver from '../semver.js';
import { versionFor, type Numbering } from './lockstep.js';
import type { AfterSnapshot, CrateRelease } from './release-data.js';

/** after-release -> the release with data its crates are carried from. */
export function baseReleases(after: AfterSnapshot, wasmtime: readonly CrateRelease[]): ReadonlyMap<string, string> {
  const observed = wasmtime.filter((r) => r.source !== 'derived' && !r.yanked && semver.prerelease(r.version) === null).map((r) => r.version);
  const out = new Map<string, string>();
  for (const v of Object.keys(after.releases)) {
    const below = observed.filter((o) => semver.lt(o, v));
    const sameLine = below.filter((o) => minorLine(o) === minorLine(v));
    const base = (sameLine.length > 0 ? sameLine : below).at(-1);
    if (base !== undefined) out.set(v, base);
  }
  return out;
}

/** The derived releases of one family crate (none for a crate that does not exist at the base release). */
export function derivedReleases(
  crate: string,
  numbering: Numbering,
  known: readonly CrateRelease[],
  after: AfterSnapshot,
  bases: ReadonlyMap<string, string>,
): CrateRelease[] {
  const byVersion = new Map(known.map((r) => [r.version, r]));
  const out: CrateRelease[] = [];
  for (const [v, base] of bases) {
    const at = versionFor(numbering, v);
    const from = byVersion.get(versionFor(numbering, base) ?? '');
    if (at === undefined || from === undefined || byVersion.has(at)) continue;
    const added = after.defaultChanges.filter((c) => c.crate === crate && semver.major(v) >= semver.major(c.from) && !semver.lt(semver.coerce(v)!, c.from)).flatMap((c) => c.add);
    const defaults = [...from.defaultFeatures, ...added.filter((f) => !from.defaultFeatures.includes(f))];
    const rustVersion = rustVersionAt(v, base, from, after);
    out.push({
      crate,
      version: at,
      features: from.features,
      explicitFeatures: from.explicitFeatures,
      implicitFeatures: from.implicitFeatures,
      defaultFeatures: added.length > 0 ? defaults : from.defaultFeatures,
      ...(rustVersion !== undefined ? { rustVersion } : {}),
      yanked: false,
      source: 'derived',
      ...(from.featureDefs !== undefined ? { featureDefs: added.length > 0 ? { ...from.featureDefs, default: defaults } : from.featureDefs } : {}),
    });
  }
  return out;
}

/**
 * A release's Rust version: stated for it, or for its line (a line keeps one minimum: 49.0.0's 1.96.0 holds for
 * 49.0.7), or the base's when the base is on the same line; else unknown (msrvInfo falls back, and says so).
 */
function rustVersionAt(v: string, base: string, from: CrateRelease, after: AfterSnapshot): string | undefined {
  const own = after.releases[v]?.rustVersion;
  if (own !== undefined) return own;
  const stated = Object.entries(after.releases).find(([o, r]) => r.rustVersion !== undefined && minorLine(o) === minorLine(v))?.[1].rustVersion;
  if (stated !== undefined) return stated;
  return minorLine(base) === minorLine(v) ? from.rustVersion : undefined;
}

/**
 * Where index data (the overlay) contradicts the derived versions: the index has a later release of the crate on
 * the same line (so it is not merely older than the derived release) but not the derived number. A stale mirror
 * that simply ends earlier says nothing. The observed data is used; this is a warning, one line per crate.
 */
export function checkDerived(derived: readonly CrateRelease[], observed: readonly { version: string }[], releaseOf: (version: string) => string | undefined): string[] {
  const have = new Set(observed.map((r) => r.version));
  const line = (v: string): string | undefined => {
    const w = releaseOf(v);
    return w === undefined ? undefined : minorLine(w);
  };
  const missing = derived.filter(
    (d) => semver.prerelease(d.version) === null && !have.has(d.version) && observed.some((o) => line(o.version) === line(d.version) && semver.gt(o.version, d.version)),
  );
  if (missing.length === 0) return [];
  const crate = missing[0]!.crate;
  const list = missing.map((d) => `${d.version} (wasmtime ${releaseOf(d.version)})`).join(', ');
  return [`${crate}: the registry index lacks ${list}, which the release data derives from its numbering, but has later releases of ${missing.length > 1 ? 'those lines' : 'that line'}; the index is used`];
}

/** `49.0.7` -> `49.0`: the line a release's patch releases share. */
function minorLine(v: string): string {
  return `${semver.major(v)}.${semver.minor(v)}`;
}
