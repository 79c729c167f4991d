import type { DependencyEntry } from '../manifest/dependencies.js';
import type { TomlTable } from '../manifest/read.js';
import type { EntryValue } from './types.js';

/**
 * Keys that keep their meaning next to `workspace = true` (cargo-rules.md section 1), plus `version` and
 * `package`, which move to the workspace entry. Cargo silently ignores any other key there, so an entry that
 * has one is not lifted.
 */
const MEMBER_KEYS = new Set(['features', 'optional', 'default-features', 'default_features']);
const MOVED_KEYS = new Set(['version', 'package']);

/** `default-features` as written on an entry (either spelling), or undefined when absent. */
export function ownDefaultFeatures(value: EntryValue): boolean | undefined {
  if (typeof value === 'string') return undefined;
  const v = value['default-features'] ?? value.default_features;
  return typeof v === 'boolean' ? v : undefined;
}

/** Why this member entry cannot inherit the workspace entry for its key, or undefined when it can. */
export function isLiftable(entry: DependencyEntry, ws: DependencyEntry | undefined, secondLines: ReadonlySet<DependencyEntry>): string | undefined {
  const value = entry.value;
  if (typeof value === 'object') {
    const extra = Object.keys(value).filter((k) => !MEMBER_KEYS.has(k) && !MOVED_KEYS.has(k));
    if (extra.length > 0) {
      return `it sets ${extra.map((k) => `\`${k}\``).join(', ')}, which cargo would ignore next to \`workspace = true\``;
    }
    if (entry.table.scope === 'package' && entry.table.kind === 'dev' && value.optional === true) {
      return 'dev-dependencies cannot be optional';
    }
  }
  if (!ws) return undefined;
  if (secondLines.has(ws)) return `the workspace entry \`${ws.key}\` is a second line kept as it is`;
  if (ws.source !== 'registry') return `the workspace entry \`${ws.key}\` is a ${ws.source} dependency`;
  if (ws.package !== entry.package) return `the workspace entry \`${ws.key}\` is the crate ${ws.package}`;
  if (typeof ws.value === 'object') {
    const wsExtra = Object.keys(ws.value).filter((k) => !['version', 'package', 'features', 'default-features', 'default_features'].includes(k));
    if (wsExtra.length > 0) return `the workspace entry \`${ws.key}\` sets ${wsExtra.map((k) => `\`${k}\``).join(', ')}`;
    const own = new Set(featuresOf(value));
    const missing = featuresOf(ws.value).filter((f) => !own.has(f));
    if (missing.length > 0) {
      return `the workspace entry \`${ws.key}\` enables ${missing.map((f) => `\`${f}\``).join(', ')}, which this member does not`;
    }
  }
  return undefined;
}

/** The member's entry once it inherits: `workspace = true` plus its own features, optional and default-features. */
export function inheritedValue(value: EntryValue, defaultFeaturesTrue: boolean): TomlTable {
  const after: TomlTable = { workspace: true };
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) if (MEMBER_KEYS.has(k)) after[k] = v;
  }
  if (defaultFeaturesTrue) {
    if ('default_features' in after && !('default-features' in after)) after.default_features = true;
    else after['default-features'] = true;
  }
  return after;
}

function featuresOf(value: EntryValue): string[] {
  if (typeof value === 'string' || !Array.isArray(value.features)) return [];
  return value.features.filter((f): f is string => typeof f === 'string');
}
