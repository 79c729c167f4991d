import type { TomlTable } from './read.js';

/**
 * The plain value of a manifest written in the everyday subset of TOML, read without building a syntax tree.
 *
 * On a monorepo most manifests are only read (to find members and see that none uses the family) and never
 * edited; building toml-eslint-parser's tree for each of them cost most of a run's time and memory. This reads
 * them in one pass that allocates little more than the value itself.
 *
 * The contract: a result, when there is one, equals `getStaticTOMLValue(parseTOML(text))` and the text is valid
 * TOML 1.0 (so also 1.1). Anything outside the subset, and every error, gives `undefined`, and the caller parses
 * with toml-eslint-parser, which then gives the value or the error with its position. Outside the subset:
 * multi-line strings; escapes other than TOML 1.0's; numbers other than plain unsigned decimal integers; dates
 * and times; inline tables with TOML 1.1's newlines or trailing comma; a key named `__proto__`; more than 80 nested
 * arrays and inline tables, or a key of more than 80 parts (cargo's limits); a header over a
 * table defined with dotted keys; dotted keys reaching into a table not defined by dotted keys in the same table.
 * Those are rare in manifests, and TOML's rules for them are where parsers disagree.
 */
export function quickValue(text: string): TomlTable | undefined {
  try {
    return new QuickReader(text).document();
  } catch (e) {
    if (e === OUTSIDE) return undefined;
    throw e;
  }
}

/** Thrown (a constant, so no stack is captured) for an error or for anything outside the subset. */
const OUTSIDE = Symbol('outside the quick subset');

/** How a table came to be, which decides what may still add to it (TOML 1.0, "Table"). */
const enum Made {
  /** By a `[header]` or as an element of `[[header]]`. */
  Header,
  /** As the parent of a header (`[a.b]` makes `a`); a later `[a]` may still define it. */
  Implicit,
  /** By dotted keys (`a.b = 1` makes `a`); only more dotted keys of the same table may add to it. */
  Dotted,
  /** As an inline table, or inside one; closed once written. */
  Inline,
}

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const HASH = 0x23;
const APOSTROPHE = 0x27;
const COMMA = 0x2c;
const DOT = 0x2e;
const EQUALS = 0x3d;
const OPEN_BRACKET = 0x5b;
const BACKSLASH = 0x5c;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const DEL = 0x7f;

function isBareKeyChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Control characters other than tab, which TOML forbids in strings and comments (a comment ends before CRLF). */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;
/** The same, or a backslash: a basic string without any is its own value. */
const CONTROL_OR_ESCAPE = /[\x00-\x08\x0a-\x1f\x7f\\]/;

/** A control character TOML forbids in strings and comments (tab is allowed). */
function isControl(c: number): boolean {
  return (c < SPACE && c !== TAB) || c === DEL;
}

class QuickReader {
  private pos = 0;
  /** Arrays and inline tables open around the value being read. */
  private depth = 0;
  private readonly made = new Map<TomlTable, Made>();
  /** Arrays made by `[[header]]`, the only arrays a header may add to or reach into. */
  private readonly tableArrays = new Set<TomlTable[]>();

  constructor(private readonly text: string) {}

  document(): TomlTable {
    const root: TomlTable = {};
    this.made.set(root, Made.Header);
    let current = root;
    const t = this.text;
    while (this.pos < t.length) {
      this.skipSpaces();
      const c = this.code();
      if (c === OPEN_BRACKET) current = this.header(root);
      else if (c !== HASH && c !== LF && c !== CR && !Number.isNaN(c)) this.keyValue(current, false);
      this.endOfLine();
    }
    return root;
  }

  private code(): number {
    return this.text.charCodeAt(this.pos);
  }

  private skipSpaces(): void {
    let c = this.code();
    while (c === SPACE || c === TAB) c = this.text.charCodeAt(++this.pos);
  }

  /** Optional spaces and comment, then a newline or the end of the text. */
  private endOfLine(): void {
    this.skipSpaces();
    if (this.code() === HASH) this.comment();
    const c = this.code();
    if (c === LF) this.pos++;
    else if (c === CR && this.text.charCodeAt(this.pos + 1) === LF) this.pos += 2;
    else if (this.pos < this.text.length) throw OUTSIDE;
  }

  /** From `#` up to (not including) the line break. */
  private comment(): void {
    const t = this.text;
    const lf = t.indexOf('\n', this.pos);
    let end = lf < 0 ? t.length : lf;
    if (t.charCodeAt(end - 1) === CR && lf >= 0) end--;
    // A regular expression scans the (often long) comment far faster than a loop of the interpreter.
    if (CONTROL.test(t.slice(this.pos + 1, end))) throw OUTSIDE;
    this.pos = end;
  }

  /** Spaces, line breaks and comments between array elements. */
  private skipBlank(): void {
    for (;;) {
      this.skipSpaces();
      const c = this.code();
      if (c === HASH) this.comment();
      else if (c === LF) this.pos++;
      else if (c === CR && this.text.charCodeAt(this.pos + 1) === LF) this.pos += 2;
      else return;
    }
  }

  /** `[a.b]` or `[[a.b]]`: returns the table the following lines fill. */
  private header(root: TomlTable): TomlTable {
    const t = this.text;
    const isArray = t.charCodeAt(this.pos + 1) === OPEN_BRACKET;
    this.pos += isArray ? 2 : 1;
    this.skipSpaces();
    const keys = this.key();
    if (this.code() !== CLOSE_BRACKET || (isArray && t.charCodeAt(this.pos + 1) !== CLOSE_BRACKET)) throw OUTSIDE;
    this.pos += isArray ? 2 : 1;

    let table = root;
    for (let i = 0; i < keys.length - 1; i++) table = this.headerParent(table, keys[i]!);
    const last = keys[keys.length - 1]!;
    const existing = own(table, last);
    const fresh: TomlTable = {};
    this.made.set(fresh, Made.Header);
    if (existing === undefined) {
      if (isArray) {
        const list = [fresh];
        this.tableArrays.add(list);
        table[last] = list;
      } else table[last] = fresh;
      return fresh;
    }
    if (isArray) {
      if (!Array.isArray(existing) || !this.tableArrays.has(existing as TomlTable[])) throw OUTSIDE;
      (existing as TomlTable[]).push(fresh);
      return fresh;
    }
    if (isTable(existing) && this.made.get(existing) === Made.Implicit) {
      this.made.set(existing, Made.Header);
      return existing;
    }
    throw OUTSIDE;
  }

  /** A step of a header's key path: an existing header table, the last of a `[[...]]` array, or a new implicit table. */
  private headerParent(table: TomlTable, key: string): TomlTable {
    const existing = own(table, key);
    if (existing === undefined) {
      const fresh: TomlTable = {};
      this.made.set(fresh, Made.Implicit);
      table[key] = fresh;
      return fresh;
    }
    if (Array.isArray(existing)) {
      if (!this.tableArrays.has(existing as TomlTable[])) throw OUTSIDE;
      return existing[existing.length - 1] as TomlTable;
    }
    const made = isTable(existing) ? this.made.get(existing) : undefined;
    if (made === Made.Header || made === Made.Implicit) return existing as TomlTable;
    throw OUTSIDE;
  }

  /**
   * `a.b = value` into `table`. In a table section (`inline` false) the dotted key may add to tables that dotted
   * keys made (all of them in this same section: a header cannot reopen a table); in an inline table, only to
   * tables made by dotted keys of that inline table.
   */
  private keyValue(table: TomlTable, inline: boolean): void {
    const keys = this.key();
    if (this.code() !== EQUALS) throw OUTSIDE;
    this.pos++;
    this.skipSpaces();
    let target = table;
    for (let i = 0; i < keys.length - 1; i++) {
      const existing = own(target, keys[i]!);
      if (existing === undefined) {
        const fresh: TomlTable = {};
        this.made.set(fresh, inline ? Made.Inline : Made.Dotted);
        if (inline) this.dottedInline.add(fresh);
        target[keys[i]!] = fresh;
        target = fresh;
      } else if (isTable(existing) && (inline ? this.dottedInline.has(existing) : this.made.get(existing) === Made.Dotted)) {
        target = existing;
      } else throw OUTSIDE;
    }
    const last = keys[keys.length - 1]!;
    if (own(target, last) !== undefined) throw OUTSIDE;
    target[last] = this.value();
  }

  /** Tables made by dotted keys inside the inline table being read (only they may be added to there). */
  private dottedInline = new Set<TomlTable>();

  /** A key, dotted or not, and the spaces after it. */
  private key(): string[] {
    const keys: string[] = [];
    for (;;) {
      const c = this.code();
      let k: string;
      if (c === QUOTE) k = this.basicString();
      else if (c === APOSTROPHE) k = this.literalString();
      else {
        const start = this.pos;
        while (isBareKeyChar(this.code())) this.pos++;
        if (this.pos === start) throw OUTSIDE;
        k = this.text.slice(start, this.pos);
      }
      if (k === '__proto__') throw OUTSIDE;
      keys.push(k);
      // A key of more than 80 parts is past cargo's recursion limit: an error for the full parser to place.
      if (keys.length > 80) throw OUTSIDE;
      this.skipSpaces();
      if (this.code() !== DOT) return keys;
      this.pos++;
      this.skipSpaces();
    }
  }

  private value(): unknown {
    const c = this.code();
    if (c === QUOTE) return this.basicString();
    if (c === APOSTROPHE) return this.literalString();
    if (c === OPEN_BRACKET) return this.array();
    if (c === OPEN_BRACE) return this.inlineTable();
    const t = this.text;
    if (t.startsWith('true', this.pos)) return this.word(4, true);
    if (t.startsWith('false', this.pos)) return this.word(5, false);
    if (isDigit(c)) {
      const start = this.pos;
      while (isDigit(this.code())) this.pos++;
      // Leading zeros are invalid, and more digits than a double holds exactly would differ from the full parser.
      if ((c === 0x30 && this.pos - start > 1) || this.pos - start > 15) throw OUTSIDE;
      return this.word(0, Number(t.slice(start, this.pos)));
    }
    throw OUTSIDE;
  }

  /** A keyword or number of `length` more characters, which must end where a value may end. */
  private word<T>(length: number, value: T): T {
    this.pos += length;
    const c = this.code();
    if (c === SPACE || c === TAB || c === LF || c === CR || c === HASH || c === COMMA || c === CLOSE_BRACKET || c === CLOSE_BRACE || Number.isNaN(c)) {
      return value;
    }
    throw OUTSIDE;
  }

  private array(): unknown[] {
    this.pos++;
    // cargo reads at most 80 nested arrays and inline tables; deeper is an error the full parser places.
    if (++this.depth > 80) throw OUTSIDE;
    const out: unknown[] = [];
    for (;;) {
      this.skipBlank();
      if (this.code() === CLOSE_BRACKET) break;
      out.push(this.value());
      this.skipBlank();
      const c = this.code();
      if (c === COMMA) this.pos++;
      else if (c === CLOSE_BRACKET) break;
      else throw OUTSIDE;
    }
    this.pos++;
    this.depth--;
    return out;
  }

  private inlineTable(): TomlTable {
    this.pos++;
    if (++this.depth > 80) throw OUTSIDE;
    const table: TomlTable = {};
    this.made.set(table, Made.Inline);
    const outer = this.dottedInline;
    this.dottedInline = new Set();
    this.skipSpaces();
    if (this.code() === CLOSE_BRACE) {
      this.pos++;
    } else {
      for (;;) {
        this.keyValue(table, true);
        this.skipSpaces();
        const c = this.code();
        if (c === CLOSE_BRACE) {
          this.pos++;
          break;
        }
        if (c !== COMMA) throw OUTSIDE;
        this.pos++;
        this.skipSpaces();
      }
    }
    this.dottedInline = outer;
    this.depth--;
    return table;
  }

  private basicString(): string {
    const t = this.text;
    let i = this.pos + 1;
    if (t.charCodeAt(i) === QUOTE && t.charCodeAt(i + 1) === QUOTE) throw OUTSIDE; // multi-line
    // Most strings have no escape: up to the next quote, checked at once.
    const close = t.indexOf('"', i);
    if (close >= 0) {
      const plain = t.slice(i, close);
      if (!CONTROL_OR_ESCAPE.test(plain)) {
        this.pos = close + 1;
        return plain;
      }
    }
    let out = '';
    let run = i;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === QUOTE) break;
      if (Number.isNaN(c) || isControl(c)) throw OUTSIDE;
      if (c !== BACKSLASH) {
        i++;
        continue;
      }
      out += t.slice(run, i);
      const e = t.charCodeAt(i + 1);
      i += 2;
      switch (e) {
        case 0x62: out += '\b'; break;
        case 0x74: out += '\t'; break;
        case 0x6e: out += '\n'; break;
        case 0x66: out += '\f'; break;
        case 0x72: out += '\r'; break;
        case QUOTE: out += '"'; break;
        case BACKSLASH: out += '\\'; break;
        case 0x75: // \uXXXX
        case 0x55: { // \UXXXXXXXX
          const n = e === 0x75 ? 4 : 8;
          const hex = t.slice(i, i + n);
          if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== n) throw OUTSIDE;
          const cp = parseInt(hex, 16);
          if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) throw OUTSIDE;
          out += String.fromCodePoint(cp);
          i += n;
          break;
        }
        default:
          throw OUTSIDE; // TOML 1.1's \e and \xHH, or no escape at all
      }
      run = i;
    }
    this.pos = i + 1;
    return out + t.slice(run, i);
  }

  private literalString(): string {
    const t = this.text;
    const start = this.pos + 1;
    if (t.charCodeAt(start) === APOSTROPHE && t.charCodeAt(start + 1) === APOSTROPHE) throw OUTSIDE; // multi-line
    const close = t.indexOf("'", start);
    if (close < 0) throw OUTSIDE;
    const value = t.slice(start, close);
    if (CONTROL.test(value)) throw OUTSIDE;
    this.pos = close + 1;
    return value;
  }
}

function isTable(v: unknown): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The key's own value (never one inherited from Object.prototype, such as `constructor`). */
function own(table: TomlTable, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}
