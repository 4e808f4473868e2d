import { describe } from 'vitest';
import { describeDataflow } from './dataflow.suite.js';

describe('data flow and interceptors on PGlite + in-process bus', () => describeDataflow('embedded'));
