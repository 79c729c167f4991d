/**
 * What the release data says about a chosen (or locked) release beyond its features: whether its features could be
 * checked at all, and whether later patch releases on its line fix security problems. The summary, `notes` and
 * `doctor` share these words.
 */
import type { ReleaseData } from '../family/release-data.js';

/**
 * For a release known from public sources but without a feature list (derived rows): the warning naming the crates
 * in use whose features there could not be checked, else undefined (a root whose crates all have feature lists
 * there, or whose data ends earlier, which their own notes say).
 */
export function uncheckedFeatures(release: string, crates: readonly string[], data: ReleaseData): string | undefined {
  const derived = crates.flatMap((crate) => {
    const version = data.versionAt(crate, release);
    return version !== undefined && data.release(crate, version)?.source === 'derived' ? [{ crate, version }] : [];
  });
  if (derived.length === 0) return undefined;
  const named = derived.some((d) => d.crate === 'wasmtime') ? `wasmtime ${release}` : derived.map((d) => `${d.crate} ${d.version}`).join(', ');
  return `features of ${named} could not be checked offline (the release data has no feature list for it; features are kept as written); run with --refresh to check them`;
}

/**
 * `wasmtime 48.0.0 is older than security fixes on its line: 48.0.4, ..., 48.0.10 (12 advisories)`, or undefined
 * when no later release on the line is known to carry one.
 */
export function securityFixesLine(release: string, data: ReleaseData): { readonly text: string; readonly newest: string } | undefined {
  const fixes = data.securityFixesAfter(release);
  if (fixes.length === 0) return undefined;
  const ids = new Set(fixes.flatMap((f) => f.fix.ids));
  const newest = fixes.at(-1)!.version;
  const advisories = ids.size > 0 ? ` (${ids.size} ${ids.size === 1 ? 'advisory' : 'advisories'})` : '';
  return { text: `wasmtime ${release} is older than security fixes on its line: ${fixes.map((f) => f.version).join(', ')}${advisories}`, newest };
}
