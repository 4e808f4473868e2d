import type { AnyBehavior } from './types.js';

/**
 * Builds an actor's state with its behavior's hooks: before the first message `init`; after a
 * restart `onRestart`, else `init` again, else the state as the failed handler left it (there is
 * nothing to rebuild it from). Returns the state or a promise of it; throws what the hook throws.
 */
export function buildState(
  behavior: AnyBehavior,
  phase: 'init' | 'restart',
  actor: { readonly id: string; readonly state: unknown; readonly error: unknown },
): unknown {
  const { init, onRestart } = behavior;
  if (phase === 'restart' && onRestart !== undefined) {
    return onRestart({ id: actor.id, state: actor.state, error: actor.error });
  }
  return init === undefined ? actor.state : init({ id: actor.id });
}

/** Handlers and hooks may return a value or a promise; a synchronous result is used without a microtask hop. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
