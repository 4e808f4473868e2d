import { describe } from 'vitest';
import { describeEventOrder } from './event-order.suite.js';

describe('event order on PGlite + in-process bus', () => describeEventOrder('embedded'));
