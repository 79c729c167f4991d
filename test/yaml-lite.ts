/**
 * A reader for the block-style YAML subset the CI recipes use (no YAML package is a dependency here):
 * block mappings and sequences, `- key: value` items, plain, single- and double-quoted scalars, flow
 * sequences of scalars (`[a, b]`), literal blocks (`|`, `|-`), comments and blank lines. Anything else
 * (anchors, tags, flow mappings, folded blocks, multi-line plain scalars, tabs) throws, naming the line,
 * so a recipe that outgrows the subset fails its test instead of being misread. Scalars stay strings,
 * except `true` / `false`, which pre-commit's `pass_filenames` needs; `on` stays the key GitHub reads.
 */

export type YamlValue = string | boolean | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  readonly no: number;
  readonly indent: number;
  readonly text: string;
}

export function parseYaml(source: string): YamlValue {
  const raw = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  const lines: Line[] = [];
  raw.forEach((l, i) => {
    if (/^\t| \t/.test(l.match(/^[ \t]*/)![0])) throw new Error(`line ${i + 1}: tab in indentation`);
    const text = stripComment(l, i + 1).trimEnd();
    if (text.trim() === '' || text.trim() === '---') return;
    lines.push({ no: i + 1, indent: text.length - text.trimStart().length, text: text.trimStart() });
  });
  const state = { i: 0, lines, raw };
  if (lines.length === 0) return '';
  const value = parseBlock(state, lines[0]!.indent);
  if (state.i < lines.length) throw new Error(`line ${lines[state.i]!.no}: unexpected indentation`);
  return value;
}

interface State {
  i: number;
  readonly lines: Line[];
  readonly raw: string[];
}

function parseBlock(s: State, indent: number): YamlValue {
  const first = s.lines[s.i]!;
  return first.text.startsWith('- ') || first.text === '-' ? parseSequence(s, indent) : parseMapping(s, indent);
}

function parseSequence(s: State, indent: number): YamlValue[] {
  const out: YamlValue[] = [];
  while (s.i < s.lines.length) {
    const line = s.lines[s.i]!;
    if (line.indent < indent) break;
    if (line.indent > indent) throw new Error(`line ${line.no}: unexpected indentation`);
    if (!(line.text.startsWith('- ') || line.text === '-')) break;
    const rest = line.text.slice(1).trimStart();
    const inner = line.indent + 1 + (line.text.length - 1 - rest.length);
    if (rest === '') {
      s.i++;
      out.push(s.i < s.lines.length && s.lines[s.i]!.indent > indent ? parseBlock(s, s.lines[s.i]!.indent) : '');
    } else if (keyOf(rest) !== undefined) {
      // `- key: value` opens a mapping whose keys sit at the column after the dash.
      s.lines[s.i] = { no: line.no, indent: inner, text: rest };
      out.push(parseMapping(s, inner));
    } else {
      s.i++;
      out.push(scalar(rest, line.no));
    }
  }
  return out;
}

function parseMapping(s: State, indent: number): { [key: string]: YamlValue } {
  const out: { [key: string]: YamlValue } = {};
  while (s.i < s.lines.length) {
    const line = s.lines[s.i]!;
    if (line.indent < indent) break;
    if (line.indent > indent) throw new Error(`line ${line.no}: unexpected indentation`);
    const kv = keyOf(line.text);
    if (kv === undefined) throw new Error(`line ${line.no}: expected \`key: value\`, found ${JSON.stringify(line.text)}`);
    const [key, rest] = kv;
    if (Object.hasOwn(out, key)) throw new Error(`line ${line.no}: duplicate key ${key}`);
    s.i++;
    if (rest === '|' || rest === '|-') {
      out[key] = literalBlock(s, line, indent, rest === '|-');
    } else if (rest === '') {
      const next = s.lines[s.i];
      // A sequence may sit at the key's own indentation (`key:\n- a`), as GitHub's examples write it.
      if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))) out[key] = parseBlock(s, next.indent);
      else out[key] = '';
    } else {
      out[key] = scalar(rest, line.no);
    }
  }
  return out;
}

function literalBlock(s: State, header: Line, indent: number, strip: boolean): string {
  // Read the raw lines after the header: blank lines and `#` inside a block are content.
  const body: string[] = [];
  let j = header.no; // raw index of the line after the header
  let blockIndent = -1;
  for (; j < s.raw.length; j++) {
    const l = s.raw[j]!;
    if (l.trim() === '') { body.push(''); continue; }
    const ind = l.length - l.trimStart().length;
    if (ind <= indent) break;
    if (blockIndent < 0) blockIndent = ind;
    if (ind < blockIndent) throw new Error(`line ${j + 1}: literal block less indented than its first line`);
    body.push(l.slice(blockIndent).trimEnd());
  }
  while (body.length > 0 && body[body.length - 1] === '') body.pop();
  while (s.i < s.lines.length && s.lines[s.i]!.no <= j) s.i++;
  return body.join('\n') + (strip || body.length === 0 ? '' : '\n');
}

/** `key: rest` (rest may be empty), or undefined when the line is not a mapping entry. */
function keyOf(text: string): [string, string] | undefined {
  const quoted = /^(["'])(.*?)\1:(?:\s+|$)(.*)$/.exec(text);
  if (quoted) return [quoted[2]!, quoted[3]!];
  const m = /^([^\s"'\[\]{},#&*!|>%@`-][^:#]*?|-[^\s:#][^:#]*?):(?:\s+(.*)|)$/.exec(text);
  return m ? [m[1]!, m[2] ?? ''] : undefined;
}

function stripComment(line: string, no: number): string {
  let quote = '';
  for (let k = 0; k < line.length; k++) {
    const c = line[k]!;
    if (quote) {
      if (c === quote) {
        if (quote === "'" && line[k + 1] === "'") k++;
        else quote = '';
      } else if (c === '\\' && quote === '"') k++;
    } else if ((c === '"' || c === "'") && (k === 0 || /[\s:\[,-]/.test(line[k - 1]!))) quote = c;
    else if (c === '#' && (k === 0 || /\s/.test(line[k - 1]!))) return line.slice(0, k);
  }
  if (quote) throw new Error(`line ${no}: unterminated quoted scalar`);
  return line;
}

function scalar(text: string, no: number): YamlValue {
  if (/^[&*!>{%@`]/.test(text)) throw new Error(`line ${no}: ${JSON.stringify(text)} is outside the YAML subset this reader takes`);
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) throw new Error(`line ${no}: a flow sequence must end on its line`);
    const inner = text.slice(1, -1).trim();
    return inner === '' ? [] : splitFlow(inner, no).map((x) => scalar(x.trim(), no));
  }
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) throw new Error(`line ${no}: unterminated double-quoted scalar`);
    return JSON.parse(text) as string;
  }
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) throw new Error(`line ${no}: unterminated single-quoted scalar`);
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/: |\s#/.test(text)) throw new Error(`line ${no}: ${JSON.stringify(text)} is ambiguous in plain style`);
  return text;
}

function splitFlow(inner: string, no: number): string[] {
  const parts: string[] = [];
  let quote = '';
  let start = 0;
  for (let k = 0; k < inner.length; k++) {
    const c = inner[k]!;
    if (quote) { if (c === quote) quote = ''; }
    else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') throw new Error(`line ${no}: nested flow collections are outside the subset`);
    else if (c === ',') { parts.push(inner.slice(start, k)); start = k + 1; }
  }
  parts.push(inner.slice(start));
  return parts;
}
