import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '../../src/adapters/bus/memory/index.js';
import { startConsumer } from '../../src/kernel/bus-consumer.js';
import { GroupCommit } from '../../src/kernel/group-commit.js';
import { ManualClock } from '../../src/time/clock.js';

/**
 * The kernel's long loops let the event loop run (yield-to-event-loop.ts): with an in-process bus
 * and handlers that answer through promises alone, a macrotask queued at the start (as an HTTP
 * request's callback would be) runs while the work is still going, not after all of it.
 */
describe('yielding to the event loop', () => {
  it('lets a macrotask run while a consumer works through a backlog on the in-process bus', async () => {
    const clock = new ManualClock(0);
    const bus = await createMemoryBus({ clock });
    await bus.ensureGroup('s', 'g');
    const total = 2000;
    await bus.publishMany(
      Array.from({ length: total }, (_, i) => ({ stream: 's', fields: { n: String(i) } })),
    );
    let handled = 0;
    let handledWhenTimerRan: number | null = null;
    let allHandled: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      allHandled = resolve;
    });
    setImmediate(() => {
      handledWhenTimerRan = handled;
    });
    const consumer = startConsumer(bus, {
      group: 'g',
      consumer: 'c',
      streams: ['s'],
      blockMs: 10_000,
      minIdleMs: 60_000,
      batchSize: 64,
      concurrency: 8,
      clock,
      handler: async () => {
        handled++;
        if (handled === total) allHandled();
      },
    });
    await finished;
    await consumer.stop();
    await bus.close();
    expect(handledWhenTimerRan).not.toBeNull();
    expect(handledWhenTimerRan as unknown as number).toBeLessThan(total);
  });

  it('lets a macrotask run between group-commit flushes', async () => {
    let flushes = 0;
    let flushesWhenTimerRan: number | null = null;
    const commit = new GroupCommit<number, number>({
      maxBatch: 1,
      flush: async (items) => {
        flushes++;
        return items;
      },
    });
    setImmediate(() => {
      flushesWhenTimerRan = flushes;
    });
    await Promise.all(Array.from({ length: 500 }, (_, i) => commit.submit(i)));
    expect(flushesWhenTimerRan).not.toBeNull();
    expect(flushesWhenTimerRan as unknown as number).toBeLessThan(500);
  });
});
