import {
  type LlmProvider,
  LlmProviderError,
  type LlmProviderErrorKind,
  type LlmProviderKind,
  type LlmRequest,
  type LlmStreamEvent,
  type LlmUsage,
} from '../../src/ports/llm.js';

/**
 * A port test double for the router's logic: an LlmProvider that plays scripted steps (one per
 * attempt). The router's wire-level behaviour is tested over the real adapters and protocol
 * servers (router-providers.test.ts); this double keeps the logic tests about the logic.
 */
export type Step =
  | { readonly text: string | readonly string[]; readonly usage?: Partial<LlmUsage>; readonly model?: string }
  | { readonly toolCalls: readonly { id: string; name: string; arguments: readonly string[] }[] }
  | {
      readonly fail: LlmProviderErrorKind;
      readonly retryAfterMs?: number;
      /** Text streamed before the failure. */
      readonly after?: readonly string[];
      readonly usage?: LlmUsage;
    }
  /** Streams `before`, then waits for the request's signal and throws `aborted` with `usage`. */
  | { readonly untilAborted: readonly string[]; readonly usage: LlmUsage };

export interface ScriptedProvider extends LlmProvider {
  script(...steps: Step[]): void;
  readonly requests: LlmRequest[];
}

const usageOf = (partial: Partial<LlmUsage> = {}): LlmUsage => ({
  inputTokens: partial.inputTokens ?? 10,
  outputTokens: partial.outputTokens ?? 2,
  cachedInputTokens: partial.cachedInputTokens ?? 0,
  estimated: partial.estimated ?? false,
});

export function scriptedProvider(name: string, kind: LlmProviderKind = 'openai'): ScriptedProvider {
  const steps: Step[] = [];
  const requests: LlmRequest[] = [];
  async function* play(request: LlmRequest, signal?: AbortSignal): AsyncIterable<LlmStreamEvent> {
    requests.push(request);
    const step: Step = steps.shift() ?? { text: 'ok' };
    if ('fail' in step) {
      for (const delta of step.after ?? []) yield { type: 'text', delta };
      throw new LlmProviderError(step.fail, `scripted ${step.fail}`, {
        retryAfterMs: step.retryAfterMs ?? null,
        ...(step.usage === undefined ? {} : { usage: step.usage }),
      });
    }
    if ('untilAborted' in step) {
      for (const delta of step.untilAborted) yield { type: 'text', delta };
      await new Promise<void>((resolve) => {
        if (signal?.aborted) resolve();
        signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      throw new LlmProviderError('aborted', 'aborted', { usage: step.usage });
    }
    if ('toolCalls' in step) {
      for (const [index, call] of step.toolCalls.entries()) {
        yield { type: 'tool_call', index, id: call.id, name: call.name, argumentsDelta: '' };
        for (const piece of call.arguments) yield { type: 'tool_call', index, argumentsDelta: piece };
      }
      yield { type: 'done', usage: usageOf(), finishReason: 'tool_calls', model: request.model };
      return;
    }
    for (const delta of typeof step.text === 'string' ? [step.text] : step.text)
      yield { type: 'text', delta };
    yield {
      type: 'done',
      usage: usageOf(step.usage),
      finishReason: 'stop',
      model: step.model ?? request.model,
    };
  }
  return {
    name,
    kind,
    requests,
    script: (...more) => {
      steps.push(...more);
    },
    stream: (request, signal) => play(request, signal),
    listModels: () => Promise.resolve([]),
    close: () => Promise.resolve(),
  };
}
