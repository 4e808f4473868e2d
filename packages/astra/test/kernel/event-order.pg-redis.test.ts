import { describe } from 'vitest';
import { testServices } from '../support/services.js';
import { describeEventOrder } from './event-order.suite.js';

const { postgresUrl, redisUrl } = testServices();

describe.skipIf(postgresUrl === null || redisUrl === null)('event order on Postgres + Redis Streams', () =>
  describeEventOrder('pg_redis'),
);
