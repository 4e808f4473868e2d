import { AstraError } from '../../errors/index.js';
import { ActorCell } from './actor-cell.js';
import { actorNotFound } from './actor-errors.js';
import { CellRef } from './actor-ref.js';
import { checkBehavior, checkSupervision, resolveActorSystemOptions } from './options.js';
import { ActorRuntime } from './runtime.js';
import { SupervisorNode } from './supervisor.js';
import type {
  ActorInfo,
  ActorRef,
  ActorStats,
  ActorSystem,
  ActorSystemOptions,
  AnyBehavior,
  SpawnOptions,
  Supervisor,
  SupervisorOptions,
} from './types.js';

/** Builds an actor system: a registry, one scheduler and a default supervisor. It starts nothing until a spawn. */
export function createActorSystem(options: ActorSystemOptions = {}): ActorSystem {
  return new LocalActorSystem(options);
}

/**
 * The registry of one process's actors, by id.
 *
 * An id belongs to one actor from its spawn until it has fully stopped, including the time a
 * stopping actor spends finishing its current message; a spawn that reuses the id meanwhile fails
 * (ASTRA_ACTOR_ALREADY_EXISTS), so two incarnations never run side by side. Sends and lookups treat
 * a stopping actor as gone. `stopAll` closes the system for good: spawns fail with
 * ASTRA_SHUTTING_DOWN from then on.
 */
class LocalActorSystem implements ActorSystem {
  readonly defaultSupervisor: SupervisorNode;
  readonly #registry = new Map<string, ActorCell>();
  readonly #runtime: ActorRuntime;
  #closed = false;

  constructor(options: ActorSystemOptions) {
    const resolved = resolveActorSystemOptions(options);
    this.#runtime = new ActorRuntime(resolved, this, (id, actor) => {
      if (this.#registry.get(id) === actor) this.#registry.delete(id);
    });
    this.defaultSupervisor = new SupervisorNode(this.#runtime, {
      name: 'default',
      parent: undefined,
      supervision: resolved,
      onEscalate: undefined,
    });
  }

  spawn<M, S>(options: SpawnOptions<M, S>): ActorRef<M> {
    const { id, behavior } = options;
    if (this.#closed) {
      throw new AstraError('ASTRA_SHUTTING_DOWN', 'The actor system is stopping; it spawns nothing more.', {
        details: { actorId: id },
      });
    }
    checkBehavior(id, behavior as unknown as AnyBehavior);
    if (this.#registry.has(id)) {
      throw new AstraError('ASTRA_ACTOR_ALREADY_EXISTS', `An actor with id "${id}" is live or stopping.`, {
        details: { actorId: id },
      });
    }
    const supervisor = this.#own(options.supervisor ?? this.defaultSupervisor);
    const cell = new ActorCell(id, behavior as unknown as AnyBehavior, supervisor);
    this.#registry.set(id, cell);
    this.#runtime.counters.spawned++;
    cell.start();
    return new CellRef<M>(cell);
  }

  lookup<M = unknown>(id: string): ActorRef<M> | undefined {
    const cell = this.#live(id);
    return cell === undefined ? undefined : new CellRef<M>(cell);
  }

  send(id: string, message: unknown): void {
    const cell = this.#live(id);
    if (cell === undefined) throw actorNotFound(id);
    cell.send(message);
  }

  stop(id: string): Promise<void> {
    return this.#registry.get(id)?.requestStop() ?? Promise.resolve();
  }

  async stopAll(): Promise<void> {
    this.#closed = true;
    const pending: Promise<void>[] = [];
    // A copy, because actors leave the registry as they stop.
    for (const cell of [...this.#registry.values()]) {
      const stopping = cell.requestStop();
      if (stopping !== undefined) pending.push(stopping);
    }
    await Promise.all(pending);
  }

  list(): string[] {
    return [...this.#registry.keys()];
  }

  count(): number {
    return this.#registry.size;
  }

  inspect(id: string): ActorInfo | undefined {
    return this.#registry.get(id)?.info();
  }

  snapshot(id: string): unknown {
    const cell = this.#live(id);
    if (cell === undefined) throw actorNotFound(id);
    return cell.behavior.snapshot?.(cell.state, id);
  }

  createSupervisor(options: SupervisorOptions): Supervisor {
    const { options: defaults } = this.#runtime;
    const supervision = {
      policy: options.policy ?? defaults.policy,
      restartBudget: options.restartBudget ?? defaults.restartBudget,
      backoff: options.backoff ?? defaults.backoff,
    };
    checkSupervision(options.name, supervision);
    return new SupervisorNode(this.#runtime, {
      name: options.name,
      parent: options.parent === undefined ? undefined : this.#own(options.parent),
      supervision,
      onEscalate: options.onEscalate,
    });
  }

  stats(): ActorStats {
    return { actors: this.#registry.size, ...this.#runtime.counters };
  }

  #live(id: string): ActorCell | undefined {
    const cell = this.#registry.get(id);
    return cell === undefined || cell.status === 'stopping' ? undefined : cell;
  }

  /** Supervisors are this system's own objects; one from elsewhere would report to the wrong hooks. */
  #own(supervisor: Supervisor): SupervisorNode {
    if (supervisor instanceof SupervisorNode && supervisor.runtime === this.#runtime) return supervisor;
    throw new AstraError(
      'ASTRA_VALIDATION_FAILED',
      `Supervisor "${supervisor.name}" belongs to another system.`,
    );
  }
}
