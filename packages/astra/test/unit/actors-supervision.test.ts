import { describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import {
  type ActorBehavior,
  type ActorFailure,
  type ActorSystemOptions,
  createActorSystem,
  type DroppedMessage,
  isMailboxFull,
  type MailboxFull,
} from '../../src/kernel/actors/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { recorder, settled } from '../support/waiting.js';

/** A system on a manual clock whose hooks record every drop, failure and root escalation. */
function harness(options: ActorSystemOptions = {}) {
  const clock = new ManualClock(0);
  const dropped = recorder<DroppedMessage>();
  const failures = recorder<ActorFailure>();
  const escalated = recorder<ActorFailure>();
  const system = createActorSystem({
    clock,
    onDropped: dropped.push,
    onFailure: failures.push,
    onEscalate: escalated.push,
    ...options,
  });
  return { clock, system, dropped, failures, escalated };
}

/** Handles strings; throws on any message starting with "bad". */
function picky(handled: { push: (m: string) => void }): ActorBehavior<string, { count: number }> {
  return {
    init: () => ({ count: 0 }),
    handler: (message, ctx) => {
      if (message.startsWith('bad')) throw new Error(`refused ${message}`);
      ctx.state.count++;
      handled.push(message);
    },
  };
}

describe('supervision: restart', () => {
  it('drops and reports the failed message, rebuilds state and goes on with the mailbox', async () => {
    const { system, dropped, failures } = harness();
    const handled = recorder<string>();
    const counts: number[] = [];
    system.spawn({
      id: 'r',
      behavior: {
        ...picky(handled),
        onRestart: ({ state, error }) => {
          counts.push(state.count);
          expect((error as Error).message).toBe('refused bad-1');
          return { count: 100 };
        },
      },
    });
    for (const m of ['a', 'b', 'bad-1', 'c']) system.send('r', m);
    await handled.when(3);
    expect(handled.items).toEqual(['a', 'b', 'c']);
    expect(counts).toEqual([2]);
    expect(system.snapshot('r')).toBeUndefined();
    expect(dropped.items).toEqual([
      { actorId: 'r', message: 'bad-1', reason: 'failed', error: expect.any(Error) },
    ]);
    expect(failures.items).toEqual([
      {
        actorId: 'r',
        supervisor: 'default',
        phase: 'handler',
        error: expect.any(Error),
        outcome: 'restarted',
        delayMs: 0,
        budgetExhausted: false,
      },
    ]);
    expect(system.stats()).toMatchObject({ restarts: 1, failures: 1, dropped: 1, processed: 3 });
  });

  it('reruns init on restart when there is no onRestart, and keeps the state when there is neither', async () => {
    const { system } = harness();
    const seen = recorder<string>();
    const counting: ActorBehavior<string, { count: number }> = {
      init: () => ({ count: 0 }),
      snapshot: (state) => ({ ...state }),
      handler: async (message, ctx) => {
        if (message === 'bad') throw new Error('bad');
        ctx.state.count++;
        seen.push(`${ctx.id}:${message}:${ctx.state.count}`);
      },
    };
    const stateless: ActorBehavior<string, number | undefined> = {
      handler: (message, ctx) => {
        if (message === 'bad') throw new Error('bad');
        ctx.state = (ctx.state ?? 0) + 1;
        seen.push(`${ctx.id}:${message}:${ctx.state}`);
      },
    };
    system.spawn({ id: 'fresh', behavior: counting });
    system.spawn({ id: 'kept', behavior: stateless });
    for (const m of ['a', 'b', 'bad', 'c']) {
      system.send('fresh', m);
      system.send('kept', m);
    }
    await seen.when(6);
    expect(seen.items.filter((s) => s.startsWith('fresh'))).toEqual(['fresh:a:1', 'fresh:b:2', 'fresh:c:1']);
    expect(seen.items.filter((s) => s.startsWith('kept'))).toEqual(['kept:a:1', 'kept:b:2', 'kept:c:3']);
    expect(system.snapshot('fresh')).toEqual({ count: 1 });
  });

  it('supervises a failing init like a failing handler, and queues messages until init succeeds', async () => {
    const { system, failures } = harness();
    const handled = recorder<string>();
    let attempts = 0;
    system.spawn<string, string>({
      id: 'slow-start',
      behavior: {
        init: async () => {
          attempts++;
          if (attempts === 1) throw new Error('store not ready');
          return 'ready';
        },
        handler: (message, ctx) => handled.push(`${ctx.state}:${message}`),
      },
    });
    system.send('slow-start', 'a');
    system.send('slow-start', 'b');
    await handled.when(2);
    expect(handled.items).toEqual(['ready:a', 'ready:b']);
    expect(failures.items.map((f) => [f.phase, f.outcome])).toEqual([['init', 'restarted']]);
  });
});

describe('supervision: restart-with-backoff', () => {
  const budget = { maxRestarts: 1000, windowMs: 3_600_000 };

  it('waits 100 ms doubling per consecutive failure, capped at 30 s, on the injected clock', async () => {
    const { clock, system, failures } = harness({ policy: 'restart-with-backoff', restartBudget: budget });
    system.spawn({ id: 'b', behavior: picky(recorder<string>()) });
    for (let i = 0; i < 12; i++) system.send('b', `bad-${i}`);
    const expected = [100, 200, 400, 800, 1600, 3200, 6400, 12_800, 25_600, 30_000, 30_000, 30_000];
    for (const [i, delayMs] of expected.entries()) {
      await failures.when(i + 1);
      expect(failures.items[i]).toMatchObject({ outcome: 'backing-off', delayMs });
      expect(system.inspect('b')?.status).toBe('backoff');
      await clock.advance(delayMs - 1);
      expect(failures.items).toHaveLength(i + 1);
      await clock.advance(1);
    }
    await settled();
    expect(system.stats().restarts).toBe(12);
  });

  it('keeps queueing during the backoff up to the bound, with a hint that includes the wait', async () => {
    const { clock, system, failures } = harness({ policy: 'restart-with-backoff' });
    const handled = recorder<string>();
    system.spawn({ id: 'b', behavior: { ...picky(handled), mailboxCapacity: 3 } });
    system.send('b', 'bad');
    await failures.when(1);
    await clock.advance(40);
    for (const m of ['x', 'y', 'z']) system.send('b', m);
    let refused: unknown;
    try {
      system.send('b', 'overflow');
    } catch (error) {
      refused = error;
    }
    expect(isMailboxFull(refused)).toBe(true);
    // 60 ms of backoff left, plus the default per-message time (no message has finished yet).
    expect((refused as MailboxFull).retryAfterMs).toBe(160);
    await clock.advance(60);
    await handled.when(3);
    expect(handled.items).toEqual(['x', 'y', 'z']);
  });

  it('starts the backoff over after a successful message', async () => {
    const { clock, system, failures } = harness({ policy: 'restart-with-backoff', restartBudget: budget });
    const handled = recorder<string>();
    system.spawn({ id: 'b', behavior: picky(handled) });
    for (const m of ['bad-1', 'bad-2', 'ok', 'bad-3']) system.send('b', m);
    await failures.when(1);
    await clock.advance(100);
    await failures.when(2);
    await clock.advance(200);
    await failures.when(3);
    expect(handled.items).toEqual(['ok']);
    expect(failures.items.map((f) => f.delayMs)).toEqual([100, 200, 100]);
  });
});

describe('supervision: escalate and terminate', () => {
  it('escalate stops the child, drops its queue and hands the failure to the nearest ancestor with a hook', async () => {
    const { system, dropped, escalated } = harness();
    const toRoot = recorder<ActorFailure>();
    const root = system.createSupervisor({ name: 'root', onEscalate: toRoot.push });
    const middle = system.createSupervisor({ name: 'middle', parent: root });
    const workers = system.createSupervisor({ name: 'workers', parent: middle, policy: 'escalate' });
    system.spawn({ id: 'w', behavior: picky(recorder<string>()), supervisor: workers });
    for (const m of ['bad', 'a', 'b']) system.send('w', m);
    await toRoot.when(1);
    expect(toRoot.items[0]).toMatchObject({
      actorId: 'w',
      supervisor: 'workers',
      outcome: 'escalated',
      budgetExhausted: false,
    });
    expect(escalated.items).toEqual([]);
    expect(dropped.items.map((d) => [d.message, d.reason])).toEqual([
      ['bad', 'failed'],
      ['a', 'escalated'],
      ['b', 'escalated'],
    ]);
    expect(system.count()).toBe(0);
    expect(() => system.send('w', 'c')).toThrow(expect.objectContaining({ code: 'ASTRA_ACTOR_NOT_FOUND' }));
    expect(system.stats()).toMatchObject({ escalations: 1, stopped: 1 });
  });

  it('escalations that no supervisor takes reach the system onEscalate', async () => {
    const { system, escalated } = harness({ policy: 'escalate' });
    system.spawn({ id: 'w', behavior: picky(recorder<string>()) });
    system.send('w', 'bad');
    await escalated.when(1);
    expect(escalated.items[0]).toMatchObject({ actorId: 'w', supervisor: 'default', outcome: 'escalated' });
  });

  it('terminate stops the child and drops its remaining messages', async () => {
    const { system, dropped, failures } = harness();
    const handled = recorder<string>();
    const behavior: ActorBehavior<string, { count: number }> = { ...picky(handled), policy: 'terminate' };
    system.spawn({ id: 't', behavior });
    for (const m of ['a', 'bad', 'b', 'c']) system.send('t', m);
    await failures.when(1);
    expect(handled.items).toEqual(['a']);
    expect(failures.items[0]).toMatchObject({ outcome: 'terminated' });
    expect(dropped.items.map((d) => [d.message, d.reason])).toEqual([
      ['bad', 'failed'],
      ['b', 'terminated'],
      ['c', 'terminated'],
    ]);
    expect(system.lookup('t')).toBeUndefined();
    expect(system.stats()).toMatchObject({ terminations: 1, actors: 0 });
  });
});

describe('supervision: restart budget', () => {
  it('escalates once the budget is spent when the supervisor has a parent', async () => {
    const { system, failures } = harness();
    const toParent = recorder<ActorFailure>();
    const parent = system.createSupervisor({ name: 'parent', onEscalate: toParent.push });
    const child = system.createSupervisor({
      name: 'child',
      parent,
      restartBudget: { maxRestarts: 3, windowMs: 1000 },
    });
    system.spawn({ id: 'storm', behavior: picky(recorder<string>()), supervisor: child });
    for (let i = 0; i < 6; i++) system.send('storm', `bad-${i}`);
    await toParent.when(1);
    expect(failures.items.map((f) => f.outcome)).toEqual([
      'restarted',
      'restarted',
      'restarted',
      'escalated',
    ]);
    expect(toParent.items[0]).toMatchObject({ actorId: 'storm', budgetExhausted: true });
    expect(system.count()).toBe(0);
  });

  it('terminates once the budget is spent when the supervisor has no parent', async () => {
    const { system, failures, escalated } = harness({ restartBudget: { maxRestarts: 2, windowMs: 1000 } });
    system.spawn({ id: 'storm', behavior: picky(recorder<string>()) });
    for (let i = 0; i < 5; i++) system.send('storm', `bad-${i}`);
    await failures.when(3);
    expect(failures.items.map((f) => [f.outcome, f.budgetExhausted])).toEqual([
      ['restarted', false],
      ['restarted', false],
      ['terminated', true],
    ]);
    expect(escalated.items).toEqual([]);
    expect(system.count()).toBe(0);
  });

  it('counts only restarts inside the window', async () => {
    const { clock, system, failures } = harness({ restartBudget: { maxRestarts: 2, windowMs: 1000 } });
    system.spawn({ id: 'w', behavior: picky(recorder<string>()) });
    system.send('w', 'bad-1');
    system.send('w', 'bad-2');
    await failures.when(2);
    await clock.advance(1000);
    system.send('w', 'bad-3');
    await failures.when(3);
    expect(failures.items.map((f) => f.outcome)).toEqual(['restarted', 'restarted', 'restarted']);
    system.send('w', 'bad-4');
    system.send('w', 'bad-5');
    await failures.when(5);
    expect(failures.items.map((f) => f.outcome).slice(3)).toEqual(['restarted', 'terminated']);
  });

  it('rejects nonsense supervision options and foreign supervisors', () => {
    const { system } = harness();
    const other = createActorSystem();
    expect(() => system.createSupervisor({ name: '' })).toThrow(
      expect.objectContaining({ code: 'ASTRA_CONFIG_INVALID' }),
    );
    expect(() => system.createSupervisor({ name: 's', backoff: { initialMs: 100, maxMs: 50 } })).toThrow(
      /backoff.maxMs/,
    );
    expect(() => createActorSystem({ restartBudget: { maxRestarts: -1, windowMs: 10 } })).toThrow(
      /maxRestarts/,
    );
    let error: unknown;
    try {
      system.spawn({ id: 'x', behavior: { handler: () => undefined }, supervisor: other.defaultSupervisor });
    } catch (caught) {
      error = caught;
    }
    expect(isAstraError(error, 'ASTRA_VALIDATION_FAILED')).toBe(true);
  });
});
