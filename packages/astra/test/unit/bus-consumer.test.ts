import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '../../src/adapters/bus/memory/index.js';
import { AstraError, type ErrorCode } from '../../src/errors/index.js';
import { startConsumer } from '../../src/kernel/bus-consumer.js';
import type { Bus, BusMessage, ReadRequest } from '../../src/ports/bus.js';
import { ManualClock } from '../../src/time/clock.js';

/** A bus whose reads fail with a chosen code while `failWith` is set; everything else is the memory bus. */
async function flakyBus(
  clock: ManualClock,
): Promise<{ bus: Bus; inner: Bus; control: { failWith: ErrorCode | null; ensureCalls: number } }> {
  const inner = await createMemoryBus({ clock });
  const control: { failWith: ErrorCode | null; ensureCalls: number } = { failWith: null, ensureCalls: 0 };
  const bus: Bus = {
    publish: (...args) => inner.publish(...args),
    publishMany: (...args) => inner.publishMany(...args),
    ack: (...args) => inner.ack(...args),
    fail: (...args) => inner.fail(...args),
    reclaim: (...args) => inner.reclaim(...args),
    pendingCount: (...args) => inner.pendingCount(...args),
    range: (...args) => inner.range(...args),
    length: (...args) => inner.length(...args),
    close: () => inner.close(),
    read: async (request: ReadRequest): Promise<BusMessage[]> => {
      if (control.failWith !== null) throw new AstraError(control.failWith);
      return inner.read(request);
    },
    ensureGroup: async (stream: string, group: string): Promise<void> => {
      control.ensureCalls++;
      return inner.ensureGroup(stream, group);
    },
  };
  return { bus, inner, control };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`condition never held: ${what}`);
}

const base = { group: 'g', consumer: 'c', streams: ['s'], blockMs: 10_000, minIdleMs: 60_000 } as const;

describe('startConsumer', () => {
  it('backs off on the clock after bus errors, doubling up to the cap, then recovers', async () => {
    const clock = new ManualClock(0);
    const { bus, inner, control } = await flakyBus(clock);
    control.failWith = 'ASTRA_BUS_UNAVAILABLE';
    const errors: string[] = [];
    const handled: string[] = [];
    const consumer = startConsumer(bus, {
      ...base,
      clock,
      retryDelayMs: 100,
      maxRetryDelayMs: 400,
      handler: async (message) => {
        handled.push(message.fields.n ?? '');
      },
      onError: (error, context) => errors.push(`${context.phase}:${error.code}`),
    });
    await until(() => errors.length === 1, 'first error');
    for (const [delay, count] of [
      [100, 2],
      [200, 3],
      [400, 4],
      [400, 5],
    ] as const) {
      await clock.advance(delay - 1);
      expect(errors).toHaveLength(count - 1);
      await clock.advance(1);
      await until(() => errors.length === count, `error ${count}`);
    }
    expect(new Set(errors)).toEqual(new Set(['read:ASTRA_BUS_UNAVAILABLE']));
    control.failWith = null;
    await clock.advance(400);
    await inner.publish('s', { n: 'after' });
    await until(() => handled.length === 1, 'handled after recovery');
    await consumer.stop();
    expect(handled).toEqual(['after']);
    expect(await inner.pendingCount('s', 'g')).toBe(0);
  });

  it('creates its groups again when the bus reports them missing', async () => {
    const clock = new ManualClock(0);
    const { bus, control } = await flakyBus(clock);
    const consumer = startConsumer(bus, { ...base, clock, retryDelayMs: 10, handler: async () => undefined });
    await until(() => control.ensureCalls === 1 && clock.pendingSleeps > 0, 'parked in read');
    control.failWith = 'ASTRA_BUS_GROUP_MISSING';
    await clock.advance(10_000);
    control.failWith = null;
    await clock.advance(10);
    await until(() => control.ensureCalls === 2, 'group ensured again');
    await consumer.stop();
  });

  it('ends the loop when the bus is closed underneath it', async () => {
    const clock = new ManualClock(0);
    const bus = await createMemoryBus({ clock });
    const errors: string[] = [];
    const consumer = startConsumer(bus, {
      ...base,
      clock,
      handler: async () => undefined,
      onError: (error) => errors.push(error.code),
    });
    await until(() => clock.pendingSleeps > 0, 'parked in read');
    await bus.close();
    await until(() => errors.includes('ASTRA_BUS_CLOSED'), 'closed reported');
    await consumer.stop();
  });

  it('keeps going when onError throws', async () => {
    const clock = new ManualClock(0);
    const bus = await createMemoryBus({ clock });
    const seen: number[] = [];
    const consumer = startConsumer(bus, {
      ...base,
      clock,
      handler: async (message) => {
        seen.push(message.deliveryCount);
        throw new Error('handler fails');
      },
      onError: () => {
        throw new Error('hook fails too');
      },
    });
    await bus.publish('s', { n: '1' });
    await until(() => seen.length === 1, 'handled once');
    await consumer.stop();
    expect(await bus.pendingCount('s', 'g')).toBe(1);
  });

  it('rejects invalid options with ASTRA_CONFIG_INVALID', async () => {
    const bus = await createMemoryBus({ clock: new ManualClock(0) });
    const handler = async (): Promise<void> => undefined;
    for (const bad of [
      { concurrency: 0 },
      { batchSize: 1.5 },
      { streams: [] },
      { blockMs: -1 },
      { group: '' },
    ]) {
      expect(() => startConsumer(bus, { ...base, handler, ...bad })).toThrow(
        expect.objectContaining({ code: 'ASTRA_CONFIG_INVALID' }),
      );
    }
  });
});
