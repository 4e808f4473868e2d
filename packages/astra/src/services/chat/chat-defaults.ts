/**
 * The chat service's defaults, in one place (settings: ASTRA_CHAT_*, docs/configuration.md). The
 * three limits are upstream's (CHAT_RATE_LIMIT, CHAT_TOKEN_CAP, CHAT_MAX_MSG_LENGTH).
 */
export interface ChatSettings {
  /** Turns a session may start per minute (counted in the SQL store, across gateway processes). */
  readonly ratePerMinute: number;
  /** Tokens (in and out, summaries included) a session may use in all; past it, turns are refused. */
  readonly tokenCap: number;
  /** Characters a user message may hold. */
  readonly maxMessageLength: number;
  /** Messages the model sees verbatim at most; older ones are folded into the session's summary. */
  readonly historyMessages: number;
  /** Tokens the verbatim history may take; the oldest messages beyond it are summarized too. */
  readonly historyTokens: number;
  /** Model calls one turn may make (each tool round is one); the turn ends after the last. */
  readonly maxSteps: number;
  /** Tokens the agent's system prompt and documents may take. */
  readonly contextTokens: number;
  /** How often a tool call's task is read while the chat waits for it. */
  readonly toolPollMs: number;
}

export const CHAT_DEFAULTS: ChatSettings = {
  ratePerMinute: 30,
  tokenCap: 100_000,
  maxMessageLength: 65_536,
  historyMessages: 20,
  historyTokens: 6_000,
  maxSteps: 8,
  contextTokens: 2_000,
  toolPollMs: 100,
};
