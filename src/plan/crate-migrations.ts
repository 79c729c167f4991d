import * as semver from '../semver.js';
import type { CrateRule, ReleaseData } from '../family/release-data.js';

/** What a crate that cannot follow wasmtime to a release became, and whether this tool can do it for you. */
export interface CrateMigration {
  readonly crate: string;
  readonly rule: CrateRule | undefined;
  /** The crate that replaces it, with the feature to enable there, when the replacement is mechanical. */
  readonly replacement: { readonly crate: string; readonly feature: string | undefined } | undefined;
  /** A sentence for the error or the report. */
  readonly explanation: string;
}

/**
 * The crate rule that removed, renamed or merged `crate` between `from` (exclusive) and `to` (inclusive), read
 * as a migration: a rename to a crate, or a merge into a crate (with at most one feature to enable), is
 * mechanical; a removal, a fold into internals, or a choice between features is not.
 */
export function crateMigration(crate: string, from: string | undefined, to: string, data: ReleaseData): CrateMigration | undefined {
  const upTo = semver.coerce(to, { includePrerelease: true });
  const lower = from === undefined ? undefined : semver.coerce(from, { includePrerelease: true });
  if (!upTo) return undefined;
  const rule = data
    .migrations()
    .crateRules.filter((r) => r.crates.includes(crate) && r.action !== 'split')
    .filter((r) => semver.lte(r.replacedIn, upTo) && (!lower || semver.gt(r.replacedIn, lower)))
    .sort((a, b) => semver.compare(a.replacedIn, b.replacedIn))[0];
  if (!rule) return undefined;
  const links = rule.evidence.flatMap((e) => (e.url ? [e.url] : []));
  const said = `${crate} ${describe(rule, crate)}${links.length ? ` (${links[0]})` : ''}`;
  return { crate, rule, replacement: replacementOf(rule), explanation: said };
}

function describe(rule: CrateRule, crate: string): string {
  const to = relevantClause(rule.to ?? '', crate);
  switch (rule.action) {
    case 'rename':
      return `was renamed to ${to} in ${rule.replacedIn}`;
    case 'replace-with-crate':
      return `was replaced by ${to} in ${rule.replacedIn}`;
    default:
      return `was removed in ${rule.replacedIn}${to ? `; instead: ${to}` : ''}`;
  }
}

/**
 * Rules are written as prose and some cover several crates ("wasmtime-wasi (p1 via `p1` feature); no
 * replacement for wasi-threads", "wasmtime-internal-<same suffix> (...)"): the part about this crate.
 */
function relevantClause(to: string, crate: string): string {
  const clauses = to.split(';').map((c) => c.trim());
  const short = crate.replace(/^wasmtime-/, '');
  const mine = clauses.find((c) => c.includes(crate) || c.includes(short)) ?? clauses[0] ?? '';
  return mine.replace(/^(\S*)<same suffix>\S*(\s*\(.*\))?/, (_, prefix: string) => `the internal crate ${prefix}${short} (depend on wasmtime instead)`);
}

function replacementOf(rule: CrateRule): CrateMigration['replacement'] {
  const to = rule.to;
  if (to === null || /no public replacement|</.test(to)) return undefined;
  if (rule.action === 'rename') return /^[a-z0-9_-]+$/.test(to) ? { crate: to, feature: undefined } : undefined;
  if (rule.action !== 'replace-with-crate') return undefined;
  const m = /^([a-z0-9_-]+)(.*)$/.exec(to);
  if (!m) return undefined;
  const rest = m[2]!;
  const features = [...rest.matchAll(/`([a-z0-9_-]+)`/g)].map((x) => x[1]!);
  // "features `nativetls` / `openssl`" asks for a choice; "features wasmtime_integration / wasmtime_async" too.
  if (/features\b/.test(rest) || features.length > 1) return undefined;
  return { crate: m[1]!, feature: /feature\b/.test(rest) ? features[0] : undefined };
}
