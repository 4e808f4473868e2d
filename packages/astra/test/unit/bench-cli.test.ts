import { describe, expect, it } from 'vitest';
import {
  failureText,
  listOf,
  loopbackUrl,
  oneOf,
  parseBenchArgs,
  positiveInteger,
  positiveNumber,
  text,
} from '../../src/bench/cli.js';
import { AstraError } from '../../src/errors/index.js';

const CLI = {
  name: 'sample',
  command: 'npm run bench:sample --',
  about: 'What the sample measures.',
  flags: {
    rate: { check: positiveNumber, value: 'N', help: 'Offered per second.', default: '30' },
    rounds: { check: positiveInteger, value: 'N', help: 'Rounds.', default: '3' },
    mode: {
      check: oneOf(['embedded', 'pg_redis']),
      value: 'MODE',
      help: 'Which backend.',
      default: 'embedded',
    },
    postgres: { check: loopbackUrl, value: 'URL', help: 'Postgres.', default: 'postgres://127.0.0.1:5432/x' },
    sizes: { check: listOf(positiveInteger), value: 'N,N', help: 'Sizes.', default: '10' },
    profile: { check: text, value: 'DIR', help: 'Where profiles go.' },
  },
} as const;

const WITH_REST = { ...CLI, rest: 'flags for astra up' } as const;

const usageError = (what: string) => ({
  kind: 'usage-error',
  line: `astra bench sample: ${what} (--help lists the flags)`,
});

describe('bench command line', () => {
  it('applies every default when no flag is given, and leaves an optional flag unset', () => {
    expect(parseBenchArgs(CLI, [])).toEqual({
      kind: 'run',
      flags: {
        rate: 30,
        rounds: 3,
        mode: 'embedded',
        postgres: 'postgres://127.0.0.1:5432/x',
        sizes: [10],
        profile: undefined,
      },
      rest: [],
    });
  });

  it('converts given values, in both --flag value and --flag=value forms', () => {
    const parsed = parseBenchArgs(CLI, [
      '--rate',
      '0.5',
      '--mode=pg_redis',
      '--sizes',
      '10,100',
      '--profile',
      'd',
    ]);
    expect(parsed).toMatchObject({
      kind: 'run',
      flags: { rate: 0.5, rounds: 3, mode: 'pg_redis', sizes: [10, 100], profile: 'd' },
    });
  });

  it('answers the usage for --help and -h, whatever else is given, listing every flag with its default', () => {
    const help = parseBenchArgs(CLI, ['--rounds', 'x', '--nope', '--help']);
    expect(help.kind).toBe('help');
    expect(parseBenchArgs(CLI, ['-h']).kind).toBe('help');
    const text = help.kind === 'help' ? help.text : '';
    expect(text.split('\n')[0]).toBe('Usage: npm run bench:sample -- [flags]');
    expect(text).toContain('What the sample measures.');
    expect(text).toMatch(/--rate N\s+Offered per second \(default 30\)\./);
    expect(text).toMatch(/--profile DIR\s+Where profiles go\./);
    expect(text).toMatch(/-h, --help\s+Print this text and exit\./);
    expect(Math.max(...text.split('\n').map((line) => line.length))).toBeLessThanOrEqual(100);
  });

  it('names an unknown flag, a missing value and a stray argument in one line', () => {
    expect(parseBenchArgs(CLI, ['--nope', '1'])).toEqual(usageError('unknown flag --nope'));
    expect(parseBenchArgs(CLI, ['--rounds'])).toEqual(usageError('--rounds needs a value'));
    expect(parseBenchArgs(CLI, ['stray'])).toEqual(usageError('unexpected argument stray'));
    expect(parseBenchArgs(CLI, ['--', '--port', '1'])).toEqual(usageError('unexpected argument --'));
  });

  it('says what a bad value should have been', () => {
    expect(parseBenchArgs(CLI, ['--rounds', '2.5'])).toEqual(
      usageError('--rounds takes a positive integer (got "2.5")'),
    );
    expect(parseBenchArgs(CLI, ['--rate', '0'])).toEqual(
      usageError('--rate takes a positive number (got "0")'),
    );
    expect(parseBenchArgs(CLI, ['--mode', 'both'])).toEqual(
      usageError('--mode takes one of embedded, pg_redis (got "both")'),
    );
    expect(parseBenchArgs(CLI, ['--postgres', 'postgres://db.example:5432/x'])).toEqual(
      usageError(
        '--postgres takes a URL on this machine (host 127.0.0.1, localhost or ::1) (got "postgres://db.example:5432/x")',
      ),
    );
    expect(parseBenchArgs(CLI, ['--postgres', 'not a url'])).toEqual(
      usageError('--postgres takes a URL (got "not a url")'),
    );
    expect(parseBenchArgs(CLI, ['--sizes', '10,x'])).toEqual(
      usageError('--sizes takes a comma-separated list, each a positive integer (got "10,x")'),
    );
  });

  it('passes the arguments after -- through when the script takes them', () => {
    expect(parseBenchArgs(WITH_REST, ['--rate', '2', '--', '--postgres', 'postgres://x'])).toMatchObject({
      kind: 'run',
      flags: { rate: 2 },
      rest: ['--postgres', 'postgres://x'],
    });
    expect(parseBenchArgs(WITH_REST, ['-h']).kind).toBe('help');
  });

  it('reports a failure as its message (with the code of an Astra error), the stack only when asked', () => {
    const error = new Error('the load process exited with 1');
    expect(failureText(error, false)).toBe('the load process exited with 1');
    expect(failureText(error, true)).toBe(error.stack);
    expect(failureText(new AstraError('ASTRA_CONFIG_INVALID', 'bad port'), false)).toBe(
      'ASTRA_CONFIG_INVALID: bad port',
    );
    expect(failureText('thrown text', false)).toBe('thrown text');
  });
});
