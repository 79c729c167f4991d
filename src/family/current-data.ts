import { embeddedReleaseData, withOverlay, type ReleaseData } from './release-data.js';
import { defaultCacheDir, DEFAULT_INDEX_URL, readCache } from './registry.js';

export interface CurrentData {
  readonly data: ReleaseData;
  /** Crates whose releases come from the user cache. */
  readonly fromCache: readonly string[];
  readonly problems: readonly string[];
}

/**
 * The release data a run uses: the embedded snapshot, overlaid per crate with index files from the user cache
 * that were fetched after the snapshot was taken (`--refresh` / `update-data` put them there).
 */
export function currentReleaseData(opts: { cacheDir?: string; indexUrl?: string } = {}): CurrentData {
  const base = embeddedReleaseData();
  const snapshot = new Date(`${base.snapshot}T00:00:00Z`);
  const { entries, problems } = readCache(opts.cacheDir ?? defaultCacheDir(), undefined, opts.indexUrl ?? DEFAULT_INDEX_URL);
  const fresh = new Map([...entries].filter(([, e]) => e.fetchedAt > snapshot).map(([crate, e]) => [crate, e.releases]));
  if (fresh.size === 0) return { data: base, fromCache: [], problems };
  // How fresh the knowledge is: the newest fetch, when that is newer than the embedded sources.
  const fetched = [...entries].filter(([crate]) => fresh.has(crate)).map(([, e]) => e.fetchedAt.toISOString().slice(0, 10)).sort().at(-1)!;
  const asOf = fetched > base.asOf().date ? { source: 'registry index fetched by --refresh', date: fetched } : base.asOf();
  const data = withOverlay(base, fresh, 'cache', asOf);
  return { data, fromCache: [...fresh.keys()].sort(), problems: [...problems, ...data.problems()] };
}
