import { describe } from 'vitest';
import { describeGraphPatch } from './graph-patch.suite.js';

describe('graph patches and plan versions on PGlite + in-process bus', () => describeGraphPatch('embedded'));
