import type { SandboxLimits, SandboxOutcome, SandboxRequest } from '../../ports/sandbox.js';
import { notRun } from './outcome.js';

/**
 * The run and close lifecycle every driver shares: a run after `close` resolves
 * ASTRA_SANDBOX_UNAVAILABLE without starting; `close` refuses new runs, waits for those in flight,
 * then releases what the driver keeps (a warm pool).
 */
export class RunLifecycle {
  readonly #defaults: SandboxLimits;
  readonly #execute: (request: SandboxRequest, signal: AbortSignal | undefined) => Promise<SandboxOutcome>;
  readonly #running = new Set<Promise<SandboxOutcome>>();
  #closed = false;

  constructor(
    defaults: SandboxLimits,
    execute: (request: SandboxRequest, signal: AbortSignal | undefined) => Promise<SandboxOutcome>,
  ) {
    this.#defaults = defaults;
    this.#execute = execute;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The outcome a run gets once the driver is closed. */
  closedOutcome(limits: SandboxLimits = this.#defaults): SandboxOutcome {
    return notRun('ASTRA_SANDBOX_UNAVAILABLE', { ...limits }, 'The driver is closed.');
  }

  readonly run = async (request: SandboxRequest, signal?: AbortSignal): Promise<SandboxOutcome> => {
    if (this.#closed) return this.closedOutcome();
    const outcome = this.#execute(request, signal);
    this.#running.add(outcome);
    try {
      return await outcome;
    } finally {
      this.#running.delete(outcome);
    }
  };

  /** Refuses new runs and waits for those in flight; then `release`. */
  async close(release?: () => Promise<void>): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#running]);
    await release?.();
  }
}
