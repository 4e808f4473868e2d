import { readAwaitingReplans } from '../../kernel/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { PLANNER_DEFAULTS } from './planner-defaults.js';
import type { Replanner, ReplanOutcome } from './replan.js';

/**
 * The sweep for dead letters still waiting for a re-plan (readAwaitingReplans, oldest first):
 * those whose `deadLettered` report was lost with its process (the waiting state is in the task
 * row), and those a transient error left waiting. Each is re-planned in turn through the
 * re-planner, which joins a re-plan of it already under way in this process; one under way in
 * another process is settled by the kernel (the second patch is refused, docs/plans.md).
 *
 * startReplanSweeps runs one sweep at once (a node's start) and then one every `everyMs` on the
 * injected clock; the node that runs the scheduler role runs it (app/node.ts). A failed sweep is
 * reported and the next one runs on time.
 */
export async function sweepAwaitingReplans(
  deps: { readonly store: SqlExecutor; readonly replanner: Pick<Replanner, 'replan'> },
  options: { readonly limit?: number } = {},
): Promise<ReplanOutcome[]> {
  const waiting = await readAwaitingReplans(deps.store, {
    limit: options.limit ?? PLANNER_DEFAULTS.replanSweepLimit,
  });
  const outcomes: ReplanOutcome[] = [];
  for (const dead of waiting) outcomes.push(await deps.replanner.replan(dead));
  return outcomes;
}

export interface ReplanSweeps {
  stop(): Promise<void>;
}

export function startReplanSweeps(
  deps: {
    readonly store: SqlExecutor;
    readonly replanner: Pick<Replanner, 'replan'>;
    readonly clock: Clock;
  },
  options: {
    /** Default PLANNER_DEFAULTS.replanSweepMs. */
    readonly everyMs?: number;
    readonly limit?: number;
    readonly onSwept?: (outcomes: readonly ReplanOutcome[]) => void;
    readonly onError: (error: unknown, context: string) => void;
  },
): ReplanSweeps {
  const everyMs = options.everyMs ?? PLANNER_DEFAULTS.replanSweepMs;
  const stopping = new AbortController();
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        const outcomes = await sweepAwaitingReplans(
          deps,
          options.limit === undefined ? {} : { limit: options.limit },
        );
        options.onSwept?.(outcomes);
      } catch (error) {
        if (!stopping.signal.aborted) options.onError(error, 're-plan sweep failed');
      }
      try {
        await deps.clock.sleep(everyMs, stopping.signal);
      } catch {
        return; // stopped while waiting
      }
    }
  })();
  return {
    stop: async () => {
      stopping.abort();
      await loop;
    },
  };
}
