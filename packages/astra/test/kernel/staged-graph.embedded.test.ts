import { describe } from 'vitest';
import { describeStagedGraphs } from './staged-graph.suite.js';

describe('large graphs written in chunks on PGlite + in-process bus', () => describeStagedGraphs('embedded'));
