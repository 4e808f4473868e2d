import {
  type LlmFinishReason,
  type LlmProvider,
  LlmProviderError,
  type LlmStreamEvent,
  type LlmToolCall,
  type LlmUsage,
} from '../../ports/llm.js';
import type { Clock } from '../../time/clock.js';
import type { LlmAttempt, LlmAttemptResult } from './attempt.js';
import { countTokens } from './tokens.js';

/**
 * One attempt against a provider: its stream read to the end, each event passed to `onEvent` as
 * it arrives, tool calls assembled from their deltas (by `index`: the first delta brings id and
 * name, the rest extend the arguments). Whatever the provider throws leaves as an LlmProviderError:
 * a stream that ends without `done` is a `network` failure, and a broken stream whose error carries
 * no usage gets Astra's own count of what was exchanged (flagged `estimated`), so it is settled.
 * An error thrown by `onEvent` itself stops the stream and leaves as thrown (the caller's fault,
 * not the provider's: no fallback, no breaker failure).
 */
export interface AttemptStreamState {
  /** Whether any event reached `onEvent` (the caller has seen part of this answer). */
  forwarded: boolean;
}

export async function streamAttempt(
  provider: LlmProvider,
  attempt: LlmAttempt,
  options: {
    readonly clock: Clock;
    readonly onEvent: ((event: LlmStreamEvent) => void) | undefined;
    readonly state: AttemptStreamState;
  },
): Promise<LlmAttemptResult> {
  const started = options.clock.now();
  const text: string[] = [];
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  let done: Extract<LlmStreamEvent, { type: 'done' }> | null = null;
  // An error of the caller's own `onEvent` is the caller's: it leaves as it was thrown.
  let callerError: { error: unknown } | null = null;
  try {
    for await (const event of provider.stream(attempt.request, attempt.call.signal)) {
      if (event.type === 'text') text.push(event.delta);
      else if (event.type === 'tool_call') {
        const call = calls.get(event.index) ?? { id: '', name: '', arguments: '' };
        if (event.id !== undefined) call.id = event.id;
        if (event.name !== undefined) call.name = event.name;
        call.arguments += event.argumentsDelta;
        calls.set(event.index, call);
      } else done = event;
      if (options.onEvent !== undefined) {
        options.state.forwarded = true;
        try {
          options.onEvent(event);
        } catch (error) {
          callerError = { error };
          break;
        }
      }
      if (done !== null) break;
    }
  } catch (error) {
    throw withUsage(asProviderError(error), attempt, text.join(''), calls);
  }
  if (callerError !== null) throw callerError.error;
  if (done === null)
    throw withUsage(
      new LlmProviderError('network', `${provider.name} ended its stream without a final event`),
      attempt,
      text.join(''),
      calls,
    );
  const toolCalls: LlmToolCall[] = [...calls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, call]) => ({ id: call.id, name: call.name, arguments: call.arguments }));
  const finishReason: LlmFinishReason = done.finishReason;
  return {
    text: text.join(''),
    toolCalls,
    finishReason,
    model: `${attempt.model.provider}/${done.model === '' ? attempt.model.name : done.model}`,
    usage: done.usage,
    latencyMs: options.clock.now() - started,
    cacheHit: false,
  };
}

function asProviderError(error: unknown): LlmProviderError {
  if (error instanceof LlmProviderError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new LlmProviderError('server', `the provider failed unexpectedly: ${message}`, { cause: error });
}

function withUsage(
  error: LlmProviderError,
  attempt: LlmAttempt,
  text: string,
  calls: ReadonlyMap<number, { name: string; arguments: string }>,
): LlmProviderError {
  const reported = error.usage;
  const received = text.length > 0 || calls.size > 0;
  if (!received || reported.inputTokens > 0 || reported.outputTokens > 0) return error;
  const usage: LlmUsage = {
    inputTokens: attempt.estimate.inputTokens,
    outputTokens: countTokens(text + [...calls.values()].map((c) => c.name + c.arguments).join('')),
    cachedInputTokens: 0,
    estimated: true,
  };
  return new LlmProviderError(error.kind, error.message, {
    status: error.status,
    retryAfterMs: error.retryAfterMs,
    usage,
    cause: error.cause ?? error,
  });
}
