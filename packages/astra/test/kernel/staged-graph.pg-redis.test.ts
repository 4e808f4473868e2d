import { describe } from 'vitest';
import { testServices } from '../support/services.js';
import { describeStagedGraphs } from './staged-graph.suite.js';

const { postgresUrl, redisUrl } = testServices();

describe.skipIf(postgresUrl === null || redisUrl === null)(
  'large graphs written in chunks on Postgres + Redis Streams',
  () => describeStagedGraphs('pg_redis'),
);
