import { describe } from 'vitest';
import { describeEagerDispatch } from './eager-dispatch.suite.js';

describe('eager dispatch on Postgres + Redis streams', () => describeEagerDispatch('pg_redis'));
