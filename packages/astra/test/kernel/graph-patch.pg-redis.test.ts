import { describe } from 'vitest';
import { testServices } from '../support/services.js';
import { describeGraphPatch } from './graph-patch.suite.js';

const { postgresUrl, redisUrl } = testServices();

describe.skipIf(postgresUrl === null || redisUrl === null)(
  'graph patches and plan versions on Postgres + Redis Streams',
  () => describeGraphPatch('pg_redis'),
);
