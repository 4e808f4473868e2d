import { describe } from 'vitest';
import { createRedisLimiter } from '../../src/adapters/llm-limits/redis-limiter.js';
import { testServices, uniquePrefix } from '../support/services.js';
import { describeLimiterConformance } from './router-limiter.suite.js';

const redisUrl = testServices().redisUrl;

describe.skipIf(redisUrl === null)('redis', () => {
  // Two connections on one key prefix: two processes sharing the limits.
  describeLimiterConformance('redis', async (clock, limits) => {
    const keyPrefix = uniquePrefix('llm-limits');
    const options = { url: redisUrl ?? '', clock, limits, keyPrefix };
    return { first: await createRedisLimiter(options), second: await createRedisLimiter(options) };
  });
});
