import type { Clock } from '../../time/clock.js';
import type { BudgetLedger } from './budget-ledger.js';
import { COST_DEFAULTS } from './cost-defaults.js';

/**
 * Returns the holds of reservations whose process died, every `everyMs` on the clock (any number
 * of nodes may run it: the sweep takes rows with SKIP LOCKED, each once).
 */
export interface BudgetSweeper {
  stop(): Promise<void>;
}

export function startBudgetSweep(
  ledger: BudgetLedger,
  options: {
    readonly clock: Clock;
    readonly everyMs?: number;
    readonly onError?: (error: unknown) => void;
    /** Told after each pass how many reservations it released. */
    readonly onSwept?: (released: number) => void;
  },
): BudgetSweeper {
  const stop = new AbortController();
  const everyMs = options.everyMs ?? COST_DEFAULTS.sweepEveryMs;
  const loop = (async () => {
    while (!stop.signal.aborted) {
      await ledger
        .sweep()
        .then((released) => options.onSwept?.(released))
        .catch((error: unknown) => options.onError?.(error));
      await options.clock.sleep(everyMs, stop.signal).catch(() => undefined);
    }
  })();
  return {
    stop: async () => {
      stop.abort();
      await loop;
    },
  };
}
