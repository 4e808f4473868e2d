import { afterEach, expect, it } from 'vitest';
import { type AstraError, isAstraError } from '../../../src/errors/index.js';
import { startConsumer } from '../../../src/kernel/bus-consumer.js';
import type { Bus, BusMessage } from '../../../src/ports/bus.js';
import type { BusFaults, BusHarness, BusSuiteFactory } from './harness.js';
import { eventually, expectCode, gate } from './harness.js';

/** Crash tests against a private server: typed errors while it is down, recovery once it is back. */
export function faultTests(factory: BusSuiteFactory): void {
  let current: { harness: BusHarness; faults: BusFaults } | undefined;

  async function openFaulty(): Promise<{ harness: BusHarness; faults: BusFaults }> {
    if (factory.faults === undefined) throw new Error('factory has no fault injection');
    current = await factory.faults();
    return current;
  }

  afterEach(async () => {
    const opened = current;
    current = undefined;
    if (opened === undefined) return;
    await opened.faults.restart();
    await opened.harness.dispose();
  });

  /** Retries an operation until the server answers again; only ASTRA_BUS_UNAVAILABLE is retried. */
  async function whenBack<T>(operation: () => Promise<T>): Promise<T> {
    let result: { value: T } | undefined;
    await eventually(async () => {
      try {
        result = { value: await operation() };
        return true;
      } catch (error) {
        if (isAstraError(error, 'ASTRA_BUS_UNAVAILABLE')) return false;
        throw error;
      }
    }, 'the bus to answer after restart');
    if (result === undefined) throw new Error('unreachable');
    return result.value;
  }

  it('a read blocked when the server dies fails with ASTRA_BUS_UNAVAILABLE; the bus works after restart', async () => {
    const { harness, faults } = await openFaulty();
    const { bus } = harness;
    await bus.ensureGroup('s', 'g');
    const blocked = expectCode(
      bus.read({ group: 'g', consumer: 'c', streams: ['s'], count: 10, blockMs: 60_000 }),
      'ASTRA_BUS_UNAVAILABLE',
    );
    await faults.waitUntilBlocked();
    await faults.kill();
    await blocked;
    await faults.restart();
    // The restarted server is empty (no persistence): the group is gone and says so.
    await whenBack(() => bus.length('s'));
    await expectCode(
      bus.read({ group: 'g', consumer: 'c', streams: ['s'], count: 1, blockMs: 0 }),
      'ASTRA_BUS_GROUP_MISSING',
    );
    await bus.ensureGroup('s', 'g');
    const pending = bus.read({ group: 'g', consumer: 'c', streams: ['s'], count: 10, blockMs: 60_000 });
    const id = await bus.publish('s', { a: '1' });
    expect((await pending).map((m) => m.id)).toEqual([id]);
  });

  it('every call fails fast with ASTRA_BUS_UNAVAILABLE while the server is down', async () => {
    const { harness, faults } = await openFaulty();
    const { bus } = harness;
    await bus.ensureGroup('s', 'g');
    await bus.publish('s', { a: '1' });
    const [message] = await bus.read({ group: 'g', consumer: 'c', streams: ['s'], count: 1, blockMs: 0 });
    if (message === undefined) throw new Error('no message');
    await faults.kill();
    const down = 'ASTRA_BUS_UNAVAILABLE';
    await expectCode(bus.publish('s', { a: '2' }), down);
    await expectCode(bus.publishMany([{ stream: 's', fields: { a: '3' } }]), down);
    await expectCode(bus.ensureGroup('s', 'g2'), down);
    await expectCode(bus.ack('s', 'g', [message.id]), down);
    await expectCode(bus.fail('g', message, 'x'), down);
    await expectCode(bus.reclaim({ stream: 's', group: 'g', consumer: 'c', minIdleMs: 0, count: 1 }), down);
    await expectCode(bus.pendingCount('s', 'g'), down);
    await expectCode(bus.read({ group: 'g', consumer: 'c', streams: ['s'], count: 1, blockMs: 0 }), down);
    await expectCode(bus.read({ group: 'g', consumer: 'c', streams: ['s'], count: 1, blockMs: 50 }), down);
    await faults.restart();
    const id = await whenBack(() => bus.publish('s', { a: '4' }));
    expect((await bus.range('s', 10)).map((e) => e.id)).toEqual([id]);
  });

  it('the consumer loop reports the outage, acks nothing it did not handle, and recovers by itself', async () => {
    const { harness, faults } = await openFaulty();
    const { bus } = harness;
    const errors: { phase: string; code: string }[] = [];
    const handled: BusMessage[] = [];
    const inHandler = gate();
    const release = gate();
    const consumer = startConsumer(bus, {
      group: 'g',
      consumer: 'c1',
      streams: ['s'],
      clock: harness.clock,
      blockMs: 60_000,
      minIdleMs: 60_000,
      retryDelayMs: 10,
      maxRetryDelayMs: 100,
      handler: async (message) => {
        if (message.fields.n === '1') {
          inHandler.open();
          await release.promise;
        }
        handled.push(message);
      },
      onError: (error: AstraError, context) => errors.push({ phase: context.phase, code: error.code }),
    });
    await bus.ensureGroup('s', 'g');
    await bus.publish('s', { n: '1' });
    await inHandler.promise;
    await faults.kill();
    release.open();
    // The handler succeeded but its ack could not reach the server: reported, not pretended.
    await eventually(
      () => errors.some((e) => e.phase === 'ack' && e.code === 'ASTRA_BUS_UNAVAILABLE'),
      'ack failure',
    );
    await eventually(
      () => errors.some((e) => e.phase !== 'ack' && e.code === 'ASTRA_BUS_UNAVAILABLE'),
      'loop outage',
    );
    await faults.restart();
    await whenBack(() => bus.publish('s', { n: '2' }));
    await eventually(() => handled.some((m) => m.fields.n === '2'), 'message after restart handled');
    await consumer.stop();
    expect(handled.map((m) => m.fields.n)).toEqual(['1', '2']);
    expect(await bus.pendingCount('s', 'g')).toBe(0);
  });

  it('a bus created while the server is down fails with ASTRA_BUS_UNAVAILABLE', async () => {
    const { faults } = await openFaulty();
    await faults.kill();
    const reopened: Promise<Bus> = faults.openBus();
    await expectCode(reopened, 'ASTRA_BUS_UNAVAILABLE');
  });
}
