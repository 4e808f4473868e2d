import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';

/**
 * The README is the first thing a new user reads: every command `astra --help` offers (down to
 * each subcommand) is listed in it, its links stay inside the repository, and it says how long
 * the test suite takes.
 */
const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

function leafCommands(command: Command, prefix: string): string[] {
  const children = command.commands.filter((child) => child.name() !== 'help');
  if (children.length === 0) return [prefix];
  return children.flatMap((child) => leafCommands(child, `${prefix} ${child.name()}`));
}

describe('README.md', () => {
  it('lists every CLI command and subcommand', () => {
    const program = buildProgram({
      env: {},
      output: { out: () => undefined, err: () => undefined },
      logDestination: pino.destination({ dest: '/dev/null', sync: true }),
      waitForStop: () => new Promise(() => undefined),
    });
    const commands = leafCommands(program, 'astra').filter((name) => name !== 'astra');
    expect(commands.length).toBeGreaterThan(15);
    const missing = commands.filter((name) => !readme.includes(`\`${name}`));
    expect(missing).toEqual([]);
  });

  it('links only inside the repository and states how long the test suite takes', () => {
    const targets = [...readme.matchAll(/\]\(([^)]+)\)/g)].map((match) => match[1] as string);
    expect(targets.filter((target) => target.startsWith('..') || /^[a-z]+:/.test(target))).toEqual([]);
    expect(readme).toMatch(/takes about \d+ minutes/);
  });
});
