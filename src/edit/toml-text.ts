import type { AST } from 'toml-eslint-parser';

/**
 * TOML text for the few kinds of value this tool writes: strings, booleans, arrays of strings and inline tables
 * of those. Formatting follows cargo's own style (`{ version = "1", features = ["a"] }`).
 */
export type WritableValue = string | boolean | number | readonly WritableValue[] | { readonly [key: string]: WritableValue };

export type StringStyle = 'basic' | 'literal';

/** A TOML string; `literal` ('...') is kept where the text allows it. */
export function formatString(s: string, style: StringStyle = 'basic'): string {
  if (style === 'literal' && !/['\n\r\u0000-\u0008\u000b-\u001f\u007f]/.test(s)) return `'${s}'`;
  if (/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) {
    throw new Error(`cannot write a lone surrogate in a TOML string: ${JSON.stringify(s)}`);
  }
  // JSON escapes are TOML escapes, except that DEL must be escaped too.
  return JSON.stringify(s).replace(/\u007f/g, '\\u007F');
}

export function formatKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : formatString(key);
}

export function formatValue(v: WritableValue): string {
  if (typeof v === 'string') return formatString(v);
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  const entries = Object.entries(v as Record<string, WritableValue>);
  if (entries.length === 0) return '{}';
  return `{ ${entries.map(([k, x]) => `${formatKey(k)} = ${formatValue(x)}`).join(', ')} }`;
}

/** A value in the quoting style of the value it replaces. */
export function formatLike(node: AST.TOMLContentNode, v: WritableValue): string {
  if (typeof v === 'string' && node.type === 'TOMLValue' && node.kind === 'string' && node.style === 'literal' && !node.multiline) {
    return formatString(v, 'literal');
  }
  return formatValue(v);
}
