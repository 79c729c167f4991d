/**
 * The README and docs/: every relative link and anchor resolves, the quick start keeps its two commands (and the
 * scripts they run exist), the README shows each CI recipe exactly as its file holds it, and the options table
 * names every option `--help` prints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli, tempDir } from './helpers.js';
import { repoRoot } from './paths.js';

const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const docs = fs.readdirSync(path.join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f));

/** GitHub's heading anchors: lower case, punctuation other than `-` and `_` dropped, spaces to `-`, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fence = !fence;
    if (fence) continue;
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = h[1]!.toLowerCase().replace(/<[^>]*>/g, '').replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a name="([^"]+)"><\/a>/g)) out.add(m[1]!);
  }
  return out;
}

/** Links outside code: `[text](target)`. */
function links(markdown: string): string[] {
  const out: string[] = [];
  let fence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fence = !fence;
    if (fence) continue;
    const text = line.replace(/`[^`]*`/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) out.push(m[1]!);
  }
  return out;
}

test('README.md and docs/*.md: every relative link names a file that exists, and every anchor a heading in it', () => {
  const broken: string[] = [];
  for (const file of ['README.md', ...docs]) {
    const text = fs.readFileSync(path.join(repoRoot, file), 'utf8');
    for (const target of links(text)) {
      if (/^[a-z]+:/i.test(target)) continue;
      const [rel, anchor] = target.split('#') as [string, string | undefined];
      const dest = rel === '' ? path.join(repoRoot, file) : path.resolve(path.dirname(path.join(repoRoot, file)), rel);
      if (!fs.existsSync(dest)) { broken.push(`${file}: ${target} (no such file)`); continue; }
      if (anchor !== undefined && dest.endsWith('.md') && !anchors(fs.readFileSync(dest, 'utf8')).has(anchor)) broken.push(`${file}: ${target} (no such anchor)`);
    }
  }
  assert.deepEqual(broken, []);
});

test('README.md links every page of docs/', () => {
  for (const page of docs) assert.ok(readme.includes(`](${page})`) || readme.includes(`](${page}#`), `the README links ${page}`);
});

test('README.md: the quick start keeps its two commands, and the scripts they run exist', () => {
  assert.match(readme, /^npm ci && npm run demo {4}# /m);
  assert.match(readme, /^npm ci && npm test {8}# /m);
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.ok(pkg.scripts.demo && pkg.scripts.test && pkg.scripts.prepare, 'demo, test and prepare scripts');
  // `npm ci` runs `prepare` (the build), so `npm run demo` finds dist/bin/wasmtime-align.js.
  assert.match(pkg.scripts.prepare!, /build/);
  assert.match(pkg.scripts.demo!, /dist\/bin\/wasmtime-align\.js examples\/mixed-workspace/);
});

test('README.md shows each CI recipe exactly as its file holds it, and names the file', () => {
  for (const [file, lang] of [['examples/ci/github-actions.yml', 'yaml'], ['.pre-commit-hooks.yaml', 'yaml'], ['examples/ci/renovate.json', 'json']] as const) {
    const body = fs.readFileSync(path.join(repoRoot, file), 'utf8');
    assert.ok(readme.includes(`\`\`\`${lang}\n${body}\`\`\`\n`), `the README shows ${file} verbatim`);
    assert.ok(readme.includes(`](${file})`), `the README links ${file}`);
  }
});

test('README.md: the options table names every option of --help', () => {
  const help = runCli(['--help'], tempDir('docs-help'));
  assert.equal(help.status, 0);
  const options = [...help.stdout.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]!);
  assert.ok(options.length > 10);
  for (const o of options) assert.ok(readme.includes(`\`${o}`), `the README documents ${o}`);
});
