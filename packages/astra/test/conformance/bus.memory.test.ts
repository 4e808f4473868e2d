import { createMemoryBus } from '../../src/adapters/bus/memory/index.js';
import type { BusOptions } from '../../src/ports/bus.js';
import { ManualClock } from '../../src/time/clock.js';
import { describeBusConformance } from './bus.suite.js';
import type { BusHarness } from './bus-suite/harness.js';

async function openMemoryBus(options?: Partial<BusOptions>): Promise<BusHarness> {
  const clock = new ManualClock();
  const bus = await createMemoryBus(options === undefined ? { clock } : { clock, options });
  return { bus, clock, advance: (ms) => clock.advance(ms), dispose: () => bus.close() };
}

describeBusConformance('memory', { open: openMemoryBus, idleMs: 1_000, exactTime: true });
