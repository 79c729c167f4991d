/**
 * The parts of the `semver` package this tool uses, loaded file by file: its index loads every function and
 * class it has, which cost a noticeable share of a run's start-up. Import as `import * as semver from './semver.js'`.
 */
export { default as SemVer } from 'semver/classes/semver.js';
export { default as coerce } from 'semver/functions/coerce.js';
export { default as compare } from 'semver/functions/compare.js';
export { default as eq } from 'semver/functions/eq.js';
export { default as gt } from 'semver/functions/gt.js';
export { default as gte } from 'semver/functions/gte.js';
export { default as lt } from 'semver/functions/lt.js';
export { default as lte } from 'semver/functions/lte.js';
export { default as major } from 'semver/functions/major.js';
export { default as minor } from 'semver/functions/minor.js';
export { default as parse } from 'semver/functions/parse.js';
export { default as patch } from 'semver/functions/patch.js';
export { default as prerelease } from 'semver/functions/prerelease.js';
export { default as rcompare } from 'semver/functions/rcompare.js';
export { default as satisfies } from 'semver/functions/satisfies.js';
export { default as valid } from 'semver/functions/valid.js';
export { default as minVersion } from 'semver/ranges/min-version.js';
export { default as validRange } from 'semver/ranges/valid.js';
