import type { ErrorCode } from '../../errors/index.js';
import { TaskError } from '../../kernel/index.js';

/**
 * A tool call that could not run or failed, as the task records it: the task's `error` is the JSON
 * text `{"code", "message", "details"}` — a stable code (docs/errors.md), a sentence and the
 * specifics (the schema issues with their JSON Pointers, the path refused, the tool named) — so a
 * person reads it and a model can act on it. Not retried (the same call would fail the same way),
 * unless the error says it may pass later (`retryable`: a tool's server could not be reached).
 */
export type ToolErrorCode = Extract<ErrorCode, `ASTRA_TOOL_${string}`>;

export class ToolCallError extends TaskError {
  readonly code: ToolErrorCode;
  readonly details: Record<string, unknown>;

  constructor(
    code: ToolErrorCode,
    message: string,
    details: Record<string, unknown> = {},
    options: { readonly retryable?: boolean } = {},
  ) {
    super(JSON.stringify({ code, message, details }), { retryable: options.retryable ?? false });
    this.name = 'ToolCallError';
    this.code = code;
    this.details = details;
  }
}
