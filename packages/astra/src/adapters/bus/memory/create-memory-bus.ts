import type { Bus, BusOptions } from '../../../ports/bus.js';
import type { Clock } from '../../../time/clock.js';
import { resolveBusOptions } from '../bus-options.js';
import { MemoryBus } from './memory-bus.js';

export interface MemoryBusConfig {
  /** Drives ids, idle times and blocking-read timeouts; a ManualClock in tests. */
  readonly clock: Clock;
  readonly options?: Partial<BusOptions>;
}

/** The in-process bus for embedded mode and tests. Async like every adapter factory, though nothing waits. */
export async function createMemoryBus(config: MemoryBusConfig): Promise<Bus> {
  return new MemoryBus(config.clock, resolveBusOptions(config.options));
}
