import { describe, expect, it } from 'vitest';
import { createMemoryInvalidationHub } from '../../src/adapters/cache/memory-invalidation.js';
import { createRedisInvalidationChannel } from '../../src/adapters/cache/redis-invalidation.js';
import type { InvalidationChannel } from '../../src/ports/cache.js';
import { privateServerAvailable, startPrivateServer } from '../support/private-server.js';
import { testServices, uniquePrefix } from '../support/services.js';
import { eventually, expectCode } from './cache.suite.js';
import { describeInvalidationConformance, nextBatch } from './cache-invalidation.suite.js';

const redisUrl = testServices().redisUrl;
const privateRedis = await privateServerAvailable('redis');

describeInvalidationConformance('memory hub', async () => {
  const hub = createMemoryInvalidationHub();
  const channels: InvalidationChannel[] = [];
  return {
    connect: async () => {
      const channel = hub.createChannel();
      channels.push(channel);
      return channel;
    },
    dispose: async () => {
      await Promise.all(channels.map((channel) => channel.close()));
    },
  };
});

describe.skipIf(redisUrl === null)('redis invalidation channel', () => {
  const url = redisUrl ?? '';

  describeInvalidationConformance('redis pub/sub', async () => {
    const name = `${uniquePrefix('inv')}invalidate`;
    const channels: InvalidationChannel[] = [];
    return {
      connect: async () => {
        const channel = await createRedisInvalidationChannel({ url, channel: name });
        channels.push(channel);
        return channel;
      },
      dispose: async () => {
        await Promise.all(channels.map((channel) => channel.close()));
      },
    };
  });

  it('keeps instances on different channel names apart', async () => {
    const nameX = `${uniquePrefix('x')}invalidate`;
    const nameY = `${uniquePrefix('y')}invalidate`;
    const onX = await createRedisInvalidationChannel({ url, channel: nameX });
    const onY = await createRedisInvalidationChannel({ url, channel: nameY });
    const alsoOnY = await createRedisInvalidationChannel({ url, channel: nameY });
    try {
      const heardOnY: (readonly string[])[] = [];
      await onY.subscribe((keys) => heardOnY.push(keys));
      const delivered = nextBatch(onY);
      await onX.publish(['x-only']);
      await alsoOnY.publish(['y']);
      // Redis delivers in the order it ran the publishes: an X message would have come first.
      expect(await delivered).toEqual(['y']);
      expect(heardOnY).toEqual([['y']]);
    } finally {
      await Promise.all([onX.close(), onY.close(), alsoOnY.close()]);
    }
  });

  it.skipIf(!privateRedis)(
    'fails fast while Redis is down, then resubscribes and reports the gap',
    async () => {
      const server = await startPrivateServer('redis');
      const name = `${uniquePrefix('gap')}invalidate`;
      const a = await createRedisInvalidationChannel({ url: server.address, channel: name });
      const b = await createRedisInvalidationChannel({ url: server.address, channel: name });
      try {
        let gaps = 0;
        let gapReported: () => void = () => undefined;
        const gapSeen = new Promise<void>((resolve) => {
          gapReported = resolve;
        });
        await b.subscribe(() => undefined, {
          onGap: () => {
            gaps += 1;
            gapReported();
          },
        });
        await server.kill();
        await expectCode(a.publish(['during-outage']), 'ASTRA_CACHE_UNAVAILABLE');
        await server.restart();
        await gapSeen;
        expect(gaps).toBeGreaterThanOrEqual(1);
        const delivered = nextBatch(b);
        await eventually(() => a.publish(['after-restart']));
        expect(await delivered).toEqual(['after-restart']);
      } finally {
        await Promise.all([a.close(), b.close()]);
        await server.stop();
      }
    },
  );
});
