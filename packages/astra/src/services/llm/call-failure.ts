import { AstraError } from '../../errors/index.js';
import type { LlmUsage } from '../../ports/llm.js';

/**
 * How a call that got no answer ends, from the record of its attempts. `outcome` is `ok`, a
 * provider error kind (`rate_limited`, `server`, `network`, `timeout`, `auth`, `context_length`,
 * `unsupported`, …), `limited` (the router's own rate limits refused it before sending) or
 * `circuit_open` (skipped: the provider's breaker is open).
 *
 * - every attempt rate-limited (429 or `limited`): ASTRA_LLM_RATE_LIMITED, `retryAfterMs` the
 *   soonest any of them named;
 * - every attempt refused the credentials: ASTRA_LLM_AUTH_FAILED;
 * - every attempt over the model's context length: ASTRA_LLM_REQUEST_INVALID;
 * - otherwise ASTRA_LLM_UNAVAILABLE (circuits open, 5xx, network, …).
 * Details always carry `attempts` (a JSON array of {model, outcome}) and the tokens the failed
 * attempts used (already settled through the attempt interceptors).
 */
export interface AttemptRecord {
  readonly model: string;
  readonly outcome: string;
  readonly usage: LlmUsage;
  readonly retryAfterMs: number | null;
  readonly latencyMs: number;
}

const RATE_LIMITED = new Set(['rate_limited', 'limited']);

export function callFailure(records: readonly AttemptRecord[], fallbackRetryAfterMs: number): AstraError {
  const details = failureDetails(records);
  const all = (test: (outcome: string) => boolean): boolean =>
    records.length > 0 && records.every((record) => test(record.outcome));
  if (all((outcome) => RATE_LIMITED.has(outcome))) {
    const named = records.flatMap((record) => (record.retryAfterMs === null ? [] : [record.retryAfterMs]));
    const retryAfterMs = named.length === 0 ? fallbackRetryAfterMs : Math.min(...named);
    return new AstraError(
      'ASTRA_LLM_RATE_LIMITED',
      `every model the call could use is rate-limited; retry in ${retryAfterMs} ms`,
      { details: { ...details, retryAfterMs } },
    );
  }
  if (all((outcome) => outcome === 'auth'))
    return new AstraError('ASTRA_LLM_AUTH_FAILED', undefined, { details });
  if (all((outcome) => outcome === 'context_length'))
    return new AstraError(
      'ASTRA_LLM_REQUEST_INVALID',
      "the request is over every candidate model's context length",
      { details: { ...details, reason: 'context_length' } },
    );
  const open = records.filter((record) => record.outcome === 'circuit_open');
  const retryAfter =
    open.length === records.length && open.length > 0
      ? { retryAfterMs: Math.min(...open.map((record) => record.retryAfterMs ?? fallbackRetryAfterMs)) }
      : {};
  return new AstraError(
    'ASTRA_LLM_UNAVAILABLE',
    `no model answered: ${records.map((record) => `${record.model} ${record.outcome}`).join(', ')}`,
    { details: { ...details, ...retryAfter } },
  );
}

export function failureDetails(records: readonly AttemptRecord[]): {
  attempts: string;
  inputTokens: number;
  outputTokens: number;
} {
  return {
    attempts: JSON.stringify(records.map((record) => ({ model: record.model, outcome: record.outcome }))),
    inputTokens: records.reduce((sum, record) => sum + record.usage.inputTokens, 0),
    outputTokens: records.reduce((sum, record) => sum + record.usage.outputTokens, 0),
  };
}
