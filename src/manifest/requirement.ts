import * as semver from '../semver.js';

/**
 * Cargo version requirements (`"26.0.1"`, `"=46.0.1"`, `"~26.0"`, `">=26, <28"`, `"8"`), read the way cargo
 * reads them: a bare version is a caret requirement and commas separate comparators. npm's `semver` reads the
 * same strings differently (a bare version is exact there), so requirements are converted before semver sees
 * them (see ../shared/docs/npm-libraries.md, section 6).
 */
export type Operator = '^' | '=' | '~' | '>=' | '<=' | '>' | '<';

export interface Comparator {
  /** The operator cargo applies; a bare version is `^`. */
  readonly op: Operator;
  /** Whether the operator was written (`^26` vs `26`). */
  readonly written: boolean;
  /** The version as written: `26`, `26.0`, `26.0.1`, `49.0.0-dev`, `1.*`. */
  readonly version: string;
}

export interface Requirement {
  readonly text: string;
  readonly comparators: readonly Comparator[];
  /** The same requirement in npm semver range syntax. */
  readonly npmRange: string;
}

const PART = /^(\^|=|~|>=|<=|>|<)?\s*(.*)$/;
const VERSION = /^(0|[1-9]\d*|\*|x|X)(\.(0|[1-9]\d*|\*|x|X)(\.(0|[1-9]\d*|\*|x|X)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?)?)?$/;

// Members of a monorepo repeat the same few requirements, and semver's range parsing is the costly part: each
// text is read once. The results are frozen, as they are shared.
const parsed = new Map<string, Requirement | undefined>();
const floors = new Map<string, string | undefined>();

/** Parses a cargo requirement; `undefined` where cargo would reject it. */
export function parseRequirement(text: string): Requirement | undefined {
  if (parsed.has(text)) return parsed.get(text);
  const r = readRequirement(text);
  parsed.set(text, r === undefined ? undefined : Object.freeze({ ...r, comparators: Object.freeze(r.comparators.map((c) => Object.freeze(c))) }));
  return parsed.get(text);
}

function readRequirement(text: string): Requirement | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === '*') {
    return trimmed === '*' ? { text, comparators: [], npmRange: '*' } : undefined;
  }
  const comparators: Comparator[] = [];
  for (const raw of trimmed.split(',')) {
    const m = PART.exec(raw.trim());
    if (!m) return undefined;
    const version = (m[2] ?? '').trim();
    if (!VERSION.test(version)) return undefined;
    comparators.push({ op: (m[1] as Operator | undefined) ?? '^', written: m[1] !== undefined, version });
  }
  const npmRange = comparators
    .map((c) => (c.written || /[*xX]/.test(c.version) ? `${c.written ? c.op : ''}${c.version}` : `^${c.version}`))
    .join(' ');
  if (semver.validRange(npmRange) === null) return undefined;
  return { text, comparators, npmRange };
}

/** The lowest version a requirement admits, used to order requirements ("which asks for the newest?"). */
export function floorVersion(req: Requirement): semver.SemVer | undefined {
  if (req.comparators.length === 0) return undefined;
  if (!floors.has(req.npmRange)) floors.set(req.npmRange, semver.minVersion(req.npmRange)?.version);
  const floor = floors.get(req.npmRange);
  return floor === undefined ? undefined : new semver.SemVer(floor);
}

/** Cargo reads `26.0.1` and `^26.0.1` alike; anything else that differs in text is a different requirement. */
export function sameRequirement(a: Requirement, b: Requirement): boolean {
  if (a.comparators.length !== b.comparators.length) return false;
  return a.comparators.every((c, i) => {
    const d = b.comparators[i]!;
    return c.op === d.op && c.version === d.version;
  });
}

/** A single comparator with an operator from {^, =, ~}: the styles a chosen version can be written in. */
export function simpleOperator(req: Requirement): '^' | '=' | '~' | undefined {
  if (req.comparators.length !== 1) return undefined;
  const c = req.comparators[0]!;
  if (/[*xX]/.test(c.version)) return undefined;
  return c.op === '^' || c.op === '=' || c.op === '~' ? c.op : undefined;
}
