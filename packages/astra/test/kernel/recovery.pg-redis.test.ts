import { describe } from 'vitest';
import { testServices } from '../support/services.js';
import { describeRecovery } from './recovery.suite.js';

const { postgresUrl, redisUrl } = testServices();

describe.skipIf(postgresUrl === null || redisUrl === null)(
  'kernel recovery on Postgres + Redis Streams',
  () => describeRecovery('pg_redis'),
);
