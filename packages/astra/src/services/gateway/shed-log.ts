import type { ErrorCode } from '../../errors/index.js';
import type { Logger } from '../../log/logger.js';
import type { Clock } from '../../time/clock.js';

/**
 * Refusals a node makes on purpose (an overloaded node shedding submissions, an open circuit
 * breaker, an agent in drain mode) are expected behaviour, not failures: they are logged at warn,
 * without a stack, once per burst and code. A burst's first refusal is logged at once; the others
 * within `burstMs` of that line are counted, and the next line (the first refusal after it) says
 * how many there were (`refusedSince`).
 */
export const SHED_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ASTRA_OVERLOADED',
  'ASTRA_CIRCUIT_OPEN',
  'ASTRA_AGENT_DRAINING',
]);

export const SHED_LOG_DEFAULTS = { burstMs: 10_000 } as const;

export type ShedLog = (
  code: string,
  fields: { readonly reqId: string; readonly retryAfterMs?: unknown },
) => void;

export function shedLog(logger: Logger, clock: Clock, burstMs: number = SHED_LOG_DEFAULTS.burstMs): ShedLog {
  const bursts = new Map<string, { loggedAt: number; since: number }>();
  return (code, fields) => {
    const now = clock.now();
    const burst = bursts.get(code);
    if (burst !== undefined && now - burst.loggedAt < burstMs) {
      burst.since++;
      return;
    }
    bursts.set(code, { loggedAt: now, since: 0 });
    logger.warn(
      { code, reqId: fields.reqId, retryAfterMs: fields.retryAfterMs, refusedSince: burst?.since ?? 0 },
      'request refused to shed load',
    );
  };
}
