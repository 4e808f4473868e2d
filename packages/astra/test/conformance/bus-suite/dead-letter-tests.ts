import { expect, it } from 'vitest';
import type { BusMessage } from '../../../src/ports/bus.js';
import type { BusSuiteFactory } from './harness.js';
import { DEAD_LETTER, harnessPool } from './harness.js';

/** fail, dead-lettering after exactly maxDeliveries, and dead-lettering of abandoned messages on reclaim. */
export function deadLetterTests(factory: BusSuiteFactory): void {
  const open = harnessPool(factory);

  for (const maxDeliveries of [3, 1]) {
    it(`dead-letters after exactly ${maxDeliveries} failed deliveries, atomically with the ack`, async () => {
      const h = await open({ maxDeliveries });
      const { bus } = h;
      await bus.ensureGroup('s', 'g');
      const id = await bus.publish('s', { task_id: 't-1', kind: 'demo' });
      let [message] = await bus.read({ group: 'g', consumer: 'c', streams: ['s'], count: 1, blockMs: 0 });
      for (let delivery = 1; delivery <= maxDeliveries; delivery++) {
        if (message === undefined) throw new Error(`delivery ${delivery} missing`);
        expect(message.deliveryCount).toBe(delivery);
        const outcome = await bus.fail('g', message, `boom ${delivery}`);
        if (delivery < maxDeliveries) {
          expect(outcome).toBe('pending');
          expect(await bus.length(DEAD_LETTER)).toBe(0);
          expect(await bus.pendingCount('s', 'g')).toBe(1);
          await h.advance(factory.idleMs);
          [message] = await bus.reclaim({
            stream: 's',
            group: 'g',
            consumer: 'c',
            minIdleMs: factory.idleMs,
            count: 1,
          });
        } else {
          expect(outcome).toBe('dead_lettered');
        }
      }
      expect(await bus.pendingCount('s', 'g')).toBe(0);
      const entries = await bus.range(DEAD_LETTER, 10);
      expect(entries).toHaveLength(1);
      const fields = entries[0]?.fields ?? {};
      expect(fields).toMatchObject({
        stream: 's',
        group: 'g',
        message_id: id,
        delivery_count: String(maxDeliveries),
        last_error: `boom ${maxDeliveries}`,
        'field:task_id': 't-1',
        'field:kind': 'demo',
      });
      expect(Number(fields.timestamp)).toBeGreaterThan(0);
      expect(Object.keys(fields).sort()).toEqual(
        [
          'delivery_count',
          'field:kind',
          'field:task_id',
          'group',
          'last_error',
          'message_id',
          'stream',
          'timestamp',
        ].sort(),
      );
      await h.advance(factory.idleMs);
      expect(await bus.reclaim({ stream: 's', group: 'g', consumer: 'c', minIdleMs: 0, count: 10 })).toEqual(
        [],
      );
    });
  }

  it('fail on a message that is no longer pending changes nothing', async () => {
    const { bus } = await open({ maxDeliveries: 1 });
    await bus.ensureGroup('s', 'g');
    await bus.publish('s', { a: '1' });
    const [message] = await bus.read({ group: 'g', consumer: 'c', streams: ['s'], count: 1, blockMs: 0 });
    if (message === undefined) throw new Error('no message');
    await bus.ack('s', 'g', [message.id]);
    expect(await bus.fail('g', message, 'late')).toBe('pending');
    expect(await bus.length(DEAD_LETTER)).toBe(0);
  });

  it('dead-letters on reclaim a message whose consumers died on it maxDeliveries times', async () => {
    const h = await open({ maxDeliveries: 2 });
    const { bus } = h;
    await bus.ensureGroup('s', 'g');
    const [keep, doomed] = await bus.publishMany([
      { stream: 's', fields: { n: 'keep' } },
      { stream: 's', fields: { n: 'doomed' } },
    ]);
    // Delivery 1 of both; the consumer acks the first and dies holding the second.
    await bus.read({ group: 'g', consumer: 'c1', streams: ['s'], count: 1, blockMs: 0 });
    await bus.read({ group: 'g', consumer: 'dies-1', streams: ['s'], count: 1, blockMs: 0 });
    await bus.ack('s', 'g', [keep ?? '']);
    await h.advance(factory.idleMs);
    const reclaim = { stream: 's', group: 'g', minIdleMs: factory.idleMs, count: 10 };
    const second: BusMessage[] = await bus.reclaim({ ...reclaim, consumer: 'dies-2' });
    expect(second.map((m) => [m.id, m.deliveryCount])).toEqual([[doomed, 2]]);
    await h.advance(factory.idleMs);
    expect(await bus.reclaim({ ...reclaim, consumer: 'survivor' })).toEqual([]);
    expect(await bus.pendingCount('s', 'g')).toBe(0);
    const [entry] = await bus.range(DEAD_LETTER, 10);
    expect(entry?.fields).toMatchObject({
      stream: 's',
      group: 'g',
      message_id: doomed,
      delivery_count: '2',
      'field:n': 'doomed',
    });
    expect(entry?.fields.last_error).toContain('not acknowledged');
  });

  it('dead-letters into the configured stream', async () => {
    const { bus } = await open({ maxDeliveries: 1, deadLetterStream: 'custom:dlq' });
    await bus.ensureGroup('s', 'g');
    await bus.publish('s', { a: '1' });
    const [message] = await bus.read({ group: 'g', consumer: 'c', streams: ['s'], count: 1, blockMs: 0 });
    if (message === undefined) throw new Error('no message');
    expect(await bus.fail('g', message, 'x')).toBe('dead_lettered');
    expect(await bus.length('custom:dlq')).toBe(1);
    expect(await bus.length(DEAD_LETTER)).toBe(0);
  });
}
