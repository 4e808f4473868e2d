import type { LlmToolSpec } from '../../ports/llm.js';
import type { JsonValue } from '../../ports/sql-rows.js';
import type { Principal } from '../identity/index.js';

/**
 * How a chat reaches the tool runtime (the composition root implements it, app/chat-tools.ts): the
 * tools the agent's model is offered, and one call of one of them run exactly as a tool task of the
 * agent runs (allow-list, Cedar `tool.call` policies, approvals, sandboxes, the effect ledger).
 */
export interface ChatToolOffer {
  /** What the model sees (a name providers accept: letters, digits, `_` and `-`). */
  readonly spec: LlmToolSpec;
  /** The registered tool it calls (`name@version`). */
  readonly tool: string;
}

export interface ChatToolRun {
  readonly principal: Principal;
  readonly agentId: string;
  readonly sessionId: string;
  readonly tool: string;
  readonly input: Record<string, unknown>;
  /** Aborted when the turn is cancelled: the call stops waiting and its task is cancelled. */
  readonly signal: AbortSignal;
  /** Called once when the call waits for people's approval (null: asked once its task runs). */
  readonly onWaiting: (wait: {
    readonly approvalId: string | null;
    readonly taskId: string | null;
    readonly goalId: string;
  }) => void;
}

export type ChatToolOutcome =
  | { readonly ok: true; readonly result: JsonValue; readonly taskId: string | null; readonly goalId: string }
  | {
      readonly ok: false;
      readonly error: { readonly code: string; readonly message: string };
      readonly taskId: string | null;
      readonly goalId: string | null;
    };

export interface ChatTools {
  offers(agentId: string): Promise<readonly ChatToolOffer[]>;
  run(call: ChatToolRun): Promise<ChatToolOutcome>;
}
