/**
 * The last check before anything is written (src/edit/validate.ts): a rendered manifest must parse, have exactly
 * the planned value, and still be TOML 1.0 when its input was. Checked here with no changes planned, so the
 * planned value is the input's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateRendered } from '../src/edit/validate.js';
import { parseManifest } from '../src/manifest/read.js';

const manifest = (text: string) => parseManifest('/ws/Cargo.toml', Buffer.from(text));

const INPUT = '[package]\nname = "a"\n\n[dependencies]\nwasmtime = { version = "26.0.1", features = ["async"] }\n';

test('the same value, written differently, passes', () => {
  validateRendered(manifest(INPUT), [], INPUT);
  validateRendered(manifest(INPUT), [], INPUT.replace('{ version = "26.0.1", features = ["async"] }', "{ features = [ 'async' ], version = '26.0.1' } # kept"));
});

test('another value is refused', () => {
  assert.throws(() => validateRendered(manifest(INPUT), [], INPUT.replace('26.0.1', '26.0.2')), /does not have the planned value/);
  assert.throws(() => validateRendered(manifest(INPUT), [], `${INPUT}extra = 1\n`), /does not have the planned value/);
});

test('a document that does not parse is refused', () => {
  assert.throws(() => validateRendered(manifest(INPUT), [], INPUT.replace('["async"]', '["async"')), /does not parse/);
});

test('TOML 1.0 in, TOML 1.1 out is refused; TOML 1.1 in may stay 1.1', () => {
  const v11 = INPUT.replace('["async"] }', '["async"], }');
  assert.throws(() => validateRendered(manifest(INPUT), [], v11), /no longer TOML 1\.0/);
  validateRendered(manifest(v11), [], v11);
});

test('values the two parsers give in other shapes (dates, integers beyond 2^53) are compared by the full parser', () => {
  const text = `${INPUT}\n[package.metadata]\nreleased = 1979-05-27T07:32:00Z\nday = 1979-05-27\nbig = 1234567890123456789\n`;
  validateRendered(manifest(text), [], text);
  assert.throws(() => validateRendered(manifest(text), [], text.replace('1979-05-27T07:32:00Z', '1979-05-28T07:32:00Z')), /does not have the planned value/);
});
