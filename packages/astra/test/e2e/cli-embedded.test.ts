import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraClient } from '@astra/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { runAstra, urlFrom } from './astra-process.js';

const dataRoot = mkdtempSync(path.join(tmpdir(), 'astra-e2e-'));

afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

// Each `up` and `migrate` starts a process that opens PGlite and applies every migration (the
// reopen test twice): on a busy machine that takes far longer than the default 30 s. Every test
// waits on the process's lines and exit, never on time.
describe('astra CLI, embedded mode (real process, real HTTP)', { timeout: 180_000 }, () => {
  it('lists its commands in --help', async () => {
    const astra = runAstra(['--help']);
    expect(await astra.exited).toBe(0);
    const help = astra.stdout.join('\n');
    for (const command of ['up', 'migrate', 'config'])
      expect(help).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('starts with no servers, answers /health and /ready, and stops cleanly on SIGTERM', async () => {
    const dataDir = path.join(dataRoot, 'first');
    const astra = runAstra(['up', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
    const url = urlFrom(await astra.waitForLine(/ready \(embedded\) at/));
    const client = new AstraClient({ baseUrl: url });
    const health = await client.health();
    expect(health).toMatchObject({ status: 'ok', mode: 'embedded' });
    const ready = await client.ready();
    expect(ready).toEqual({
      ready: true,
      checks: Object.fromEntries(
        ['sql', 'bus', 'cache', 'breaker:sql'].map((name) => [
          name,
          { ok: true, latency_ms: expect.any(Number) },
        ]),
      ),
    });
    expect(astra.stdout.some((line) => /applied migration 0001_/.test(line))).toBe(true);
    astra.child.kill('SIGTERM');
    expect(await astra.exited).toBe(0);
    expect(astra.stdout).toContain('astra: stopped');
  });

  it('reopens the same data dir without re-applying migrations', async () => {
    const dataDir = path.join(dataRoot, 'reopen');
    for (const round of [1, 2]) {
      const astra = runAstra(['up', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
      await astra.waitForLine(/ready \(embedded\)/);
      const applied = astra.stdout.filter((line) => line.includes('applied migration'));
      if (round === 1) expect(applied.length).toBeGreaterThan(0);
      else expect(applied).toEqual([]);
      astra.child.kill('SIGINT');
      expect(await astra.exited).toBe(0);
    }
  });

  it('applies migrations with `astra migrate` and reports an up-to-date database the second time', async () => {
    const dataDir = path.join(dataRoot, 'migrate');
    const first = runAstra(['migrate', '--data-dir', dataDir, '--log-level', 'warn']);
    expect(await first.exited).toBe(0);
    expect(first.stdout.join('\n')).toMatch(/applied \d+ migration\(s\)/);
    const second = runAstra(['migrate', '--data-dir', dataDir, '--log-level', 'warn']);
    expect(await second.exited).toBe(0);
    expect(second.stdout).toContain('astra: database is up to date');
  });

  it('refuses bad configuration with exit code 2 and the stable error code', async () => {
    const flag = runAstra(['up', '--port', 'eighty']);
    expect(await flag.exited).toBe(2);
    expect(flag.stderr.join('\n')).toContain('ASTRA_CONFIG_INVALID');
    const env = runAstra(['up'], { ASTRA_BUS_MAX_DELIVERIES: '0' });
    expect(await env.exited).toBe(2);
    expect(env.stderr.join('\n')).toMatch(
      /ASTRA_CONFIG_INVALID: invalid busMaxDeliveries \(from ASTRA_BUS_MAX_DELIVERIES\)/,
    );
  });

  it('prints the effective configuration without revealing secrets', async () => {
    const astra = runAstra(['config', '--port', '9999'], {
      ASTRA_POSTGRES_URL: 'postgres://astra:hunter2@db.example:5432/astra',
    });
    expect(await astra.exited).toBe(0);
    const text = astra.stdout.join('\n');
    expect(text).toMatch(/^port\s+ASTRA_PORT\s+9999\s+\[flag\]$/m);
    expect(text).toMatch(/^postgresUrl\s+ASTRA_POSTGRES_URL\s+\[redacted\]\s+\[env\]$/m);
    expect(text).not.toContain('hunter2');
  });
});
