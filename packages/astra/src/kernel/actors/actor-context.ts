import type { ActorContext, ActorSystem } from './types.js';

/** The part of an actor a context reads and writes. */
export interface StateHolder {
  readonly id: string;
  state: unknown;
}

/**
 * The `ctx` a handler receives. Made once per busy spell (not per message, and never for an idle
 * actor); it reads and writes the actor's state, so a handler that keeps it sees later states too.
 */
export class HandlerContext implements ActorContext<unknown> {
  readonly #holder: StateHolder;
  readonly system: ActorSystem;

  constructor(holder: StateHolder, system: ActorSystem) {
    this.#holder = holder;
    this.system = system;
  }

  get id(): string {
    return this.#holder.id;
  }

  get state(): unknown {
    return this.#holder.state;
  }

  set state(value: unknown) {
    this.#holder.state = value;
  }
}
