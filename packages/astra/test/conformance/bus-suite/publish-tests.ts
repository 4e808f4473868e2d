import { expect, it } from 'vitest';
import type { BusSuiteFactory } from './harness.js';
import { compareIds, expectCode, harnessPool } from './harness.js';

/** publish, publishMany, trimming, input checks, use after close. */
export function publishTests(factory: BusSuiteFactory): void {
  const open = harnessPool(factory);

  it('publish returns strictly increasing ids of the form <ms>-<seq>', async () => {
    const { bus } = await open();
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push(await bus.publish('s', { n: String(i) }));
    for (const id of ids) expect(id).toMatch(/^\d+-\d+$/);
    for (let i = 1; i < ids.length; i++) expect(compareIds(ids[i - 1] ?? '', ids[i] ?? '')).toBeLessThan(0);
    expect(await bus.length('s')).toBe(50);
  });

  it('publishMany returns ids in input order and keeps per-stream order', async () => {
    const { bus } = await open();
    const messages = Array.from({ length: 30 }, (_, i) => ({
      stream: i % 3 === 0 ? 'a' : 'b',
      fields: { n: String(i) },
    }));
    const ids = await bus.publishMany(messages);
    expect(ids).toHaveLength(30);
    const a = await bus.range('a', 100);
    const b = await bus.range('b', 100);
    expect(a.map((e) => e.id)).toEqual(ids.filter((_, i) => i % 3 === 0));
    expect(b.map((e) => e.id)).toEqual(ids.filter((_, i) => i % 3 !== 0));
    expect(a.map((e) => e.fields.n)).toEqual(messages.filter((m) => m.stream === 'a').map((m) => m.fields.n));
    expect(await bus.publishMany([])).toEqual([]);
  });

  it('range returns entries oldest first with their fields, at most count', async () => {
    const { bus } = await open();
    await bus.publish('s', { a: '1', b: 'two' });
    await bus.publish('s', { a: '2' });
    await bus.publish('s', { a: '3' });
    const entries = await bus.range('s', 2);
    expect(entries.map((e) => e.fields)).toEqual([{ a: '1', b: 'two' }, { a: '2' }]);
    expect(await bus.range('missing', 5)).toEqual([]);
    expect(await bus.length('missing')).toBe(0);
  });

  it('approximate MAXLEN trims old entries but never below maxLen', async () => {
    const { bus } = await open();
    for (let batch = 0; batch < 10; batch++) {
      const messages = Array.from({ length: 100 }, (_, i) => ({
        stream: 's',
        fields: { n: String(batch * 100 + i) },
      }));
      await bus.publishMany(messages, { maxLen: 150 });
      expect(await bus.length('s')).toBeGreaterThanOrEqual(Math.min(150, (batch + 1) * 100));
    }
    const length = await bus.length('s');
    expect(length).toBeLessThan(1000);
    const entries = await bus.range('s', 1000);
    // What is kept is the newest entries, in order.
    expect(entries.at(-1)?.fields.n).toBe('999');
    expect(entries[0]?.fields.n).toBe(String(1000 - length));
  });

  it('publish without maxLen uses the adapter default from its options', async () => {
    const { bus } = await open({ maxLen: 120 });
    for (let i = 0; i < 6; i++) {
      await bus.publishMany(Array.from({ length: 100 }, () => ({ stream: 's', fields: { x: 'y' } })));
    }
    const length = await bus.length('s');
    expect(length).toBeGreaterThanOrEqual(120);
    expect(length).toBeLessThan(600);
  });

  it('rejects malformed input with ASTRA_BUS_INVALID_MESSAGE and writes nothing', async () => {
    const { bus } = await open();
    await expectCode(bus.publish('', { a: '1' }), 'ASTRA_BUS_INVALID_MESSAGE');
    await expectCode(bus.publish('s', {}), 'ASTRA_BUS_INVALID_MESSAGE');
    await expectCode(bus.publish('s', { a: 1 as unknown as string }), 'ASTRA_BUS_INVALID_MESSAGE');
    await expectCode(bus.publish('s', { a: '1' }, { maxLen: 0 }), 'ASTRA_BUS_INVALID_MESSAGE');
    await expectCode(
      bus.publishMany([
        { stream: 's', fields: { a: '1' } },
        { stream: 's', fields: { a: null as unknown as string } },
      ]),
      'ASTRA_BUS_INVALID_MESSAGE',
    );
    expect(await bus.length('s')).toBe(0);
    await bus.ensureGroup('s', 'g');
    await expectCode(bus.ensureGroup('s', ''), 'ASTRA_BUS_INVALID_MESSAGE');
    await expectCode(
      bus.read({ group: 'g', consumer: 'c', streams: [], count: 1, blockMs: 0 }),
      'ASTRA_BUS_INVALID_MESSAGE',
    );
    await expectCode(
      bus.read({ group: 'g', consumer: '', streams: ['s'], count: 1, blockMs: 0 }),
      'ASTRA_BUS_INVALID_MESSAGE',
    );
    await expectCode(
      bus.read({ group: 'g', consumer: 'c', streams: ['s'], count: 0, blockMs: 0 }),
      'ASTRA_BUS_INVALID_MESSAGE',
    );
    await expectCode(
      bus.read({ group: 'g', consumer: 'c', streams: ['s'], count: 1, blockMs: -1 }),
      'ASTRA_BUS_INVALID_MESSAGE',
    );
    await expectCode(bus.ack('s', 'g', ['not-an-id']), 'ASTRA_BUS_INVALID_MESSAGE');
    await expectCode(
      bus.reclaim({ stream: 's', group: 'g', consumer: 'c', minIdleMs: 0, count: 0 }),
      'ASTRA_BUS_INVALID_MESSAGE',
    );
    await expectCode(
      bus.fail('g', { stream: 's', id: 'x', fields: { a: '1' }, deliveryCount: 1 }, 'boom'),
      'ASTRA_BUS_INVALID_MESSAGE',
    );
  });

  it('reports a missing group as ASTRA_BUS_GROUP_MISSING', async () => {
    const { bus } = await open();
    await bus.publish('s', { a: '1' });
    await expectCode(
      bus.read({ group: 'nope', consumer: 'c', streams: ['s'], count: 1, blockMs: 0 }),
      'ASTRA_BUS_GROUP_MISSING',
    );
    await expectCode(bus.pendingCount('s', 'nope'), 'ASTRA_BUS_GROUP_MISSING');
    await expectCode(
      bus.reclaim({ stream: 'other', group: 'nope', consumer: 'c', minIdleMs: 0, count: 1 }),
      'ASTRA_BUS_GROUP_MISSING',
    );
    expect(await bus.ack('s', 'nope', ['1-0'])).toBe(0);
  });

  it('fails every call after close with ASTRA_BUS_CLOSED; close is idempotent', async () => {
    const { bus } = await open();
    await bus.ensureGroup('s', 'g');
    await bus.close();
    await bus.close();
    const message = { stream: 's', id: '1-0', fields: { a: '1' }, deliveryCount: 1 };
    await expectCode(bus.publish('s', { a: '1' }), 'ASTRA_BUS_CLOSED');
    await expectCode(bus.publishMany([{ stream: 's', fields: { a: '1' } }]), 'ASTRA_BUS_CLOSED');
    await expectCode(bus.ensureGroup('s', 'g'), 'ASTRA_BUS_CLOSED');
    await expectCode(
      bus.read({ group: 'g', consumer: 'c', streams: ['s'], count: 1, blockMs: 0 }),
      'ASTRA_BUS_CLOSED',
    );
    await expectCode(bus.ack('s', 'g', ['1-0']), 'ASTRA_BUS_CLOSED');
    await expectCode(bus.fail('g', message, 'x'), 'ASTRA_BUS_CLOSED');
    await expectCode(
      bus.reclaim({ stream: 's', group: 'g', consumer: 'c', minIdleMs: 0, count: 1 }),
      'ASTRA_BUS_CLOSED',
    );
    await expectCode(bus.pendingCount('s', 'g'), 'ASTRA_BUS_CLOSED');
    await expectCode(bus.range('s', 1), 'ASTRA_BUS_CLOSED');
    await expectCode(bus.length('s'), 'ASTRA_BUS_CLOSED');
  });
}
