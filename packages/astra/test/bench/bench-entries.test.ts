import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Every benchmark entry point, built (the global setup compiles the workspace), run as a person
 * would: `--help` prints its usage and exits 0, a flag it does not know exits 2 with one line on
 * stderr. Neither runs the benchmark. The entries are the root package.json's `bench*` scripts and
 * the two run with node directly (docs/benchmark.md, docs/benchmark-peers.md).
 */
const root = fileURLToPath(new URL('../../../../', import.meta.url));
const scripts = (
  JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> }
).scripts;
const fromScripts = Object.entries(scripts)
  .filter(([name]) => name === 'bench' || name.startsWith('bench:'))
  .map(([, command]) => /node (packages\/astra\/dist\/bench\/\S+\.js)/.exec(command)?.[1]);
const ENTRIES = [
  ...fromScripts.filter((entry): entry is string => entry !== undefined),
  'packages/astra/dist/bench/metrics-cost.js',
  'packages/astra/dist/bench/peers/main.js',
];

function run(
  entry: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [entry, ...args],
      { cwd: root, timeout: 20_000 },
      (_, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
    );
  });
}

describe('benchmark entry points', () => {
  it('covers every bench script of package.json', () => {
    expect(fromScripts.length).toBeGreaterThanOrEqual(15);
    expect(fromScripts).not.toContain(undefined);
  });

  it.each(ENTRIES)('%s --help prints its usage and exits 0', async (entry) => {
    const { code, stdout, stderr } = await run(entry, ['--help']);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Usage: /);
    expect(stdout).toContain('-h, --help');
    expect(code).toBe(0);
  });

  it.each(ENTRIES)('%s --no-such-flag exits 2 with one line', async (entry) => {
    const { code, stdout, stderr } = await run(entry, ['--no-such-flag', '1']);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^astra bench \S+: unknown flag --no-such-flag \(--help lists the flags\)\n$/);
    expect(code).toBe(2);
  });
});
