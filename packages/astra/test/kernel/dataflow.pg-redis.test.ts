import { describe } from 'vitest';
import { testServices } from '../support/services.js';
import { describeDataflow } from './dataflow.suite.js';

const { postgresUrl, redisUrl } = testServices();

describe.skipIf(postgresUrl === null || redisUrl === null)(
  'data flow and interceptors on Postgres + Redis Streams',
  () => describeDataflow('pg_redis'),
);
