import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe } from 'vitest';
import { deleteKeysWithPrefix } from '../../src/adapters/bus/redis-streams/delete-keys.js';
import { createRedisBus } from '../../src/adapters/bus/redis-streams/index.js';
import type { Bus, BusOptions } from '../../src/ports/bus.js';
import { systemClock } from '../../src/time/clock.js';
import { type PrivateServer, privateServerAvailable, startPrivateServer } from '../support/private-server.js';
import { testServices, uniquePrefix } from '../support/services.js';
import { describeBusConformance } from './bus.suite.js';
import type { BusFaults, BusHarness } from './bus-suite/harness.js';

/** Idle window for reclaim tests on a real server: long enough to be unambiguous, short enough to wait out. */
const IDLE_MS = 80;

const redisUrl = testServices().redisUrl;
const canCrash = await privateServerAvailable('redis');
let privateServer: PrivateServer | undefined;

/** A real wait on the system clock, plus 2 ms so Redis's millisecond idle clock has surely moved as far. */
function advance(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms + 2));
}

async function openRedisBus(url: string, options?: Partial<BusOptions>): Promise<BusHarness> {
  const keyPrefix = uniquePrefix('bus');
  const bus = await createRedisBus(options === undefined ? { url, keyPrefix } : { url, keyPrefix, options });
  return {
    bus,
    clock: systemClock,
    advance,
    dispose: async () => {
      await bus.close();
      await deleteKeysWithPrefix(url, keyPrefix).catch(() => 0);
    },
  };
}

async function blockedClients(url: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const info = await redis.info('clients');
    await redis.quit();
    return Number(/blocked_clients:(\d+)/.exec(info)?.[1] ?? 0);
  } catch {
    redis.disconnect();
    return 0;
  }
}

function faultsFor(server: PrivateServer): BusFaults {
  return {
    kill: () => server.kill(),
    restart: () => server.restart(),
    waitUntilBlocked: async () => {
      for (;;) {
        if ((await blockedClients(server.address)) > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    openBus: (): Promise<Bus> => createRedisBus({ url: server.address }),
  };
}

describe.skipIf(redisUrl === null)('redis streams bus', () => {
  beforeAll(async () => {
    if (canCrash) privateServer = await startPrivateServer('redis');
  });
  afterAll(async () => {
    await privateServer?.stop();
  });

  const url = redisUrl ?? '';
  describeBusConformance('redis', {
    open: (options) => openRedisBus(url, options),
    idleMs: IDLE_MS,
    exactTime: false,
    ...(canCrash
      ? {
          faults: async (options?: Partial<BusOptions>) => {
            if (privateServer === undefined) throw new Error('private redis-server not started');
            const harness = await openRedisBus(privateServer.address, options);
            return { harness, faults: faultsFor(privateServer) };
          },
        }
      : {}),
  });
});
