import type { Clock } from '../../time/clock.js';
import type { ResolvedActorSystemOptions } from './options.js';
import { Scheduler } from './scheduler.js';
import type { ActorFailure, ActorStats, ActorSystem, DropReason } from './types.js';

/** The counters behind `stats()`; `actors` is the registry's size, read when asked. */
export type ActorCounters = { -readonly [K in keyof Omit<ActorStats, 'actors'>]: number };

/**
 * What every actor and supervisor of one system shares: options, clock, scheduler, counters and the
 * hooks. Hooks are called through here so that a throwing hook never breaks an actor.
 */
export class ActorRuntime {
  readonly options: ResolvedActorSystemOptions;
  readonly clock: Clock;
  readonly scheduler = new Scheduler();
  readonly system: ActorSystem;
  readonly counters: ActorCounters = {
    active: 0,
    spawned: 0,
    stopped: 0,
    processed: 0,
    failures: 0,
    restarts: 0,
    escalations: 0,
    terminations: 0,
    dropped: 0,
    rejected: 0,
  };
  /** Frees the id once its actor has stopped; given by the registry, which owns the map. */
  readonly unregister: (id: string, actor: object) => void;

  constructor(
    options: ResolvedActorSystemOptions,
    system: ActorSystem,
    unregister: (id: string, actor: object) => void,
  ) {
    this.options = options;
    this.clock = options.clock;
    this.system = system;
    this.unregister = unregister;
  }

  dropped(actorId: string, message: unknown, reason: DropReason, error?: unknown): void {
    this.counters.dropped++;
    const { onDropped } = this.options;
    guard(() =>
      onDropped(reason === 'failed' ? { actorId, message, reason, error } : { actorId, message, reason }),
    );
  }

  failed(failure: ActorFailure): void {
    const { onFailure } = this.options;
    guard(() => onFailure(failure));
  }

  escalatedToRoot(failure: ActorFailure): void {
    const { onEscalate } = this.options;
    guard(() => onEscalate(failure));
  }
}

/** Runs a hook; hooks must not throw, and if one does, the actor's guarantees matter more than the hook. */
export function guard(hook: () => void): void {
  try {
    hook();
  } catch {
    // Deliberately ignored; see above.
  }
}
