/**
 * Which wasmtime release a family crate version belongs to, and back, through the release data: crates on
 * wasmtime's numbering are their own release; companions (cranelift, pulley, winch) are mapped, so that
 * `cranelift-codegen 0.123.2` and `wasmtime 36.0.2` are recognised as one release.
 */
import * as semver from '../semver.js';
import type { ReleaseData } from '../family/release-data.js';

export class ReleaseMap {
  constructor(private readonly data: ReleaseData) {}

  /** Whether the package is a family crate (membership derived from the release data). */
  isFamily(crate: string): boolean {
    return this.data.family(crate) !== undefined;
  }

  /** The wasmtime release of `crate@version`, or undefined for a crate outside the family or an unknown version. */
  releaseOf(crate: string, version: string): string | undefined {
    return this.data.releaseOf(crate, version);
  }

  /** The version of `crate` that wasmtime `release` uses (undefined when the data cannot tell). */
  versionAt(crate: string, release: string): string | undefined {
    if (this.data.family(crate)?.numbering.kind === 'wasmtime' && semver.valid(release) !== null && this.data.release('wasmtime', release) === undefined) {
      return release; // a release newer than the data: wasmtime-numbered crates share its number
    }
    return this.data.versionAt(crate, release);
  }
}

/** `36.0.2` -> `36`; `0.30.1` -> `0.30`: what a caret requirement on the release admits. */
export function lineOf(release: string): string {
  const v = semver.parse(release);
  if (v === null) return release;
  return v.major > 0 ? `${v.major}` : `0.${v.minor}`;
}
