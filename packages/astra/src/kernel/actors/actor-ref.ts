import type { ActorCell } from './actor-cell.js';
import type { ActorRef } from './types.js';

/**
 * A handle on one incarnation of an actor. It points at the actor itself, so sending through it
 * skips the registry lookup, and a ref kept past a stop fails (ASTRA_ACTOR_NOT_FOUND) instead of
 * reaching a new actor spawned later under the same id. Refs are made on spawn and lookup only;
 * the registry keeps none, so they cost nothing while idle.
 */
export class CellRef<M> implements ActorRef<M> {
  readonly #cell: ActorCell;

  constructor(cell: ActorCell) {
    this.#cell = cell;
  }

  get id(): string {
    return this.#cell.id;
  }

  send(message: M): void {
    this.#cell.send(message);
  }

  stop(): Promise<void> {
    return this.#cell.requestStop() ?? Promise.resolve();
  }
}
