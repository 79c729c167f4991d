/**
 * The command line's grammar: every option, which command takes which, and a parser that words its errors the
 * way cargo's parser (clap) does. No planning logic and no output lives here: `parseArgs` returns what was asked,
 * or throws a {@link UsageError} that src/cli/usage.ts formats.
 */
import * as semver from '../semver.js';
import { closest } from '../plan/features.js';
import { MESSAGE_FORMATS } from '../output/github.js';

interface OptionSpec {
  readonly type: 'boolean' | 'string';
  readonly short?: string;
  /** A string option that may be given several times (its values are collected); others may be given once. */
  readonly multiple?: boolean;
}

/** Every option of every command, in the shape of node:util's parseArgs table. Which command takes which: {@link COMMANDS}. */
export const OPTIONS = {
  to: { type: 'string' },
  write: { type: 'boolean' },
  check: { type: 'boolean' },
  json: { type: 'boolean' },
  list: { type: 'boolean' },
  'message-format': { type: 'string' },
  exact: { type: 'boolean' },
  'no-lift': { type: 'boolean' },
  exclude: { type: 'string', multiple: true },
  'all-keys': { type: 'boolean' },
  'drop-unknown-features': { type: 'boolean' },
  'apply-crate-migrations': { type: 'boolean' },
  'bump-rust-version': { type: 'boolean' },
  'allow-unknown-version': { type: 'boolean' },
  'allow-yanked': { type: 'boolean' },
  'keep-going': { type: 'boolean' },
  'update-lock': { type: 'boolean' },
  refresh: { type: 'boolean' },
  'index-url': { type: 'string' },
  all: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies Readonly<Record<string, OptionSpec>>;

export type OptionName = keyof typeof OPTIONS;

/** What help and errors call an option's value (`--to <version>`); `<value>` when not listed. */
export const VALUE_NAMES: Readonly<Partial<Record<OptionName, string>>> = { to: 'version', exclude: 'crate', 'index-url': 'url', 'message-format': 'fmt' };

/**
 * The options each command takes, in the order its help lists them. `run` is the default command (no command
 * word); an option of another command is refused, with a tip naming the commands it belongs to.
 */
export const COMMANDS = {
  run: [
    'to',
    'write',
    'check',
    'json',
    'list',
    'message-format',
    'exact',
    'no-lift',
    'exclude',
    'all-keys',
    'drop-unknown-features',
    'apply-crate-migrations',
    'bump-rust-version',
    'allow-unknown-version',
    'allow-yanked',
    'keep-going',
    'update-lock',
    'refresh',
    'index-url',
    'help',
    'version',
  ],
  doctor: ['json', 'index-url', 'help', 'version'],
  // What a run with the same options would choose as its target (see runNotes), and what to print of it.
  notes: ['to', 'all', 'json', 'exclude', 'all-keys', 'drop-unknown-features', 'apply-crate-migrations', 'allow-unknown-version', 'allow-yanked', 'index-url', 'help', 'version'],
  'update-data': ['index-url', 'help', 'version'],
  help: ['help', 'version'],
} as const satisfies Readonly<Record<string, readonly OptionName[]>>;

export type Command = keyof typeof COMMANDS;

/** The command words; anything else in first position is a path of the default run. */
export const COMMAND_WORDS: readonly Exclude<Command, 'run'>[] = ['doctor', 'notes', 'update-data', 'help'];

type ValueOf<S> = S extends { type: 'string'; multiple: true } ? string[] : S extends { type: 'string' } ? string : boolean;
export type Values = { -readonly [K in OptionName]?: ValueOf<(typeof OPTIONS)[K]> };

export interface Args {
  readonly command: Command;
  readonly values: Values;
  readonly positionals: readonly string[];
}

/** A command line this tool cannot run; exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage line is shown (and which `--help` explains). */
    readonly command: Command,
    readonly opts: { readonly tip?: string; readonly usage?: boolean } = {},
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--to <version>`, `--write`: an option as clap names it in errors. */
export function optionLabel(name: OptionName): string {
  return OPTIONS[name].type === 'string' ? `--${name} <${VALUE_NAMES[name] ?? 'value'}>` : `--${name}`;
}

/**
 * Parses and checks a command line: the command word (the first positional, when it is one), its options anywhere
 * before `--`, its positionals. Options of other commands, unknown ones (with the closest name), a value option
 * given twice, a missing or unexpected value, and options that cannot go together are UsageErrors.
 */
export function parseArgs(argv: readonly string[]): Args {
  const { command, at } = commandOf(argv);
  const allowed: readonly OptionName[] = COMMANDS[command];
  const values: Record<string, string | string[] | true> = {};
  const positionals: string[] = [];
  const unexpected = (arg: string, name?: string): UsageError => new UsageError(`unexpected argument '${arg}' found`, command, { ...tipFor(arg, name, command), usage: true });
  // A flag given twice is given; a value option given twice is refused (node:util's parseArgs keeps the last).
  const set = (name: OptionName, value: string | true): void => {
    const old = values[name];
    if (value === true || old === undefined) values[name] = (OPTIONS[name] as OptionSpec).multiple ? [value as string] : value;
    else if (Array.isArray(old)) old.push(value);
    else throw new UsageError(`the argument '${optionLabel(name)}' cannot be used multiple times`, command, { usage: true });
  };
  const known = (name: string): name is OptionName => Object.hasOwn(OPTIONS, name) && allowed.includes(name as OptionName);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (i === at) continue;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      if (!known(name)) throw unexpected(`--${name}`, name);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      if (OPTIONS[name].type === 'boolean') {
        if (inline !== undefined) throw new UsageError(`unexpected value '${inline}' for '--${name}' found; no more were expected`, command, { usage: true });
        set(name, true);
        continue;
      }
      const value = inline ?? takeValue(argv, i);
      if (value === undefined) throw new UsageError(`a value is required for '${optionLabel(name)}' but none was supplied`, command, { usage: true });
      if (inline === undefined) i++;
      set(name, value);
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') {
      // A cluster of short options (`-hV`); a short option that takes a value takes the rest, or the next word.
      for (let j = 1; j < arg.length; j++) {
        const c = arg[j]!;
        const name = shortName(c);
        if (name === undefined || !allowed.includes(name)) throw unexpected(`-${c}`, name);
        if (OPTIONS[name].type === 'boolean') {
          if (arg[j + 1] === '=') throw new UsageError(`unexpected value '${arg.slice(j + 2)}' for '-${c}' found; no more were expected`, command, { usage: true });
          set(name, true);
          continue;
        }
        const rest = arg.slice(j + 1).replace(/^=/, '');
        const value = rest !== '' ? rest : takeValue(argv, i);
        if (value === undefined) throw new UsageError(`a value is required for '-${c} <${VALUE_NAMES[name] ?? 'value'}>' but none was supplied`, command, { usage: true });
        if (rest === '') i++;
        set(name, value);
        break;
      }
      continue;
    }
    positionals.push(arg);
  }
  const args = { command, values: values as Values, positionals };
  if (values.help !== true && values.version !== true) check(args);
  return args;
}

/** The command word and its index in argv (-1 for the default run): the first positional before `--`. */
function commandOf(argv: readonly string[]): { command: Command; at: number } {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg.startsWith('--')) {
      const name = arg.slice(2);
      if (!arg.includes('=') && Object.hasOwn(OPTIONS, name) && OPTIONS[name as OptionName].type === 'string' && takeValue(argv, i) !== undefined) i++;
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') continue;
    const word = COMMAND_WORDS.find((c) => c === arg);
    return word === undefined ? { command: 'run', at: -1 } : { command: word, at: i };
  }
  return { command: 'run', at: -1 };
}

/** The word after an option that takes a value, unless it looks like an option itself (clap's rule). */
function takeValue(argv: readonly string[], i: number): string | undefined {
  const next = argv[i + 1];
  return next === undefined || (next.startsWith('-') && next !== '-') ? undefined : next;
}

function shortName(c: string): OptionName | undefined {
  return (Object.keys(OPTIONS) as OptionName[]).find((n) => (OPTIONS[n] as OptionSpec).short === c);
}

/** `'--exact' is an option of the default run, not of 'doctor'`, or the closest option of this command. */
function tipFor(arg: string, name: string | undefined, command: Command): { tip?: string } {
  if (name !== undefined && Object.hasOwn(OPTIONS, name)) {
    const owners = (Object.keys(COMMANDS) as Command[]).filter((c) => (COMMANDS[c] as readonly string[]).includes(name)).map(commandName);
    return { tip: `'${arg}' is an option of ${listed(owners)}, not of ${commandName(command)}` };
  }
  if (!arg.startsWith('--')) return {};
  const near = closest(arg.slice(2), COMMANDS[command]);
  return near === undefined ? {} : { tip: `a similar argument exists: '--${near}'` };
}

export function commandName(c: Command): string {
  return c === 'run' ? 'the default run' : `'${c}'`;
}

function listed(xs: readonly string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

/** What cannot go together, or has a bad value; clap's words, without the usage line (as before). */
function check({ command, values: o, positionals }: Args): void {
  const fail = (message: string, usage = false): never => {
    throw new UsageError(message, command, { usage });
  };
  if ((command === 'update-data' && positionals.length > 0) || (command === 'help' && positionals.length > 1)) {
    fail(`unexpected argument '${positionals[command === 'help' ? 1 : 0]}' found`, true);
  }
  if (command === 'help' && positionals[0] !== undefined && !COMMAND_WORDS.includes(positionals[0] as never)) fail(`unrecognized subcommand '${positionals[0]}'`, true);
  if (o.write && o.check) fail("the argument '--write' cannot be used with '--check'");
  if (o['update-lock'] && !o.write) fail("the argument '--update-lock' requires '--write'");
  if (o.list && o.json) fail("the argument '--list' cannot be used with '--json'");
  const format = o['message-format'];
  if (format !== undefined && !MESSAGE_FORMATS.includes(format as never)) {
    fail(`invalid value '${format}' for '${optionLabel('message-format')}'\n  [possible values: ${MESSAGE_FORMATS.join(', ')}]`);
  }
  if (o.to !== undefined && !isVersionSpec(o.to)) {
    fail(`invalid value '${o.to}' for '--to <version>': expected a version like 26.0.1, a line like 26, or latest`);
  }
}

/** `26.0.1`, `27.0.0-dev`, a line `26` / `26.0`, or `latest`; whether the release exists is the data's call. */
function isVersionSpec(v: string): boolean {
  return v === 'latest' || /^\d+(\.\d+)?$/.test(v) || semver.valid(v) === v;
}

/**
 * `--allow-yanked` names a yanked `--to` release. Without `--to` on the command line it can still apply to a root
 * whose `to` setting names one (known once the roots are read); when none has such a setting it is refused.
 */
export function yankedWithoutTo(o: Values, command: Command, toSetting: boolean): UsageError | undefined {
  if (!o['allow-yanked'] || o.to !== undefined || toSetting) return undefined;
  return new UsageError(`the argument '--allow-yanked' requires '${optionLabel('to')}'`, command, { tip: "name the yanked release with --to, or with a root's `to` setting" });
}

/** Whether `--json` was asked of a command that has it (also on a command line that does not parse). */
export function wantsJson(argv: readonly string[], command: Command): boolean {
  const end = argv.indexOf('--');
  return (COMMANDS[command] as readonly OptionName[]).includes('json') && (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

/** The mode a command line asks for (for the JSON of an error), also when it does not parse. */
export function modeOf(argv: readonly string[]): 'write' | 'check' | 'dry-run' {
  const end = argv.indexOf('--');
  const words = end < 0 ? argv : argv.slice(0, end);
  return words.includes('--write') ? 'write' : words.includes('--check') ? 'check' : 'dry-run';
}
