import { describe } from 'vitest';
import { consumerTests } from './bus-suite/consumer-tests.js';
import { deadLetterTests } from './bus-suite/dead-letter-tests.js';
import { faultTests } from './bus-suite/fault-tests.js';
import { groupTests } from './bus-suite/group-tests.js';
import type { BusSuiteFactory } from './bus-suite/harness.js';
import { publishTests } from './bus-suite/publish-tests.js';

export type { BusFaults, BusHarness, BusSuiteFactory } from './bus-suite/harness.js';

/**
 * The bus conformance suite: every rule of the Bus port (src/ports/bus.ts) and the kernel consumer
 * loop over it, run against each adapter. Fault tests run only when the factory can crash its server.
 */
export function describeBusConformance(name: string, factory: BusSuiteFactory): void {
  describe(`bus conformance: ${name}`, () => {
    describe('publishing', () => publishTests(factory));
    describe('consumer groups', () => groupTests(factory));
    describe('dead letters', () => deadLetterTests(factory));
    describe('consumer loop', () => consumerTests(factory));
    describe.skipIf(factory.faults === undefined)('server faults', () => faultTests(factory));
  });
}
