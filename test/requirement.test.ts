import { test } from 'node:test';
import assert from 'node:assert/strict';
import { floorVersion, parseRequirement, sameRequirement, simpleOperator } from '../src/manifest/requirement.js';

test('cargo requirements parse as cargo reads them', () => {
  assert.equal(parseRequirement('26.0.1')?.npmRange, '^26.0.1');
  assert.equal(parseRequirement('=46.0.1')?.npmRange, '=46.0.1');
  assert.equal(parseRequirement('~26.0')?.npmRange, '~26.0');
  assert.equal(parseRequirement('>=26, <28')?.npmRange, '>=26 <28');
  assert.equal(parseRequirement(' 8 ')?.npmRange, '^8');
  assert.equal(parseRequirement('1.*')?.npmRange, '1.*');
  assert.equal(parseRequirement('*')?.comparators.length, 0);
});

test('requirements cargo rejects are rejected', () => {
  for (const bad of ['', 'v1.2.3', '1.2.3 - 1.4.0', '^1.2 || ^2', '>1.2 <1.5', '26.0.1.2', '01.2.3', 'latest']) {
    assert.equal(parseRequirement(bad), undefined, bad);
  }
});

test('the floor orders requirements by the lowest version they admit', () => {
  const floor = (r: string): string => floorVersion(parseRequirement(r)!)!.version;
  assert.equal(floor('8'), '8.0.0');
  assert.equal(floor('0.30'), '0.30.0');
  assert.equal(floor('=45.0.0'), '45.0.0');
  assert.equal(floor('39.0'), '39.0.0');
  assert.equal(floor('49.0.0-dev'), '49.0.0-dev');
  assert.equal(floorVersion(parseRequirement('*')!), undefined);
});

test('a bare version and a caret are the same requirement; precision and operators are not', () => {
  const same = (a: string, b: string): boolean => sameRequirement(parseRequirement(a)!, parseRequirement(b)!);
  assert.ok(same('26.0.1', '^26.0.1'));
  assert.ok(same(' 26.0.1', '26.0.1'));
  assert.ok(!same('26', '26.0.0'));
  assert.ok(!same('=26.0.1', '26.0.1'));
  assert.ok(!same('~26.0.1', '26.0.1'));
});

test('the style operator is only a single ^, = or ~ comparator', () => {
  assert.equal(simpleOperator(parseRequirement('=1.2.3')!), '=');
  assert.equal(simpleOperator(parseRequirement('1.2.3')!), '^');
  assert.equal(simpleOperator(parseRequirement('>=1, <2')!), undefined);
  assert.equal(simpleOperator(parseRequirement('1.*')!), undefined);
});
