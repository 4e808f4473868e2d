import { describe } from 'vitest';
import { testServices } from '../support/services.js';
import { describeKernel } from './kernel.suite.js';

const { postgresUrl, redisUrl } = testServices();

describe.skipIf(postgresUrl === null || redisUrl === null)('kernel on Postgres + Redis Streams', () =>
  describeKernel('pg_redis'),
);
