import { parseArgs } from 'node:util';
import { debugOutputRequested } from '../config/index.js';
import { isAstraError } from '../errors/index.js';
import { loopbackUrl as loopbackOnly } from './peers/common.js';

/**
 * The command line of every benchmark script: its flags (each checked, with a default or optional),
 * its usage text, and how it runs. `--help`/`-h` prints the usage and exits 0 without running
 * anything; an unknown flag or a bad value prints one line `astra bench <name>: <what is wrong>
 * (--help lists the flags)` and exits 2; a failure during the run prints one line (its message;
 * its stack too when ASTRA_LOG_LEVEL is debug or trace) and exits 1.
 */

/** Checks one flag's value as given and answers it converted; throws with what the flag takes. */
export type Check<T> = (raw: string) => T;

export interface Flag<T> {
  readonly check: Check<T>;
  /** The value's placeholder in the usage: `N`, `URL`, `DIR`. */
  readonly value: string;
  readonly help: string;
  /** The value when the flag is not given, as it would be written; without one the flag is optional. */
  readonly default?: string;
}

/** Flags by name; each one's value type is inferred from its check. */
type Flags = Record<string, Flag<unknown>>;

/** The flags' values, keyed by flag name: a flag with a default always has one. */
export type FlagValues<F extends Flags> = {
  -readonly [K in keyof F]: F[K] extends Flag<infer T>
    ? F[K] extends { default: string }
      ? T
      : T | undefined
    : never;
};

export interface BenchCli<F extends Flags> {
  /** The script's file name without extension (`read-cpu`); failures read `astra bench <name>: …`. */
  readonly name: string;
  /** How a person starts it, e.g. `npm run bench:read-cpu --`. */
  readonly command: string;
  /** What it measures and what it prints, printed as written (lines of at most 100 characters). */
  readonly about: string;
  readonly flags: F;
  /** What the arguments after `--` are (they are passed through); without it, `--` is refused. */
  readonly rest?: string;
}

export type Parsed<F extends Flags> =
  | { readonly kind: 'run'; readonly flags: FlagValues<F>; readonly rest: readonly string[] }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'usage-error'; readonly line: string };

export const positiveInteger: Check<number> = (raw) => {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n <= 0) throw new Error('takes a positive integer');
  return n;
};

export const positiveNumber: Check<number> = (raw) => {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) throw new Error('takes a positive number');
  return n;
};

export function oneOf<const T extends string>(values: readonly T[]): Check<T> {
  return (raw) => {
    if (!(values as readonly string[]).includes(raw)) throw new Error(`takes one of ${values.join(', ')}`);
    return raw as T;
  };
}

export const text: Check<string> = (raw) => {
  if (raw === '') throw new Error('takes a non-empty value');
  return raw;
};

export const url: Check<string> = (raw) => {
  if (!URL.canParse(raw)) throw new Error('takes a URL');
  return new URL(raw).href;
};

/** A URL on this machine (127.0.0.1, localhost or ::1): the benchmarks create and drop databases. */
export const loopbackUrl: Check<string> = (raw) => {
  const href = url(raw);
  try {
    return loopbackOnly(href, 'it').href;
  } catch {
    throw new Error(`takes a URL on this machine (host 127.0.0.1, localhost or ::1)`);
  }
};

/** Flags several scripts take, alike in each (a script may change the default or the help). */
export const COMMON_FLAGS = {
  scale: {
    check: oneOf(['quick', 'full']),
    value: 'quick|full',
    help: 'Sizes of the shapes.',
    default: 'full',
  },
  mode: {
    check: oneOf(['embedded', 'pg_redis', 'both']),
    value: 'MODE',
    help: 'embedded, pg_redis or both.',
    default: 'both',
  },
  postgres: {
    check: loopbackUrl,
    value: 'URL',
    help: 'Postgres server (the script creates its own database there and drops it after).',
    default: 'postgres://postgres@127.0.0.1:5432/postgres',
  },
  redis: { check: loopbackUrl, value: 'URL', help: 'Redis server.', default: 'redis://127.0.0.1:6379' },
} as const;

/** A comma-separated list of values that each pass `check`. */
export function listOf<T>(check: Check<T>): Check<T[]> {
  return (raw) => {
    try {
      return raw.split(',').map(check);
    } catch (error) {
      throw new Error(
        `takes a comma-separated list, each ${(error as Error).message.replace(/^takes /, '')}`,
      );
    }
  };
}

const USAGE_WIDTH = 100;

/** `words` wrapped to lines of at most `width` characters. */
function wrap(words: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** The usage text `--help` prints: how to start it, what it measures, every flag with its default. */
export function usage<F extends Flags>(cli: BenchCli<F>): string {
  const rows: [string, string][] = Object.entries(cli.flags).map(([name, flag]) => [
    `--${name} ${flag.value}`,
    flag.default === undefined ? flag.help : `${flag.help.replace(/\.$/, '')} (default ${flag.default}).`,
  ]);
  rows.push(['-h, --help', 'Print this text and exit.']);
  const width = Math.max(...rows.map(([left]) => left.length)) + 4;
  const rest = cli.rest === undefined ? '' : ` [-- ${cli.rest}]`;
  return [
    `Usage: ${cli.command} [flags]${rest}`,
    '',
    cli.about.trim(),
    '',
    'Flags:',
    ...rows.flatMap(([left, right]) =>
      wrap(right, USAGE_WIDTH - width).map(
        (line, i) => `${i === 0 ? `  ${left}`.padEnd(width) : ' '.repeat(width)}${line}`,
      ),
    ),
  ].join('\n');
}

/** One line for a failure: the message (with its code for an Astra error), or the stack when asked. */
export function failureText(error: unknown, debug: boolean = debugOutputRequested()): string {
  if (!(error instanceof Error)) return String(error);
  if (debug && error.stack !== undefined) return error.stack;
  return isAstraError(error) ? `${error.code}: ${error.message}` : error.message;
}

function argumentProblem(error: unknown): string {
  const code = (error as { code?: string }).code;
  const quoted = /'([^']+)'/.exec((error as Error).message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown flag ${quoted}`;
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument ${quoted}`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
    return `${quoted.replace(/ <value>$/, '')} needs a value`;
  return (error as Error).message;
}

export function parseBenchArgs<F extends Flags>(cli: BenchCli<F>, argv: readonly string[]): Parsed<F> {
  const problem = (what: string): Parsed<F> => ({
    kind: 'usage-error',
    line: `astra bench ${cli.name}: ${what} (--help lists the flags)`,
  });
  const terminator = argv.indexOf('--');
  const own = terminator < 0 ? argv : argv.slice(0, terminator);
  if (own.includes('--help') || own.includes('-h')) return { kind: 'help', text: usage(cli) };
  const options = Object.fromEntries(
    Object.keys(cli.flags).map((name) => [name, { type: 'string' as const }]),
  );
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...own], options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return problem(argumentProblem(error));
  }
  if (terminator >= 0 && cli.rest === undefined) return problem('unexpected argument --');
  const flags: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(cli.flags)) {
    const raw = values[name] ?? flag.default;
    if (typeof raw !== 'string') continue;
    try {
      flags[name] = flag.check(raw);
    } catch (error) {
      return problem(`--${name} ${(error as Error).message} (got ${JSON.stringify(raw)})`);
    }
  }
  return {
    kind: 'run',
    flags: flags as FlagValues<F>,
    rest: terminator < 0 ? [] : argv.slice(terminator + 1),
  };
}

export interface RunOptions {
  /** Exit as soon as `main` settles (a script whose node or clients may keep handles open). */
  readonly exitWhenDone?: boolean;
}

/**
 * Parses the process's arguments and runs `main` with the flags' values and the arguments after
 * `--`; every outcome ends as the header above says.
 */
export function runBench<F extends Flags>(
  cli: BenchCli<F>,
  main: (flags: FlagValues<F>, rest: readonly string[]) => Promise<void>,
  options: RunOptions = {},
): void {
  const parsed = parseBenchArgs(cli, process.argv.slice(2));
  if (parsed.kind === 'help') {
    process.stdout.write(`${parsed.text}\n`);
    return;
  }
  if (parsed.kind === 'usage-error') {
    process.stderr.write(`${parsed.line}\n`);
    process.exitCode = 2;
    return;
  }
  main(parsed.flags, parsed.rest).then(
    () => {
      if (options.exitWhenDone === true) process.exit();
    },
    (error: unknown) => {
      process.stderr.write(`astra bench ${cli.name}: ${failureText(error)}\n`);
      process.exitCode = 1;
      if (options.exitWhenDone === true) process.exit();
    },
  );
}
