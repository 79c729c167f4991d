import type { DependencyEntry } from './dependencies.js';
import type { Manifest } from './read.js';

/**
 * The part of a manifest that cargo-hakari generates: the lines from `### BEGIN HAKARI SECTION` to
 * `### END HAKARI SECTION`, markers included. `cargo hakari generate` rewrites it from Cargo.lock, so this tool
 * never edits it.
 */
export interface HakariSection {
  /** 1-based line of the BEGIN marker. */
  readonly startLine: number;
  /** 1-based line of the END marker, or the file's last line when there is none. */
  readonly endLine: number;
  /** False when no END marker follows: the section is taken to run to the end of the file. */
  readonly closed: boolean;
}

const BEGIN = '### BEGIN HAKARI SECTION';
const END = '### END HAKARI SECTION';

/**
 * Every hakari section of a manifest's text, in order. cargo-hakari itself looks for the exact text
 * `\n### BEGIN HAKARI SECTION\n` and then `\n### END HAKARI SECTION\n`, and refuses a file without both. This
 * finder errs towards protecting more: a marker is a line that is exactly the marker text once trailing spaces,
 * tabs and a CR are dropped (so a CRLF checkout, which cargo-hakari would refuse, is protected too), and a BEGIN
 * line without an END line protects the rest of the file. Each BEGIN pairs with the first END after it, as in
 * cargo-hakari; an END without a BEGIN is ordinary text.
 */
export function hakariSections(text: string): HakariSection[] {
  // Nearly every manifest has no marker; one search spares splitting it into lines.
  if (!text.includes(BEGIN)) return [];
  const lines = text.split('\n');
  const isMarker = (line: string, marker: string): boolean => line.startsWith(marker) && /^[ \t\r]*$/.test(line.slice(marker.length));
  const out: HakariSection[] = [];
  let start: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (start === undefined) {
      if (isMarker(line, BEGIN)) start = i + 1;
    } else if (isMarker(line, END)) {
      out.push({ startLine: start, endLine: i + 1, closed: true });
      start = undefined;
    }
  }
  if (start !== undefined) {
    // A final newline ends the last line; it does not start another one.
    const last = lines.length - (lines.at(-1) === '' && lines.length > 1 ? 1 : 0);
    out.push({ startLine: start, endLine: Math.max(last, start), closed: false });
  }
  return out;
}

const cache = new WeakMap<Manifest, readonly HakariSection[]>();

/** The manifest's hakari sections, found once per manifest. */
export function hakariSectionsOf(m: Manifest): readonly HakariSection[] {
  let s = cache.get(m);
  if (!s) {
    s = hakariSections(m.text);
    cache.set(m, s);
  }
  return s;
}

/** The lines a dependency entry's text spans (a sub-table entry: from its header to its last field). */
function entryLines(e: DependencyEntry): { start: number; end: number } {
  const nodes = e.style === 'string' || e.style === 'inline' ? [e.kv] : [...(e.style === 'subtable' ? [e.header] : []), ...e.fields.map((f) => f.kv)];
  let start = Infinity;
  let end = -Infinity;
  for (const n of nodes) {
    start = Math.min(start, n.loc.start.line);
    end = Math.max(end, n.loc.end.line);
  }
  return { start, end };
}

/**
 * Whether any of the entry's text lies inside a hakari section of its manifest. Such an entry mirrors what the
 * lock resolved; it is not a request, so it is neither aligned, lifted nor migrated, and it does not choose
 * the version.
 */
export function inHakariSection(e: DependencyEntry): boolean {
  const sections = hakariSectionsOf(e.manifest);
  if (sections.length === 0) return false;
  const { start, end } = entryLines(e);
  return sections.some((s) => start <= s.endLine && end >= s.startLine);
}
