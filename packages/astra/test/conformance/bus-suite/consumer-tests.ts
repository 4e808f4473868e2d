import { expect, it } from 'vitest';
import type { AstraError } from '../../../src/errors/index.js';
import { type ConsumerOptions, startConsumer } from '../../../src/kernel/bus-consumer.js';
import type { BusMessage } from '../../../src/ports/bus.js';
import type { BusHarness, BusSuiteFactory } from './harness.js';
import { DEAD_LETTER, eventually, gate, harnessPool } from './harness.js';

type Handler = (message: BusMessage) => Promise<void>;

/** The kernel consumer loop over each adapter: ack on success, fail on error, clean shutdown. */
export function consumerTests(factory: BusSuiteFactory): void {
  const open = harnessPool(factory);
  const reclaimEveryMs = Math.max(1, Math.floor(factory.idleMs / 4));

  function options(h: BusHarness, consumer: string, handler: Handler): ConsumerOptions {
    return {
      group: 'g',
      consumer,
      streams: ['s'],
      handler,
      clock: h.clock,
      batchSize: 10,
      blockMs: 60_000,
      concurrency: 4,
      minIdleMs: factory.idleMs,
      reclaimEveryMs,
    };
  }

  /** Advances past min-idle and a reclaim tick, then waits until the condition holds. */
  async function afterReclaim(
    h: BusHarness,
    condition: () => boolean | Promise<boolean>,
    what: string,
  ): Promise<void> {
    await h.advance(factory.idleMs + reclaimEveryMs);
    await eventually(condition, what);
  }

  it('acks messages whose handler succeeded and leaves failed ones pending for redelivery', async () => {
    const h = await open();
    const seen: string[] = [];
    const errors: AstraError[] = [];
    const consumer = startConsumer(h.bus, {
      ...options(h, 'c1', async (message) => {
        seen.push(`${message.fields.n}#${message.deliveryCount}`);
        if (Number(message.fields.n) % 2 === 1 && message.deliveryCount < 2)
          throw new Error('odd fails once');
      }),
      onError: (error) => errors.push(error),
    });
    await h.bus.publishMany([0, 1, 2, 3].map((n) => ({ stream: 's', fields: { n: String(n) } })));
    await eventually(
      async () => seen.length === 4 && (await h.bus.pendingCount('s', 'g')) === 2,
      'first deliveries',
    );
    expect(seen.sort()).toEqual(['0#1', '1#1', '2#1', '3#1']);
    expect(errors.map((e) => (e.cause instanceof Error ? e.cause.message : e.message))).toEqual([
      'odd fails once',
      'odd fails once',
    ]);
    await afterReclaim(
      h,
      async () => seen.length === 6 && (await h.bus.pendingCount('s', 'g')) === 0,
      'redelivery',
    );
    expect(seen.slice(4).sort()).toEqual(['1#2', '3#2']);
    await consumer.stop();
    expect(await h.bus.length(DEAD_LETTER)).toBe(0);
  });

  it('dead-letters a message whose handler fails maxDeliveries times', async () => {
    const h = await open({ maxDeliveries: 2 });
    let calls = 0;
    const consumer = startConsumer(
      h.bus,
      options(h, 'c1', async () => {
        calls++;
        throw new Error('always');
      }),
    );
    await h.bus.publish('s', { n: '1' });
    await eventually(() => calls === 1, 'first delivery');
    await afterReclaim(h, async () => (await h.bus.length(DEAD_LETTER)) === 1, 'dead letter');
    expect(calls).toBe(2);
    expect(await h.bus.pendingCount('s', 'g')).toBe(0);
    const [entry] = await h.bus.range(DEAD_LETTER, 1);
    expect(entry?.fields).toMatchObject({ delivery_count: '2', last_error: 'Error: always', 'field:n': '1' });
    await consumer.stop();
  });

  it('never runs more handlers at once than its concurrency', async () => {
    const h = await open();
    let running = 0;
    let peak = 0;
    let done = 0;
    const release = gate();
    const consumer = startConsumer(h.bus, {
      ...options(h, 'c1', async () => {
        running++;
        peak = Math.max(peak, running);
        await release.promise;
        running--;
        done++;
      }),
      concurrency: 3,
    });
    await h.bus.publishMany(Array.from({ length: 9 }, (_, n) => ({ stream: 's', fields: { n: String(n) } })));
    await eventually(() => running === 3, 'three handlers running');
    release.open();
    await eventually(() => done === 9, 'all handled');
    expect(peak).toBe(3);
    await consumer.stop();
    expect(await h.bus.pendingCount('s', 'g')).toBe(0);
  });

  it('stop finishes in-flight work, leaves unstarted messages pending, and another consumer takes them', async () => {
    const h = await open();
    const handled = new Map<string, string[]>();
    const record = (consumer: string, message: BusMessage): void => {
      handled.set(message.id, [...(handled.get(message.id) ?? []), consumer]);
    };
    // Published before the first consumer starts, so its first read takes all five at once.
    await h.bus.ensureGroup('s', 'g');
    const ids = await h.bus.publishMany(
      Array.from({ length: 5 }, (_, n) => ({ stream: 's', fields: { n: String(n) } })),
    );
    const started = gate();
    const release = gate();
    const first = startConsumer(h.bus, {
      ...options(h, 'first', async (message) => {
        started.open();
        await release.promise;
        record('first', message);
      }),
      concurrency: 1,
    });
    await started.promise;
    const stopped = first.stop();
    release.open();
    await stopped;
    expect([...handled.keys()]).toEqual([ids[0]]);
    expect(await h.bus.pendingCount('s', 'g')).toBe(4);

    const second = startConsumer(
      h.bus,
      options(h, 'second', async (message) => record('second', message)),
    );
    await afterReclaim(h, () => handled.size === 5, 'second consumer takes over');
    await second.stop();
    expect(await h.bus.pendingCount('s', 'g')).toBe(0);
    expect([...handled.keys()].sort()).toEqual([...ids].sort());
    for (const [id, consumers] of handled)
      expect(consumers, id).toEqual([id === ids[0] ? 'first' : 'second']);
  });

  it('stop while idle ends the blocking read promptly and acks nothing', async () => {
    const h = await open();
    const consumer = startConsumer(
      h.bus,
      options(h, 'c1', async () => undefined),
    );
    await eventually(async () => (await h.bus.length('s')) === 0 && (await groupExists(h)), 'group created');
    await consumer.stop();
    await h.bus.publish('s', { n: '1' });
    expect(await h.bus.pendingCount('s', 'g')).toBe(0);
    expect(
      await h.bus.read({ group: 'g', consumer: 'x', streams: ['s'], count: 10, blockMs: 0 }),
    ).toHaveLength(1);
  });
}

async function groupExists(h: BusHarness): Promise<boolean> {
  return h.bus.pendingCount('s', 'g').then(
    () => true,
    () => false,
  );
}
