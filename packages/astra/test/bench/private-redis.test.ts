import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startPrivateRedis } from '../../src/bench/private-redis.js';
import { machineCpuMs, processCpuMs } from '../../src/bench/proc-cpu.js';
import { privateServerAvailable } from '../support/private-server.js';

const canRun = await privateServerAvailable('redis');

describe.skipIf(!canRun)("the benchmark's private Redis", () => {
  it.each([
    [true, 'yes', 'everysec'],
    [false, 'no', undefined],
  ] as const)(
    'durable %s: appendonly %s; stop() ends it and removes its dir',
    async (durable, aof, fsync) => {
      const redis = await startPrivateRedis({ durable });
      const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
      try {
        await client.connect();
        expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', aof]);
        if (fsync !== undefined)
          expect(await client.config('GET', 'appendfsync')).toEqual(['appendfsync', fsync]);
        expect(await client.config('GET', 'dir')).toEqual(['dir', redis.dir]);
        expect(existsSync(redis.dir)).toBe(true);
      } finally {
        client.disconnect();
        await redis.stop();
      }
      expect(existsSync(redis.dir)).toBe(false);
      expect(processCpuMs(redis.pid)).toBeUndefined();
    },
  );
});

describe('CPU from /proc', () => {
  it("counts this process's CPU time as it spins, and the machine's", () => {
    const start = processCpuMs(process.pid) as number;
    const machine = machineCpuMs();
    expect(start).toBeGreaterThanOrEqual(0);
    // Spin until the kernel has charged at least two ticks more (bounded: 10 s of wall time).
    const until = Date.now() + 10_000;
    let now = start;
    while (now < start + 20 && Date.now() < until) now = processCpuMs(process.pid) as number;
    expect(now).toBeGreaterThanOrEqual(start + 20);
    const after = machineCpuMs();
    expect(after.busy).toBeGreaterThan(machine.busy);
    expect(after.total).toBeGreaterThanOrEqual(after.busy);
  });
});
