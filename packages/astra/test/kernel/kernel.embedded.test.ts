import { describe } from 'vitest';
import { describeKernel } from './kernel.suite.js';

describe('kernel on PGlite + in-process bus', () => describeKernel('embedded'));
