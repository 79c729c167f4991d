import type { FeatureRule } from '../family/release-data.js';

/** The release a rule is about: where the feature went away, or where its meaning changed. */
export function ruleVersion(rule: FeatureRule): string {
  return (rule.removedIn ?? rule.changedIn)!;
}

/** An ordered feature list without duplicates, edited as migration rules run; replacements keep their place. */
export class FeatureState {
  list: string[];
  constructor(features: readonly string[]) {
    this.list = [...new Set(features)];
  }
  has(f: string): boolean {
    return this.list.includes(f);
  }
  replace(f: string, by: readonly string[]): void {
    const i = this.list.indexOf(f);
    if (i < 0) return;
    const fresh = by.filter((b) => !this.list.includes(b));
    this.list.splice(i, 1, ...fresh);
  }
  /** Appends the features not there yet; returns those. */
  add(features: readonly string[]): string[] {
    const fresh = features.filter((f) => !this.list.includes(f));
    this.list.push(...fresh);
    return fresh;
  }
  /** Removes the features that are there; returns those. */
  drop(features: readonly string[]): string[] {
    const there = features.filter((f) => this.list.includes(f));
    this.list = this.list.filter((f) => !there.includes(f));
    return there;
  }
}
