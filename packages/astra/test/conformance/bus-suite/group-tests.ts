import { expect, it } from 'vitest';
import type { BusSuiteFactory } from './harness.js';
import { harnessPool } from './harness.js';

const read = { group: 'g', count: 100, blockMs: 0 } as const;

/** Consumer groups: delivery, blocking, ack, pending, reclaim, delivery counts. */
export function groupTests(factory: BusSuiteFactory): void {
  const open = harnessPool(factory);

  it('a new group reads the stream from the beginning; ensureGroup is idempotent', async () => {
    const { bus } = await open();
    const id = await bus.publish('s', { a: '1' });
    await bus.ensureGroup('s', 'g');
    await bus.ensureGroup('s', 'g');
    const messages = await bus.read({ ...read, consumer: 'c', streams: ['s'] });
    expect(messages).toEqual([{ stream: 's', id, fields: { a: '1' }, deliveryCount: 1 }]);
    await bus.ensureGroup('empty', 'g');
    expect(await bus.length('empty')).toBe(0);
    expect(await bus.pendingCount('empty', 'g')).toBe(0);
  });

  it('splits messages between the consumers of a group with no duplicates', async () => {
    const { bus } = await open();
    await bus.ensureGroup('s', 'g');
    const ids = await bus.publishMany(
      Array.from({ length: 20 }, (_, i) => ({ stream: 's', fields: { n: String(i) } })),
    );
    const first = await bus.read({ ...read, consumer: 'c1', streams: ['s'], count: 7 });
    const second = await bus.read({ ...read, consumer: 'c2', streams: ['s'] });
    const again = await bus.read({ ...read, consumer: 'c1', streams: ['s'] });
    expect(first).toHaveLength(7);
    expect(second).toHaveLength(13);
    expect(again).toEqual([]);
    expect([...first, ...second].map((m) => m.id)).toEqual(ids);
    expect(await bus.pendingCount('s', 'g')).toBe(20);
  });

  it('every group sees every message', async () => {
    const { bus } = await open();
    await bus.ensureGroup('s', 'g1');
    await bus.ensureGroup('s', 'g2');
    await bus.publishMany([
      { stream: 's', fields: { a: '1' } },
      { stream: 's', fields: { a: '2' } },
    ]);
    const one = await bus.read({ ...read, group: 'g1', consumer: 'c', streams: ['s'] });
    const two = await bus.read({ ...read, group: 'g2', consumer: 'c', streams: ['s'] });
    expect(one.map((m) => m.fields.a)).toEqual(['1', '2']);
    expect(two.map((m) => m.fields.a)).toEqual(['1', '2']);
  });

  it('honours count per stream, oldest first, across several streams', async () => {
    const { bus } = await open();
    await bus.ensureGroup('a', 'g');
    await bus.ensureGroup('b', 'g');
    await bus.publishMany(Array.from({ length: 5 }, (_, i) => ({ stream: 'a', fields: { n: String(i) } })));
    await bus.publishMany(Array.from({ length: 5 }, (_, i) => ({ stream: 'b', fields: { n: String(i) } })));
    const batch = await bus.read({ ...read, consumer: 'c', streams: ['a', 'b'], count: 2 });
    expect(batch.map((m) => `${m.stream}${m.fields.n}`)).toEqual(['a0', 'a1', 'b0', 'b1']);
    const rest = await bus.read({ ...read, consumer: 'c', streams: ['a', 'b'], count: 10 });
    expect(rest.map((m) => `${m.stream}${m.fields.n}`)).toEqual(['a2', 'a3', 'a4', 'b2', 'b3', 'b4']);
  });

  it('a blocking read returns as soon as a message is published', async () => {
    const { bus } = await open();
    await bus.ensureGroup('s', 'g');
    const pending = bus.read({ ...read, consumer: 'c', streams: ['s'], blockMs: 60_000 });
    const id = await bus.publish('s', { a: '1' });
    expect((await pending).map((m) => m.id)).toEqual([id]);
  });

  it('a blocking read returns empty once blockMs has passed', async () => {
    const h = await open();
    await h.bus.ensureGroup('s', 'g');
    const pending = h.bus.read({ ...read, consumer: 'c', streams: ['s'], blockMs: factory.idleMs });
    await h.advance(factory.idleMs);
    expect(await pending).toEqual([]);
  });

  it('aborting a blocking read ends it empty and delivers nothing', async () => {
    const { bus } = await open();
    await bus.ensureGroup('s', 'g');
    const abort = new AbortController();
    const pending = bus.read({
      ...read,
      consumer: 'c',
      streams: ['s'],
      blockMs: 60_000,
      signal: abort.signal,
    });
    abort.abort();
    expect(await pending).toEqual([]);
    expect(
      await bus.read({ ...read, consumer: 'c', streams: ['s'], signal: abort.signal, blockMs: 60_000 }),
    ).toEqual([]);
    await bus.publish('s', { a: '1' });
    expect(await bus.read({ ...read, consumer: 'c', streams: ['s'] })).toHaveLength(1);
  });

  it('close ends a blocking read empty', async () => {
    const { bus } = await open();
    await bus.ensureGroup('s', 'g');
    const pending = bus.read({ ...read, consumer: 'c', streams: ['s'], blockMs: 60_000 });
    await bus.close();
    expect(await pending).toEqual([]);
  });

  it('ack removes messages from pending; unknown and repeated ids are not counted', async () => {
    const { bus } = await open();
    await bus.ensureGroup('s', 'g');
    await bus.publishMany([1, 2, 3].map((n) => ({ stream: 's', fields: { n: String(n) } })));
    const messages = await bus.read({ ...read, consumer: 'c', streams: ['s'] });
    expect(await bus.pendingCount('s', 'g')).toBe(3);
    const [first, second] = messages.map((m) => m.id);
    expect(await bus.ack('s', 'g', [first ?? '', second ?? '', first ?? ''])).toBe(2);
    expect(await bus.ack('s', 'g', [first ?? '', '1-1'])).toBe(0);
    expect(await bus.ack('s', 'g', [])).toBe(0);
    expect(await bus.pendingCount('s', 'g')).toBe(1);
  });

  it('unacked messages come back only through reclaim, after min-idle, with counts 1, 2, 3', async () => {
    const h = await open();
    const { bus } = h;
    await bus.ensureGroup('s', 'g');
    const id = await bus.publish('s', { a: '1' });
    const [first] = await bus.read({ ...read, consumer: 'c1', streams: ['s'] });
    expect(first?.deliveryCount).toBe(1);
    expect(await bus.read({ ...read, consumer: 'c2', streams: ['s'] })).toEqual([]);
    const reclaim = { stream: 's', group: 'g', consumer: 'c2', minIdleMs: factory.idleMs, count: 10 };
    expect(await bus.reclaim({ ...reclaim, minIdleMs: 60_000 })).toEqual([]);
    if (factory.exactTime) {
      await h.advance(factory.idleMs - 1);
      expect(await bus.reclaim(reclaim)).toEqual([]);
      await h.advance(1);
    } else {
      await h.advance(factory.idleMs);
    }
    expect(await bus.reclaim(reclaim)).toEqual([{ stream: 's', id, fields: { a: '1' }, deliveryCount: 2 }]);
    // A reclaim resets the idle time: the message is not handed out again at once.
    expect(await bus.reclaim(reclaim)).toEqual([]);
    await h.advance(factory.idleMs);
    const [third] = await bus.reclaim({ ...reclaim, consumer: 'c3' });
    expect(third?.deliveryCount).toBe(3);
    expect(await bus.pendingCount('s', 'g')).toBe(1);
    expect(await bus.ack('s', 'g', [id])).toBe(1);
    await h.advance(factory.idleMs);
    expect(await bus.reclaim(reclaim)).toEqual([]);
  });

  it('reclaim honours count and returns the oldest idle messages first', async () => {
    const h = await open();
    await h.bus.ensureGroup('s', 'g');
    const ids = await h.bus.publishMany(
      [1, 2, 3, 4, 5].map((n) => ({ stream: 's', fields: { n: String(n) } })),
    );
    await h.bus.read({ ...read, consumer: 'c1', streams: ['s'] });
    await h.advance(factory.idleMs);
    const reclaim = { stream: 's', group: 'g', consumer: 'c2', minIdleMs: factory.idleMs, count: 2 };
    expect((await h.bus.reclaim(reclaim)).map((m) => m.id)).toEqual(ids.slice(0, 2));
    expect((await h.bus.reclaim(reclaim)).map((m) => m.id)).toEqual(ids.slice(2, 4));
    expect((await h.bus.reclaim(reclaim)).map((m) => m.id)).toEqual(ids.slice(4));
  });
}
