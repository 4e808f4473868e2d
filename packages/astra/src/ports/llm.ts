/**
 * LLM port: what a model provider does (one request, one streamed answer) and what every caller of
 * a model uses (the router's client). Providers live in `src/adapters/llm/` (OpenAI-compatible,
 * Anthropic, Ollama native, each through its official SDK); the router, its fallback, cache, rate
 * limits, usage and budgets live in `src/services/llm/`; the planner, the LLM task types, chat and
 * judges call `LlmClient` and nothing else.
 *
 * Glossary:
 * - model ref: `provider/model` (`openai/gpt-4o-mini`), an alias from config (`fast`, `code`), or a
 *   tier (`local`, `standard`, `premium`); the router resolves refs, providers see concrete models.
 * - attempt: one request to one provider for one model; a call is one or more attempts (retries and
 *   fallbacks), and the model that answered is the result's `model`.
 * - usage: tokens the provider reported (or, for an aborted stream that reported none, what was
 *   counted so far, flagged `estimated`), always settled, whether the call succeeded or not.
 *
 * Rules every provider keeps (checked by test/llm's conformance suite against protocol servers):
 * - `stream` yields events in order: any number of `text` and `tool_call` deltas, then exactly one
 *   `done` carrying usage and the finish reason. Text is yielded as the provider sends it (no
 *   buffering of the whole answer).
 * - A failure is an `LlmProviderError` (thrown by the iterator) whose `kind` says what happened:
 *   `rate_limited` (429; `retryAfterMs` from `retry-after` / `retry-after-ms` when sent), `server`
 *   (5xx, overloaded), `network` (refused, reset), `timeout`, `aborted` (the signal), `auth`
 *   (401/403), `invalid_request` (other 4xx), `context_length`, `unsupported` (the model or provider
 *   cannot do what the request needs). A stream that broke after it began carries the usage counted
 *   so far in `usage`.
 * - The provider never retries on its own (the SDKs' retries are turned off): the router decides.
 * - Secrets (API keys) never appear in errors, events or logs.
 */

export type LlmRole = 'system' | 'user' | 'assistant' | 'tool';

export interface LlmToolCall {
  /** The provider's id of the call, echoed back in the `tool` message that answers it. */
  readonly id: string;
  readonly name: string;
  /** The arguments as the model wrote them (a JSON text; the caller parses and validates). */
  readonly arguments: string;
}

export type LlmMessage =
  | { readonly role: 'system' | 'user'; readonly content: string }
  | { readonly role: 'assistant'; readonly content: string; readonly toolCalls?: readonly LlmToolCall[] }
  | { readonly role: 'tool'; readonly toolCallId: string; readonly content: string };

export interface LlmToolSpec {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the arguments. */
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** Structured output: the answer is one JSON value under `schema` (strict mode where the provider has it). */
export interface LlmJsonSchemaFormat {
  readonly type: 'json_schema';
  readonly name: string;
  readonly schema: Readonly<Record<string, unknown>>;
}

export interface LlmRequest {
  /** Concrete model name at the provider (the router resolved aliases and tiers). */
  readonly model: string;
  readonly messages: readonly LlmMessage[];
  readonly tools?: readonly LlmToolSpec[];
  /** `auto` (default when tools are given), `none`, `required`, or one tool's name. */
  readonly toolChoice?: 'auto' | 'none' | 'required' | { readonly name: string };
  readonly responseFormat?: LlmJsonSchemaFormat;
  readonly temperature?: number;
  readonly maxOutputTokens?: number;
  readonly stop?: readonly string[];
}

export interface LlmUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Input tokens the provider served from its prompt cache (billed at the cached price). */
  readonly cachedInputTokens: number;
  /** True when the provider reported nothing and these are Astra's own count (an aborted stream). */
  readonly estimated: boolean;
}

export const NO_USAGE: LlmUsage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, estimated: false };

export type LlmFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'other';

export type LlmStreamEvent =
  | { readonly type: 'text'; readonly delta: string }
  /** A tool call as it streams: `index` orders calls; `id` and `name` arrive first, `arguments` in deltas. */
  | {
      readonly type: 'tool_call';
      readonly index: number;
      readonly id?: string;
      readonly name?: string;
      readonly argumentsDelta: string;
    }
  | {
      readonly type: 'done';
      readonly usage: LlmUsage;
      readonly finishReason: LlmFinishReason;
      /** The model the provider says answered (it may differ from the one asked, e.g. a dated snapshot). */
      readonly model: string;
    };

export type LlmProviderErrorKind =
  | 'rate_limited'
  | 'server'
  | 'network'
  | 'timeout'
  | 'aborted'
  | 'auth'
  | 'invalid_request'
  | 'context_length'
  | 'unsupported';

export class LlmProviderError extends Error {
  readonly kind: LlmProviderErrorKind;
  readonly status: number | null;
  readonly retryAfterMs: number | null;
  /** What the attempt used before it failed (a stream broken halfway); NO_USAGE when nothing was sent. */
  readonly usage: LlmUsage;

  constructor(
    kind: LlmProviderErrorKind,
    message: string,
    options: { status?: number | null; retryAfterMs?: number | null; usage?: LlmUsage; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LlmProviderError';
    this.kind = kind;
    this.status = options.status ?? null;
    this.retryAfterMs = options.retryAfterMs ?? null;
    this.usage = options.usage ?? NO_USAGE;
  }
}

export type LlmProviderKind = 'openai' | 'anthropic' | 'ollama';

/** One configured provider endpoint (an OpenAI-compatible server, Anthropic, an Ollama host). */
export interface LlmProvider {
  /** The provider's name in model refs (`openai`, `vllm`, `anthropic`, `ollama`). */
  readonly name: string;
  readonly kind: LlmProviderKind;
  /** One attempt. The iterator ends after `done` or throws an LlmProviderError. */
  stream(request: LlmRequest, signal?: AbortSignal): AsyncIterable<LlmStreamEvent>;
  /** The models the endpoint lists (for discovery and `astra up`); [] when it cannot list them. */
  listModels(signal?: AbortSignal): Promise<readonly string[]>;
  close(): Promise<void>;
}

/** Who a call is for: usage, budgets and rate limits are counted against these. */
export interface LlmScope {
  readonly orgId: string;
  readonly agentId: string | null;
  readonly goalId: string | null;
  readonly taskId: string | null;
  /** What the call is for (`plan`, `llm`, `code_generate`, `summarize`, `chat`, `judge`, `embed`). */
  readonly purpose: string;
}

/** A call through the router: the request with a model ref instead of a concrete model. */
export interface LlmCall extends Omit<LlmRequest, 'model'> {
  /** A model ref (`provider/model`, an alias or a tier); absent: the routing rules decide. */
  readonly model?: string;
  readonly scope: LlmScope;
  /** The task type the routing rules match on (defaults to `scope.purpose`). */
  readonly taskType?: string;
  /** Safe to serve from the response cache when temperature is 0 (the default for temperature 0). */
  readonly cacheable?: boolean;
  readonly signal?: AbortSignal;
  /** Each streamed event of the answering attempt as it arrives (not of failed attempts). */
  readonly onEvent?: (event: LlmStreamEvent) => void;
}

export interface LlmResult {
  readonly text: string;
  readonly toolCalls: readonly LlmToolCall[];
  /** The parsed and schema-checked answer when the call asked for `responseFormat`. */
  readonly json?: unknown;
  readonly finishReason: LlmFinishReason;
  /** `provider/model` that answered. */
  readonly model: string;
  readonly usage: LlmUsage;
  readonly costUsd: number;
  readonly cacheHit: boolean;
  readonly latencyMs: number;
  /** Every attempt, in order: the model tried and how it ended (`ok` or an error kind). */
  readonly attempts: readonly { readonly model: string; readonly outcome: string }[];
}

/**
 * What every caller of a model uses. Errors are AstraErrors: ASTRA_LLM_NO_PROVIDER,
 * ASTRA_LLM_NO_CAPABLE_MODEL, ASTRA_LLM_UNAVAILABLE (every attempt failed; details list them),
 * ASTRA_LLM_RATE_LIMITED, ASTRA_LLM_REQUEST_INVALID, ASTRA_LLM_OUTPUT_INVALID,
 * ASTRA_LLM_BUDGET_EXCEEDED, ASTRA_LLM_CANCELLED.
 */
export interface LlmClient {
  complete(call: LlmCall): Promise<LlmResult>;
  /** The providers this node knows and whether any is configured (the planner's 4xx needs it). */
  providers(): readonly { readonly name: string; readonly kind: LlmProviderKind }[];
}
