import { describe } from 'vitest';
import { describeRetention } from './retention.suite.js';

describe('retention on PGlite + in-process bus', () => describeRetention('embedded'));
