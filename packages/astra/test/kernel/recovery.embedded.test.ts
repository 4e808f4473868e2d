import { describe } from 'vitest';
import { describeRecovery } from './recovery.suite.js';

describe('kernel recovery on PGlite + in-process bus', () => describeRecovery('embedded'));
