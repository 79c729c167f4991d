import * as semver from '../semver.js';
import { UserError } from '../errors.js';
import type { ReleaseData } from '../family/release-data.js';

export interface ToOptions {
  /** Accept a full version the release data does not know (its features cannot be checked). */
  readonly allowUnknownVersion: boolean;
  /** Accept a yanked release when it is named exactly. */
  readonly allowYanked: boolean;
  /** Today (YYYY-MM-DD), for how old the data is; default: the clock. */
  readonly today?: string;
}

export interface ResolvedTo {
  /** A full version, e.g. `26.0.1`. */
  readonly version: string;
  /** Whether the release data knows it (features can be checked). */
  readonly known: boolean;
  readonly warnings: readonly string[];
  /** `latest`: which release that is, from which data, how old. */
  readonly notes?: readonly string[];
}

/**
 * `--to` names a wasmtime release: `X.Y.Z`, a line `X` or `X.Y` (its newest known release that is not yanked),
 * or `latest`. Unknown and yanked releases are refused with the nearest known ones, unless allowed.
 */
export function resolveTo(spec: string, data: ReleaseData, opts: ToOptions): ResolvedTo {
  const newest = data.resolveLine('wasmtime', 'latest')?.version ?? 'none';
  const asOf = `the release data knows wasmtime up to ${newest}; \`wasmtime-align update-data\` fetches newer releases`;
  if (spec === 'latest' || /^\d+(\.\d+)?$/.test(spec)) {
    const r = data.resolveLine('wasmtime', spec);
    if (!r) {
      const near = data.nearest('wasmtime', spec.replace(/^latest$/, '0'), 3);
      throw new UserError(`no known wasmtime release on line ${spec}${near.length ? `; the nearest known releases are ${near.join(', ')}` : ''} (${asOf})`);
    }
    return { version: r.version, known: true, warnings: [], ...(spec === 'latest' ? { notes: [latestNote(r.version, data, opts.today)] } : {}) };
  }
  if (semver.valid(spec) !== spec) {
    throw new UserError(`invalid value '${spec}' for '--to <version>': expected a version like 26.0.1, a line like 26, or latest`);
  }
  const r = data.release('wasmtime', spec);
  if (!r) {
    if (opts.allowUnknownVersion) {
      return { version: spec, known: false, warnings: [`wasmtime ${spec} is not in the release data (${asOf}): its features cannot be checked`] };
    }
    const near = data.nearest('wasmtime', spec, 3);
    throw new UserError(
      `wasmtime ${spec} is not a known release${near.length ? `; the nearest known releases are ${near.join(', ')}` : ''} (${asOf}; --allow-unknown-version uses it anyway)`,
    );
  }
  if (r.yanked) {
    if (!opts.allowYanked) throw new UserError(`wasmtime ${spec} is yanked; name it with --allow-yanked to use it anyway`);
    return { version: spec, known: true, warnings: [`wasmtime ${spec} is yanked`] };
  }
  return { version: spec, known: true, warnings: [] };
}

/** `latest known release is 51.0.0 (embedded release data, collected 2026-11-30, 10 days old; run with --refresh for newer)`. */
export function latestNote(version: string, data: ReleaseData, today?: string): string {
  const { source, date } = data.asOf();
  return `latest known release is ${version} (${source}, collected ${date}, ${age(date, today)}; run with --refresh for newer)`;
}

/** `10 days old`, from YYYY-MM-DD dates (UTC); today defaults to the clock. */
export function age(date: string, today: string = new Date().toISOString().slice(0, 10)): string {
  const days = Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${date}T00:00:00Z`)) / 86_400_000);
  if (!Number.isFinite(days)) return 'age unknown';
  return days <= 0 ? 'from today' : `${days} ${days === 1 ? 'day' : 'days'} old`;
}
