import type { ErrorCode } from '../../errors/index.js';
import { TaskError } from '../../kernel/index.js';

/**
 * How an LLM task ends when it cannot finish: the task's `error` is the JSON text `{"code",
 * "message", "details"}`, as a tool task's is (tools/tool-errors.ts), with the router's code
 * (ASTRA_LLM_*, docs/errors.md) or the task's own. Retried by the kernel when the code is
 * retryable in the registry (ASTRA_LLM_UNAVAILABLE, ASTRA_LLM_RATE_LIMITED, ASTRA_LLM_OUTPUT_INVALID),
 * never otherwise (ASTRA_LLM_BUDGET_EXCEEDED, ASTRA_LLM_REQUEST_INVALID: the same call would fail
 * the same way).
 */
export class LlmTaskError extends TaskError {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    details: Readonly<Record<string, unknown>>,
    options: { readonly retryable: boolean },
  ) {
    super(JSON.stringify({ code, message, details }), { retryable: options.retryable });
    this.name = 'LlmTaskError';
    this.code = code;
    this.details = details;
  }
}
