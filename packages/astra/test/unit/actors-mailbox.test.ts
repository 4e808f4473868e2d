import { describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import {
  type ActorBehavior,
  createActorSystem,
  DEFAULT_MAILBOX_CAPACITY,
  isMailboxFull,
  MailboxFull,
} from '../../src/kernel/actors/index.js';
import { Ring } from '../../src/kernel/actors/ring.js';
import { ManualClock } from '../../src/time/clock.js';
import { type Deferred, deferred, recorder, settled } from '../support/waiting.js';

/** The error a call throws, for inspecting its fields. */
function thrown(call: () => void): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('Ring', () => {
  it('keeps FIFO order across growth and wrap-around, and clears taken slots', () => {
    const ring = new Ring<number>(2);
    const out: number[] = [];
    for (let i = 0; i < 5; i++) ring.push(i);
    out.push(ring.shift(), ring.shift());
    for (let i = 5; i < 12; i++) ring.push(i);
    while (ring.size > 0) out.push(ring.shift());
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(() => ring.shift()).toThrow(RangeError);
  });
});

describe('actor mailbox and ordering', () => {
  it('handles messages in send order, one at a time, even when the handler is async', async () => {
    const system = createActorSystem();
    const handled = recorder<number>();
    let running = 0;
    let maxRunning = 0;
    const behavior: ActorBehavior<number> = {
      handler: async (n) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        // Odd messages take extra microtask hops, so a runtime that overlapped them would reorder.
        for (let hop = 0; hop < n % 3; hop++) await Promise.resolve();
        handled.push(n);
        running--;
      },
    };
    const ref = system.spawn({ id: 'ordered', behavior });
    for (let n = 0; n < 200; n++) ref.send(n);
    await handled.when(200);
    await settled();
    expect(handled.items).toEqual(Array.from({ length: 200 }, (_, n) => n));
    expect(maxRunning).toBe(1);
    expect(system.stats().processed).toBe(200);
  });

  it('send returns before the handler runs: it never awaits the actor', async () => {
    const system = createActorSystem();
    const handled = recorder<string>();
    system.spawn<string, undefined>({ id: 'a', behavior: { handler: (m) => handled.push(m) } });
    const result: unknown = system.send('a', 'x');
    expect(result).toBeUndefined();
    expect(handled.items).toEqual([]);
    await handled.when(1);
    expect(handled.items).toEqual(['x']);
  });

  it('shares turns fairly: a busy actor does not drain its whole mailbox before another runs', async () => {
    const system = createActorSystem();
    const order = recorder<string>();
    const behavior: ActorBehavior<string> = { handler: (m) => order.push(m) };
    const a = system.spawn({ id: 'a', behavior });
    const b = system.spawn({ id: 'b', behavior });
    for (let i = 0; i < 300; i++) a.send('a');
    for (let i = 0; i < 300; i++) b.send('b');
    await order.when(600);
    expect(order.items.indexOf('b')).toBeLessThan(300);
  });

  it('yields to the event loop while actors keep each other busy with synchronous handlers', async () => {
    const system = createActorSystem();
    const total = 200_000;
    let handledWhenImmediateRan = -1;
    const done = deferred();
    let count = 0;
    system.spawn<null, undefined>({
      id: 'spinner',
      behavior: {
        handler: (_, ctx) => {
          count++;
          if (count < total) ctx.system.send(ctx.id, null);
          else done.resolve();
        },
      },
    });
    system.send('spinner', null);
    setImmediate(() => {
      handledWhenImmediateRan = count;
    });
    await done.promise;
    expect(handledWhenImmediateRan).toBeGreaterThan(0);
    expect(handledWhenImmediateRan).toBeLessThan(total);
  });

  it('bounds the mailbox at 1024 by default and refuses the next send with MailboxFull', async () => {
    const system = createActorSystem({ clock: new ManualClock(0) });
    const handled = recorder<number>();
    const ref = system.spawn<number, undefined>({
      id: 'bounded',
      behavior: { handler: (n) => handled.push(n) },
    });
    expect(DEFAULT_MAILBOX_CAPACITY).toBe(1024);
    // Sends run synchronously, so the actor has not had a turn yet: all of them are queued.
    for (let n = 0; n < 1024; n++) ref.send(n);
    const error = thrown(() => ref.send(1024));
    expect(isMailboxFull(error)).toBe(true);
    expect(error).toBeInstanceOf(MailboxFull);
    expect(isAstraError(error, 'ASTRA_ACTOR_MAILBOX_FULL')).toBe(true);
    const full = error as MailboxFull;
    expect(full.httpStatus).toBe(429);
    expect(full.retryable).toBe(true);
    expect(full.category).toBe('system');
    // Nothing has finished in this busy spell, so the pace is unknown: the default hint.
    expect(full.details).toEqual({ actorId: 'bounded', capacity: 1024, retryAfterMs: 100 });
    expect(system.inspect('bounded')?.queued).toBe(1024);
    expect(system.stats().rejected).toBe(1);
    await handled.when(1024);
    expect(handled.items).toHaveLength(1024);
    expect(handled.items.at(-1)).toBe(1023);
    // Drained, the mailbox takes messages again.
    ref.send(2000);
    await handled.when(1025);
  });

  it('honours a behavior-level bound; the message being handled does not count against it', async () => {
    const system = createActorSystem();
    const gate = deferred();
    const started = deferred();
    const ref = system.spawn<string, undefined>({
      id: 'small',
      behavior: {
        mailboxCapacity: 2,
        handler: async () => {
          started.resolve();
          await gate.promise;
        },
      },
    });
    ref.send('first');
    await started.promise;
    ref.send('second');
    ref.send('third');
    expect(isMailboxFull(thrown(() => ref.send('fourth')))).toBe(true);
    gate.resolve();
  });

  it('derives retryAfterMs from the recent time per message, with a floor', async () => {
    const clock = new ManualClock(0);
    const system = createActorSystem({ clock, retryAfterFloorMs: 5 });
    const gates = new Map<number, Deferred>();
    const gate = (n: number): Deferred => {
      const existing = gates.get(n) ?? deferred();
      gates.set(n, existing);
      return existing;
    };
    const started = recorder<number>();
    const ref = system.spawn<number, undefined>({
      id: 'paced',
      behavior: {
        mailboxCapacity: 3,
        handler: async (n) => {
          started.push(n);
          await gate(n).promise;
        },
      },
    });
    for (let n = 0; n < 3; n++) ref.send(n);
    // Messages 0 and 1 take 40 ms each on the clock; then message 2 is running and the mailbox is empty.
    for (const n of [0, 1]) {
      await started.when(n + 1);
      await clock.advance(40);
      gate(n).resolve();
    }
    await started.when(3);
    for (const n of [3, 4, 5]) ref.send(n);
    const full = thrown(() => ref.send(6)) as MailboxFull;
    expect(full.retryAfterMs).toBe(40);

    for (const n of [2, 3, 4, 5]) gate(n).resolve();
  });

  it('never hints less than the floor, however fast the actor has been', async () => {
    const system = createActorSystem({ clock: new ManualClock(0), retryAfterFloorMs: 5 });
    const gate = deferred();
    const handled = recorder<string>();
    const ref = system.spawn<string, undefined>({
      id: 'fast',
      behavior: {
        mailboxCapacity: 2,
        handler: async (m) => {
          handled.push(m);
          if (m === 'block') await gate.promise;
        },
      },
    });
    // 'quick' takes no clock time; then 'block' holds the actor while the mailbox fills.
    ref.send('quick');
    ref.send('block');
    await handled.when(2);
    ref.send('c');
    ref.send('d');
    expect((thrown(() => ref.send('e')) as MailboxFull).retryAfterMs).toBe(5);
    gate.resolve();
    await handled.when(4);
  });

  it('releases the mailbox when an actor goes idle, and counts active actors', async () => {
    const system = createActorSystem();
    const handled = recorder<number>();
    const behavior: ActorBehavior<number> = { handler: (n) => handled.push(n) };
    for (let i = 0; i < 10; i++) system.spawn({ id: `idle-${i}`, behavior });
    expect(system.stats().active).toBe(0);
    for (let i = 0; i < 5; i++) system.send(`idle-${i}`, i);
    expect(system.stats().active).toBe(5);
    expect(system.inspect('idle-0')).toEqual({
      id: 'idle-0',
      status: 'scheduled',
      queued: 1,
      supervisor: 'default',
    });
    await handled.when(5);
    await settled();
    expect(system.stats().active).toBe(0);
    expect(system.inspect('idle-0')).toEqual({
      id: 'idle-0',
      status: 'idle',
      queued: 0,
      supervisor: 'default',
    });
  });
});
