import { describe } from 'vitest';
import { testServices } from '../support/services.js';
import { describeRetention } from './retention.suite.js';

const { postgresUrl, redisUrl } = testServices();

describe.skipIf(postgresUrl === null || redisUrl === null)('retention on Postgres + Redis Streams', () =>
  describeRetention('pg_redis'),
);
