import type { JsonValue } from '../../ports/sql-rows.js';

/**
 * What a chat turn tells its client, over the WebSocket (one JSON text message per frame) and over
 * SSE (`data:` lines). Upstream's frame types and fields, with what upstream lacked:
 *
 * - `session` once a WebSocket is open; `message_start` when the assistant's message begins;
 *   `chunk` for each piece of text the provider streams; `tool_call` when the model asks for a tool;
 *   `tool_result` with `done: false` and `status: "waiting_approval"` (and the approval's id) while
 *   the call waits for people, then with `done: true` and the result or the error;
 *   `message_end` with the message's usage (also for a cancelled or failed turn); `done` when the
 *   turn is over; `error` with a stable code; `pong` for a `ping`.
 */
export interface ChatUsage {
  readonly tokens_in: number;
  readonly tokens_out: number;
  /** True when the provider reported nothing (a stream cut short): Astra's own count. */
  readonly estimated: boolean;
}

export type ChatFrame =
  | {
      readonly type: 'session';
      readonly session_id: string;
      readonly agent_id: string;
      readonly title: string;
      readonly status: string;
    }
  | { readonly type: 'message_start'; readonly message_id: string; readonly session_id: string }
  | { readonly type: 'chunk'; readonly message_id: string; readonly content: string }
  | {
      readonly type: 'tool_call';
      readonly message_id: string;
      readonly call_id: string;
      readonly name: string;
      readonly arguments: string;
    }
  | {
      readonly type: 'tool_result';
      readonly message_id: string;
      readonly call_id: string;
      readonly done: boolean;
      readonly status: 'waiting_approval' | 'completed' | 'failed';
      readonly result?: JsonValue;
      readonly error?: { readonly code: string; readonly message: string };
      readonly approval_id?: string | null;
      readonly task_id?: string | null;
      readonly goal_id?: string | null;
    }
  | {
      readonly type: 'message_end';
      readonly message_id: string;
      readonly status: 'complete' | 'cancelled' | 'failed';
      readonly usage: ChatUsage;
      readonly model: string | null;
    }
  | { readonly type: 'done'; readonly message_id: string | null }
  | {
      readonly type: 'error';
      /** A stable code from the registry (docs/errors.md). */
      readonly code: string;
      /** Upstream's short code for the same failure (`rate_limited`, `token_limit`…). */
      readonly upstream_code: string;
      readonly message: string;
      readonly details?: Readonly<Record<string, JsonValue>>;
    }
  | { readonly type: 'pong' };

/** Upstream's error code for each of Astra's, for clients written against upstream. */
export function upstreamCodeOf(code: string): string {
  switch (code) {
    case 'ASTRA_VALIDATION_FAILED':
    case 'ASTRA_CHAT_MESSAGE_TOO_LONG':
    case 'ASTRA_CHAT_SESSION_CLOSED':
    case 'ASTRA_CHAT_TURN_IN_PROGRESS':
    case 'ASTRA_CHAT_NOT_CAPABLE':
      return 'invalid_request';
    case 'ASTRA_UNAUTHENTICATED':
      return 'auth_failed';
    case 'ASTRA_NOT_FOUND':
      return 'not_found';
    case 'ASTRA_FORBIDDEN':
      return 'forbidden';
    case 'ASTRA_CHAT_RATE_LIMITED':
      return 'rate_limited';
    case 'ASTRA_CHAT_TOKEN_CAP':
    case 'ASTRA_LLM_BUDGET_EXCEEDED':
      return 'token_limit';
    default:
      return code.startsWith('ASTRA_LLM_') ? 'llm_error' : 'internal_error';
  }
}
