/**
 * Interceptors: how cross-cutting concerns (policy, ledger, limits, audit, tracing) wrap the
 * kernel's calls without edits to its code.
 *
 * An interceptor gets the call's input and `next`, the rest of the chain; it may change the input
 * it passes on, change or replace the output, answer without calling `next` (short-circuit: a
 * refusal, a cached answer), or throw. An error from further in (a handler, the engine, a later
 * interceptor) rejects the promise `next` returned, so an interceptor may catch it, translate it
 * or let it through. Chains are fixed at composition; the first interceptor of a list is the
 * outermost (it sees the call first and the outcome last).
 */
export type Next<I, O> = (input: I) => Promise<O>;

export type Interceptor<I, O> = (input: I, next: Next<I, O>) => Promise<O>;

/** `last` wrapped by the interceptors, the first outermost; no interceptors: `last` itself. */
export function chain<I, O>(interceptors: readonly Interceptor<I, O>[], last: Next<I, O>): Next<I, O> {
  return interceptors.reduceRight<Next<I, O>>(
    (next, interceptor) => (input) => interceptor(input, next),
    last,
  );
}
