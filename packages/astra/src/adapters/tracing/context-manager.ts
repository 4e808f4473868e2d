import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, type ContextManager, context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/**
 * The active OpenTelemetry context carried along async calls: one AsyncLocalStorage store holding
 * the context a `with` call made active. Spans become parents of the spans and log lines made
 * inside them, across awaits, timers and callbacks.
 *
 * The context manager is process-wide by nature (async continuity is the process's), unlike the
 * tracer providers, which are one per node: registered once by the first node that traces and
 * kept for the process's life (a context manager a host registered first is used as it is). The
 * W3C trace-context propagator is registered alike: HTTP requests carrying a `traceparent` header
 * continue the caller's trace.
 */
class AsyncContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    active: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(active, () => fn.apply(thisArg, args));
  }

  /** Functions are bound to `active`; anything else (event emitters included) is returned as it is. */
  bind<T>(active: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const manager = this;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    return function bound(this: unknown, ...args: unknown[]) {
      return manager.with(active, () => fn.apply(this, args));
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.#storage.disable();
    return this;
  }
}

let registered = false;

/** Registers the async context manager and the propagator unless some are already; idempotent. */
export function ensureContextManager(): void {
  if (registered) return;
  registered = true;
  context.setGlobalContextManager(new AsyncContextManager());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}
