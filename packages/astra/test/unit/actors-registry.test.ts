import { describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import {
  type ActorBehavior,
  type ActorFailure,
  createActorSystem,
  type DroppedMessage,
} from '../../src/kernel/actors/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { type Deferred, deferred, recorder } from '../support/waiting.js';

/** The code of the AstraError a call throws. */
function codeOf(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    if (isAstraError(error)) return error.code;
    throw error;
  }
  throw new Error('expected a throw');
}

const noop: ActorBehavior<unknown> = { handler: () => undefined };

/** A behavior whose handler parks on a gate for messages named "hold"; `started` sees every message. */
function gated(): {
  behavior: ActorBehavior<string>;
  gate: Deferred;
  started: ReturnType<typeof recorder<string>>;
} {
  const gate = deferred();
  const started = recorder<string>();
  return {
    gate,
    started,
    behavior: {
      handler: async (message) => {
        started.push(message);
        if (message === 'hold') await gate.promise;
      },
    },
  };
}

describe('actor registry', () => {
  it('spawns, looks up, lists and counts actors by id', () => {
    const system = createActorSystem();
    const ref = system.spawn({ id: 'a', behavior: noop });
    system.spawn({ id: 'b', behavior: noop });
    expect(ref.id).toBe('a');
    expect(system.lookup('a')?.id).toBe('a');
    expect(system.lookup('missing')).toBeUndefined();
    expect(system.list().sort()).toEqual(['a', 'b']);
    expect(system.count()).toBe(2);
    expect(system.inspect('b')).toEqual({ id: 'b', status: 'idle', queued: 0, supervisor: 'default' });
    expect(system.stats()).toMatchObject({ actors: 2, spawned: 2, active: 0 });
  });

  it('refuses a taken id, an empty id, a behavior without handler, and unknown targets', () => {
    const system = createActorSystem();
    system.spawn({ id: 'a', behavior: noop });
    expect(codeOf(() => system.spawn({ id: 'a', behavior: noop }))).toBe('ASTRA_ACTOR_ALREADY_EXISTS');
    expect(codeOf(() => system.spawn({ id: '', behavior: noop }))).toBe('ASTRA_VALIDATION_FAILED');
    const broken = { handler: 'nope' } as unknown as ActorBehavior<unknown>;
    expect(codeOf(() => system.spawn({ id: 'c', behavior: broken }))).toBe('ASTRA_VALIDATION_FAILED');
    const oversized: ActorBehavior<unknown> = { handler: () => undefined, mailboxCapacity: 0 };
    expect(codeOf(() => system.spawn({ id: 'd', behavior: oversized }))).toBe('ASTRA_VALIDATION_FAILED');
    expect(codeOf(() => system.send('nobody', 1))).toBe('ASTRA_ACTOR_NOT_FOUND');
    expect(codeOf(() => system.snapshot('nobody'))).toBe('ASTRA_ACTOR_NOT_FOUND');
    expect(codeOf(() => createActorSystem({ mailboxCapacity: 0 }))).toBe('ASTRA_CONFIG_INVALID');
  });
});

describe('stopping actors', () => {
  it('stops an idle actor at once and frees its id', async () => {
    const system = createActorSystem();
    const ref = system.spawn({ id: 'a', behavior: noop });
    await ref.stop();
    expect(system.count()).toBe(0);
    expect(codeOf(() => ref.send(1))).toBe('ASTRA_ACTOR_NOT_FOUND');
    await system.stop('a');
    system.spawn({ id: 'a', behavior: noop });
    expect(system.count()).toBe(1);
  });

  it('lets the current message finish, drops the queued ones, and resolves after', async () => {
    const dropped = recorder<DroppedMessage>();
    const system = createActorSystem({ onDropped: dropped.push });
    const { behavior, gate, started } = gated();
    const finished: string[] = [];
    const ref = system.spawn<string, undefined>({
      id: 'busy',
      behavior: {
        handler: async (message, ctx) => {
          await behavior.handler(message, ctx);
          finished.push(message);
        },
      },
    });
    for (const m of ['hold', 'q1', 'q2']) ref.send(m);
    await started.when(1);
    let stopped = false;
    const stopping = system.stop('busy').then(() => {
      stopped = true;
    });
    // While stopping, the id is held but the actor takes nothing and cannot be found.
    expect(system.inspect('busy')?.status).toBe('stopping');
    expect(system.lookup('busy')).toBeUndefined();
    expect(codeOf(() => system.send('busy', 'late'))).toBe('ASTRA_ACTOR_NOT_FOUND');
    expect(codeOf(() => system.spawn({ id: 'busy', behavior: noop }))).toBe('ASTRA_ACTOR_ALREADY_EXISTS');
    await Promise.resolve();
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;
    expect(finished).toEqual(['hold']);
    expect(dropped.items.map((d) => [d.message, d.reason])).toEqual([
      ['q1', 'stopped'],
      ['q2', 'stopped'],
    ]);
    expect(system.count()).toBe(0);
    // A new incarnation under the same id is not reachable through the old ref.
    system.spawn({ id: 'busy', behavior: noop });
    expect(codeOf(() => ref.send('x'))).toBe('ASTRA_ACTOR_NOT_FOUND');
    expect(system.stats()).toMatchObject({ stopped: 1, dropped: 2, active: 0 });
  });

  it('a stop requested from inside the handler takes effect after that message', async () => {
    const dropped = recorder<DroppedMessage>();
    const system = createActorSystem({ onDropped: dropped.push });
    const handled: string[] = [];
    system.spawn<string, undefined>({
      id: 'quitter',
      behavior: {
        handler: (message, ctx) => {
          handled.push(message);
          // Not awaited: the stop completes only after this handler returns.
          if (message === 'quit') void ctx.system.stop(ctx.id);
        },
      },
    });
    for (const m of ['a', 'quit', 'b']) system.send('quitter', m);
    await dropped.when(1);
    expect(handled).toEqual(['a', 'quit']);
    expect(dropped.items[0]).toMatchObject({ message: 'b', reason: 'stopped' });
    expect(system.count()).toBe(0);
  });

  it('a failure after a stop request stops the actor instead of restarting it', async () => {
    const failures = recorder<ActorFailure>();
    const system = createActorSystem({ onFailure: failures.push });
    const gate = deferred();
    const started = deferred();
    system.spawn<string, undefined>({
      id: 'f',
      behavior: {
        handler: async () => {
          started.resolve();
          await gate.promise;
          throw new Error('late failure');
        },
      },
    });
    system.send('f', 'x');
    await started.promise;
    const stopping = system.stop('f');
    gate.resolve();
    await stopping;
    expect(failures.items).toEqual([expect.objectContaining({ outcome: 'stopped', phase: 'handler' })]);
    expect(system.stats()).toMatchObject({ restarts: 0, actors: 0 });
  });

  it('stopping during a backoff cancels the sleep and drops what queued meanwhile', async () => {
    const clock = new ManualClock(0);
    const dropped = recorder<DroppedMessage>();
    const failures = recorder<ActorFailure>();
    const system = createActorSystem({
      clock,
      policy: 'restart-with-backoff',
      onDropped: dropped.push,
      onFailure: failures.push,
    });
    system.spawn<string, undefined>({
      id: 'b',
      behavior: {
        handler: () => {
          throw new Error('no');
        },
      },
    });
    system.send('b', 'first');
    await failures.when(1);
    system.send('b', 'queued');
    expect(clock.pendingSleeps).toBe(1);
    await system.stop('b');
    expect(clock.pendingSleeps).toBe(0);
    expect(dropped.items.map((d) => [d.message, d.reason])).toEqual([
      ['first', 'failed'],
      ['queued', 'stopped'],
    ]);
  });

  it('stopAll stops every actor, waits for running messages, then refuses spawns', async () => {
    const dropped = recorder<DroppedMessage>();
    const system = createActorSystem({ onDropped: dropped.push });
    const { behavior, gate, started } = gated();
    for (let i = 0; i < 100; i++) system.spawn({ id: `idle-${i}`, behavior: noop });
    system.spawn({ id: 'busy', behavior });
    system.send('busy', 'hold');
    system.send('busy', 'after');
    system.spawn({ id: 'queued', behavior });
    await started.when(1);
    // Scheduled but its turn has not come: it stops at once, its message dropped.
    system.send('queued', 'never');
    let done = false;
    const stopping = system.stopAll().then(() => {
      done = true;
    });
    expect(system.count()).toBe(1);
    await Promise.resolve();
    expect(done).toBe(false);
    gate.resolve();
    await stopping;
    expect(system.count()).toBe(0);
    expect(dropped.items.map((d) => d.message).sort()).toEqual(['after', 'never']);
    expect(codeOf(() => system.spawn({ id: 'late', behavior: noop }))).toBe('ASTRA_SHUTTING_DOWN');
    expect(system.stats()).toMatchObject({ spawned: 102, stopped: 102, actors: 0, active: 0 });
  });
});

describe('stats', () => {
  it('counts actors, messages, failures, restarts and drops', async () => {
    const failures = recorder<ActorFailure>();
    const system = createActorSystem({ onFailure: failures.push });
    const handled = recorder<number>();
    system.spawn<number, undefined>({
      id: 'n',
      behavior: {
        handler: (n) => {
          if (n % 10 === 0) throw new Error(`no ${n}`);
          handled.push(n);
        },
      },
    });
    for (let n = 1; n <= 25; n++) system.send('n', n);
    await handled.when(23);
    await failures.when(2);
    expect(system.stats()).toEqual({
      actors: 1,
      active: 0,
      spawned: 1,
      stopped: 0,
      processed: 23,
      failures: 2,
      restarts: 2,
      escalations: 0,
      terminations: 0,
      dropped: 2,
      rejected: 0,
    });
  });
});
