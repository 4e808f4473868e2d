import { describe } from 'vitest';
import { describeEagerDispatch } from './eager-dispatch.suite.js';

describe('eager dispatch on PGlite + in-process bus', () => describeEagerDispatch('embedded'));
