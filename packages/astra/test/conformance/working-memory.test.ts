import { Redis } from 'ioredis';
import {
  createMemoryWorkingMemory,
  createRedisWorkingMemory,
} from '../../src/adapters/working-memory/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { testServices, uniquePrefix } from '../support/services.js';
import { describeWorkingMemoryConformance, TTL_MS } from './working-memory.suite.js';

describeWorkingMemoryConformance('in-process', async () => {
  const clock = new ManualClock(0);
  return {
    memory: createMemoryWorkingMemory({ ttlMs: TTL_MS, clock }),
    expire: async () => {
      await clock.advance(TTL_MS);
    },
  };
});

const redisUrl = testServices().redisUrl;
if (redisUrl !== null)
  describeWorkingMemoryConformance('redis', async () => {
    const keyPrefix = uniquePrefix('wm');
    const memory = await createRedisWorkingMemory({ url: redisUrl, ttlMs: TTL_MS, keyPrefix });
    return {
      memory,
      // The server expires the key itself: a TTL of 0 ms left is the same as the TTL running out.
      expire: async (agentId) => {
        const raw = new Redis(redisUrl);
        try {
          await raw.pexpire(`${keyPrefix}wm:${agentId}`, 0);
        } finally {
          raw.disconnect();
        }
      },
    };
  });
