import type { TomlTable } from '../manifest/read.js';
import { parseRequirement, sameRequirement } from '../manifest/requirement.js';
import type { EntryValue } from './types.js';

/** `default-features` as written on an entry (either spelling), or undefined when absent. */
export function ownDefaultFeatures(value: EntryValue): boolean | undefined {
  if (typeof value === 'string') return undefined;
  const v = value['default-features'] ?? value.default_features;
  return typeof v === 'boolean' ? v : undefined;
}

/**
 * Whether an entry builds with its crate's default features, as cargo decides (cargo-rules.md section 2): an
 * inheriting member's own `false` only counts when the workspace entry it inherits also says false.
 */
export function usesDefaultFeatures(own: EntryValue, inheritedFrom?: EntryValue): boolean {
  if (inheritedFrom === undefined) return ownDefaultFeatures(own) !== false;
  return ownDefaultFeatures(inheritedFrom) === false ? (ownDefaultFeatures(own) ?? false) : true;
}

export function featuresOf(value: EntryValue): string[] {
  if (typeof value === 'string' || !Array.isArray(value.features)) return [];
  return value.features.filter((f): f is string => typeof f === 'string');
}

export function withVersion(value: EntryValue, requirement: string): EntryValue {
  if (typeof value === 'string') return requirement;
  return { ...value, version: requirement };
}

/**
 * The entry with these features. A list this makes empty loses its key (`features = []` means what no key
 * means), so an entry whose every feature was renamed away or dropped does not keep an empty array.
 */
export function withFeatures(value: EntryValue, features: readonly string[]): EntryValue {
  if (typeof value === 'string') return features.length === 0 ? value : { version: value, features: [...features] };
  if (features.length === 0) {
    if (!('features' in value)) return value;
    const { features: _, ...rest } = value;
    return rest;
  }
  return { ...value, features: [...features] };
}

export function withoutOptional(value: EntryValue): EntryValue {
  if (typeof value === 'string' || !('optional' in value)) return value;
  const { optional: _, ...rest } = value;
  return rest;
}

export function setDefaultFeatures(value: EntryValue, on: boolean): TomlTable {
  const table: TomlTable = typeof value === 'string' ? { version: value } : { ...value };
  // Keep the spelling the entry already has; a new key is written with a hyphen (cargo-rules.md section 3).
  const name = 'default_features' in table && !('default-features' in table) && on ? 'default_features' : 'default-features';
  if (name === 'default-features') delete table.default_features;
  table[name] = on;
  return table;
}

/** Cargo reads `26.0.1` and `^26.0.1` alike; two requirements that parse are compared as cargo reads them. */
export function sameText(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const ra = parseRequirement(a);
  const rb = parseRequirement(b);
  return ra && rb ? sameRequirement(ra, rb) : a.trim() === b.trim();
}
