/** Help texts, the version line and clap-style usage errors of every command. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { embeddedReleaseData } from '../family/release-data.js';
import { packageRoot } from '../package-root.js';
import { COMMANDS, OPTIONS, VALUE_NAMES, type Command, type OptionName, type UsageError } from './args.js';

/** The usage line of each command, as errors show it. */
export const USAGE: Readonly<Record<Command, string>> = {
  run: 'Usage: wasmtime-align [OPTIONS] [PATHS]...',
  doctor: 'Usage: wasmtime-align doctor [OPTIONS] [PATHS]...',
  notes: 'Usage: wasmtime-align notes [OPTIONS] [PATHS]...',
  'update-data': 'Usage: wasmtime-align update-data [OPTIONS]',
  help: 'Usage: wasmtime-align help [COMMAND]',
};

const PATHS = ['Arguments:', '  [PATHS]...  Workspace directories or Cargo.toml files (default: .); a path inside a workspace', '              brings in the whole workspace'];

/** What each command is for: the text between its usage line and its options. */
const ABOUT: Readonly<Record<Command, readonly string[]>> = {
  run: [
    'Aligns the wasmtime crate family in every Cargo workspace under the paths (default: .):',
    "lifts it into the root's [workspace.dependencies] at one version, makes members inherit it, and",
    'carries feature names to that release. Prints a unified diff by default (dry run); nothing is',
    'written without --write.',
    '',
    'Commands:',
    '  doctor       Diagnose the family in each Cargo.lock (offline): releases, drift, features, toolchains',
    '  notes        Print the release notes the upgrade crosses',
    '  update-data  Refresh the release data cache from the registry index',
    '  help         Print this message or the help of the given command',
    '',
    ...PATHS,
  ],
  doctor: [
    'Diagnoses the wasmtime family in each Cargo.lock under the paths, offline (no cargo, no network): every',
    'family crate locked and what pulls each version in, members on different releases, broken exact pins,',
    'a stale lock, features the locked release lacks, Rust versions below its minimum.',
    '',
    ...PATHS,
  ],
  notes: [
    "Prints wasmtime's release notes of every release the upgrade of each root crosses, as markdown: the",
    'Changed, Removed and Security Fixes sections (--all: every section), items naming what the root uses',
    'first. The target is the one a run with the same options chooses.',
    '',
    ...PATHS,
  ],
  'update-data': [
    "Fetches every family crate's file from the registry index into the user cache",
    '($XDG_CACHE_HOME/wasmtime-align), which later runs read when it is newer than the embedded data.',
  ],
  help: ['Prints the help of wasmtime-align or of one of its commands.', '', 'Arguments:', '  [COMMAND]  doctor, notes, update-data or help'],
};

/** Each option's help, per command where it differs. */
const HELP: Readonly<Record<OptionName, readonly string[] | Partial<Record<Command, readonly string[]>>>> = {
  to: {
    run: ['The release to align to: 26.0.1, a line (26, 26.0) or latest', '(default: the newest one already requested)'],
    notes: ['The release the upgrade goes to: 26.0.1, a line (26, 26.0) or latest', '(default: the one a run would choose)'],
  },
  write: ['Apply the changes'],
  check: ['Print the diff and exit with 1 if anything would change'],
  json: { run: ['Print a JSON report on stdout instead of the diff'], doctor: ['Print a JSON report on stdout'], notes: ['Print the notes as JSON'] },
  list: ['Print only the paths of the files that would change (or, with --write, that changed),', 'one per line, instead of the diff'],
  'message-format': ['human (default), or github: also print GitHub Actions annotations for errors,', 'warnings and files that would change (on stderr)'],
  exact: ['Write exact requirements (=X.Y.Z)'],
  'no-lift': ['Align versions where they stand; add nothing to [workspace.dependencies]'],
  exclude: ['Leave a crate (and the family crates it pins exactly) as it is; repeatable,', 'comma lists and globs (cranelift-*) accepted'],
  'all-keys': ['Also align renamed second copies of a crate (kept as they are by default)'],
  'drop-unknown-features': ['Drop features the chosen release lacks (with a warning) instead of stopping'],
  'apply-crate-migrations': ['Replace crates renamed or merged at the chosen release'],
  'bump-rust-version': ["Raise rust-version fields below the chosen release's minimum Rust version"],
  'allow-unknown-version': ['Accept a --to release the release data does not know'],
  'allow-yanked': ['Accept a yanked --to release (named exactly)'],
  'keep-going': ['With several roots, plan (and write) the ones without errors; exit 2 still'],
  'update-lock': ['After --write, run the cargo update that refreshes each Cargo.lock'],
  refresh: ["Fetch the family's releases from the registry index first"],
  'index-url': {
    run: ['The index to fetch from (and whose cached data to read): a sparse index URL or a', 'local directory (default: https://index.crates.io/)'],
    doctor: ['Read the release data cached from this index (default: https://index.crates.io/)'],
    notes: ['Read the release data cached from this index (default: https://index.crates.io/)'],
    'update-data': ['The index to fetch from: a sparse index URL or a local directory', '(default: https://index.crates.io/)'],
  },
  all: ['Every section of the release notes, not only Changed, Removed and Security Fixes'],
  help: ['Print help'],
  version: ['Print version'],
};

const EXIT: Readonly<Record<Command, readonly string[]>> = {
  run: [
    'Exit status: 0 done or nothing to change, 1 --check found changes, 2 error (nothing written),',
    '130 / 143 / 129 --write stopped by SIGINT / SIGTERM / SIGHUP (nothing written, or all of it).',
  ],
  doctor: ['Exit status: 0 nothing found, 1 found something, 2 error.'],
  notes: ['Exit status: 0 done, 2 error.'],
  'update-data': ['Exit status: 0 something was fetched (or found unchanged), 2 nothing could be.'],
  help: [],
};

/** `wasmtime-align --help`, `wasmtime-align doctor --help`, `wasmtime-align help notes`. */
export function helpText(command: Command): string {
  const options: readonly OptionName[] = COMMANDS[command];
  const left = (n: OptionName): string => {
    const s: string | undefined = (OPTIONS[n] as { short?: string }).short;
    return `${s !== undefined ? `  -${s}, ` : '      '}--${n}${OPTIONS[n].type === 'string' ? ` <${VALUE_NAMES[n] ?? 'value'}>` : ''}`;
  };
  const width = Math.max(...options.map((n) => left(n).length)) + 2;
  const lines = options.flatMap((n) => {
    const h = HELP[n];
    const text = Array.isArray(h) ? h : ((h as Partial<Record<Command, readonly string[]>>)[command] ?? Object.values(h)[0]!);
    return text.map((t: string, i: number) => `${(i === 0 ? left(n) : '').padEnd(width)}${t}`);
  });
  const head = command === 'run' ? [USAGE.run, '       wasmtime-align <COMMAND> [OPTIONS] [PATHS]...'] : [USAGE[command]];
  const exit = EXIT[command].length > 0 ? ['', ...EXIT[command]] : [];
  return [...head, '', ...ABOUT[command], '', 'Options:', ...lines, ...exit, ''].join('\n');
}

/** `wasmtime-align 0.1.0 (release data 2025-09-28, newest wasmtime 48.0.0)`: what the embedded data knows. */
export function versionText(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  const data = embeddedReleaseData();
  const newest = data.resolveLine('wasmtime', 'latest')?.version;
  return `wasmtime-align ${pkg.version} (release data ${data.snapshot}${newest !== undefined ? `, newest wasmtime ${newest}` : ''})\n`;
}

/** clap's layout: `error: ...`, a tip, the command's usage line, and where to read more. */
export function usageErrorText(e: UsageError): string {
  const tip = e.opts.tip !== undefined ? `  tip: ${e.opts.tip}\n\n` : '';
  const usage = e.opts.usage ? `${USAGE[e.command]}\n\n` : '';
  return `error: ${e.message}\n\n${tip}${usage}For more information, try '--help'.\n`;
}
