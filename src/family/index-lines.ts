/**
 * The crates.io registry index format (one JSON object per published version, as the sparse index at
 * https://index.crates.io/ serves it and as ../shared/data/crates-index stores it). One parser for every
 * source: the embedded snapshot, the user cache, the network, a local mirror.
 */

export interface IndexDep {
  readonly name: string;
  readonly req: string;
  readonly features?: readonly string[];
  readonly optional?: boolean;
  readonly default_features?: boolean;
  readonly target?: string | null;
  readonly kind?: 'normal' | 'dev' | 'build' | null;
  readonly package?: string;
}

/** What this tool needs of one published version. */
export interface IndexRelease {
  readonly name: string;
  readonly version: string;
  /** Explicit features (`features` merged with `features2`), `default` excluded. */
  readonly features: readonly string[];
  /** Implicit features: optional non-dev dependencies not referenced as `dep:NAME`. */
  readonly implicitFeatures: readonly string[];
  /** The `default` feature's list (feature names, or `dep:`/`crate/feature` entries as written). */
  readonly defaultFeatures: readonly string[];
  readonly rustVersion: string | undefined;
  readonly yanked: boolean;
  /** Each feature's definition, `default` included. */
  readonly featureDefs: Readonly<Record<string, readonly string[]>>;
  /** Normal and build dependencies (the crate's package name and requirement): what family membership is derived from. */
  readonly deps: readonly { readonly package: string; readonly req: string }[];
}

export class IndexFormatError extends Error {}

/** The index path of a crate: `wasmtime` -> `wa/sm/wasmtime`, `cc` -> `2/cc`, `syn` -> `3/s/syn`. */
export function indexPath(name: string): string {
  const n = name.toLowerCase();
  if (n.length <= 2) return `${n.length}/${n}`;
  if (n.length === 3) return `3/${n[0]}/${n}`;
  return `${n.slice(0, 2)}/${n.slice(2, 4)}/${n}`;
}

/** Parses an index file (JSON lines). Blank lines are skipped; a malformed line throws IndexFormatError. */
export function parseIndexLines(text: string, source = 'index'): IndexRelease[] {
  const out: IndexRelease[] = [];
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new IndexFormatError(`${source}:${i + 1}: not a JSON object: ${(e as Error).message}`);
    }
    out.push(releaseOf(obj, `${source}:${i + 1}`));
  }
  return out;
}

function releaseOf(obj: unknown, where: string): IndexRelease {
  if (typeof obj !== 'object' || obj === null) throw new IndexFormatError(`${where}: not a JSON object`);
  const o = obj as Record<string, unknown>;
  if (typeof o.name !== 'string' || typeof o.vers !== 'string') throw new IndexFormatError(`${where}: missing name or vers`);
  const defs: Record<string, readonly string[]> = {};
  for (const key of ['features', 'features2'] as const) {
    const f = o[key];
    if (f === undefined || f === null) continue;
    if (typeof f !== 'object') throw new IndexFormatError(`${where}: ${key} is not an object`);
    for (const [name, list] of Object.entries(f as Record<string, unknown>)) {
      defs[name] = Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
    }
  }
  const deps = Array.isArray(o.deps) ? (o.deps as IndexDep[]) : [];
  const referenced = new Set(Object.values(defs).flatMap((list) => list.filter((x) => x.startsWith('dep:')).map((x) => x.slice(4))));
  const implicit = deps
    .filter((d) => d.optional === true && d.kind !== 'dev' && !referenced.has(d.name) && !(d.name in defs))
    .map((d) => d.name);
  return {
    name: o.name,
    version: o.vers,
    features: Object.keys(defs).filter((f) => f !== 'default').sort(),
    implicitFeatures: [...new Set(implicit)].sort(),
    defaultFeatures: defs.default ?? [],
    rustVersion: typeof o.rust_version === 'string' ? o.rust_version : undefined,
    yanked: o.yanked === true,
    featureDefs: defs,
    deps: deps
      .filter((d) => d.kind !== 'dev' && typeof d.name === 'string' && typeof d.req === 'string')
      .map((d) => ({ package: typeof d.package === 'string' ? d.package : d.name, req: d.req })),
  };
}
