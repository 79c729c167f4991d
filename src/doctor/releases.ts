/**
 * Which wasmtime release a family crate version belongs to, and back. Crates on wasmtime's numbering are their
 * own release; companions (cranelift, pulley, winch) are mapped through the release data, so that
 * `cranelift-codegen 0.123.2` and `wasmtime 36.0.2` are recognised as one release.
 */
import * as semver from '../semver.js';
import { familyCrate } from '../family/crates.js';
import type { ReleaseData } from '../family/release-data.js';

export class ReleaseMap {
  /** companion crate -> its version -> the (oldest) wasmtime release using it */
  private readonly inverse = new Map<string, ReadonlyMap<string, string>>();

  constructor(private readonly data: ReleaseData) {}

  /** The wasmtime release of `crate@version`, or undefined for a crate outside the family or an unknown version. */
  releaseOf(crate: string, version: string): string | undefined {
    const fc = familyCrate(crate);
    if (!fc || semver.valid(version) === null) return undefined;
    if (fc.numbering === 'wasmtime') return version;
    const table = this.table(crate);
    return table.get(version) ?? this.extrapolate(version, table);
  }

  /** The version of `crate` that wasmtime `release` uses (undefined when the data cannot tell). */
  versionAt(crate: string, release: string): string | undefined {
    const fc = familyCrate(crate);
    if (!fc) return undefined;
    return fc.numbering === 'wasmtime' ? release : this.data.companionVersion(crate, release);
  }

  private table(crate: string): ReadonlyMap<string, string> {
    let t = this.inverse.get(crate);
    if (t === undefined) {
      const m = new Map<string, string>();
      for (const w of this.data.versions('wasmtime')) {
        const c = this.data.companionVersion(crate, w.version);
        if (c !== undefined && !m.has(c)) m.set(c, w.version);
      }
      this.inverse.set(crate, (t = m));
    }
    return t;
  }

  /**
   * Versions the data does not list (a git fork, a `-dev` path checkout) follow the pattern of the newest one it
   * does: the very same number (pulley, winch today), or a constant offset between the companion's minor and
   * wasmtime's major (cranelift 0.(major+87).patch).
   */
  private extrapolate(version: string, table: ReadonlyMap<string, string>): string | undefined {
    let newest: [semver.SemVer, semver.SemVer] | undefined;
    for (const [c, w] of table) {
      const wv = semver.parse(w)!;
      if (!newest || semver.gt(wv, newest[1])) newest = [semver.parse(c)!, wv];
    }
    if (!newest || newest[1].major < 1) return undefined;
    const [c, w] = newest;
    const v = semver.parse(version)!;
    if (c.version === w.version) return v.major > 0 ? version : undefined;
    if (c.major !== 0 || v.major !== 0) return undefined;
    const major = v.minor - (c.minor - w.major);
    const pre = v.prerelease.length > 0 ? `-${v.prerelease.join('.')}` : '';
    return major >= 1 ? `${major}.0.${v.patch}${pre}` : undefined;
  }
}

/** `36.0.2` -> `36`; `0.30.1` -> `0.30`: what a caret requirement on the release admits. */
export function lineOf(release: string): string {
  const v = semver.parse(release);
  if (v === null) return release;
  return v.major > 0 ? `${v.major}` : `0.${v.minor}`;
}
