import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type AstraProcess, runAstra } from './astra-process.js';

/**
 * Errors a person can act on: each of these starts the real `astra` and expects exit code 1 and
 * exactly one line on standard error, with a stable code and what to do — never a stack trace.
 */
const dataRoot = mkdtempSync(path.join(tmpdir(), 'astra-errors-e2e-'));
afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

async function oneLineFailure(astra: AstraProcess): Promise<string> {
  expect(await astra.exited).toBe(1);
  const lines = astra.stderr.filter((line) => line !== '');
  expect(lines, `standard error was:\n${lines.join('\n')}`).toHaveLength(1);
  return lines[0] as string;
}

describe('process errors (real processes)', () => {
  it('says the port is in use and how to pick another', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as { port: number }).port;
    try {
      const dataDir = path.join(dataRoot, 'port');
      const astra = runAstra(['up', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn']);
      expect(await oneLineFailure(astra)).toMatch(
        new RegExp(`^astra: ASTRA_PORT_IN_USE: port ${port} on 127\\.0\\.0\\.1 is in use.*--port`),
      );
      // The refused start released the data dir: the next one on it starts.
      const next = runAstra(['migrate', '--data-dir', dataDir, '--log-level', 'warn']);
      expect(await next.exited).toBe(0);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  }, 600_000);

  it('says the data dir cannot be used when a file stands in its path (this fails for root too)', async () => {
    const file = path.join(dataRoot, 'a-file');
    writeFileSync(file, 'not a directory');
    for (const [args, reason] of [
      [['up', '--port', '0', '--data-dir', path.join(file, 'data')], 'a part of the path is a file'],
      [['migrate', '--data-dir', path.join(file, 'data')], 'a part of the path is a file'],
      [['up', '--port', '0', '--data-dir', file], 'it exists and is not a directory'],
    ] as const) {
      const line = await oneLineFailure(runAstra([...args, '--log-level', 'warn']));
      expect(line).toMatch(/^astra: ASTRA_DATA_DIR_UNWRITABLE: cannot use .* as the data dir: /);
      expect(line).toContain(reason);
      expect(line).toContain('--data-dir');
    }
  }, 600_000);

  it.skipIf(process.getuid?.() === 0)(
    'says the data dir is not writable when its permissions forbid it (root ignores them)',
    async () => {
      const parent = path.join(dataRoot, 'read-only');
      mkdirSync(parent, { mode: 0o500 });
      chmodSync(parent, 0o500);
      const line = await oneLineFailure(
        runAstra(['up', '--port', '0', '--data-dir', path.join(parent, 'data'), '--log-level', 'warn']),
      );
      expect(line).toMatch(/^astra: ASTRA_DATA_DIR_UNWRITABLE: .*may not write there/);
    },
    60_000,
  );

  it('stops quietly when the reader of its output goes away (astra config | head)', async () => {
    const astra = runAstra(['config']);
    // The read end closes before the CLI has loaded, so every line it writes meets EPIPE.
    astra.child.stdout?.destroy();
    expect(await astra.exited).toBe(0);
    expect(astra.stderr.filter((line) => line !== '')).toEqual([]);
  }, 600_000);
});
