import Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  MessageCreateParamsStreaming,
  MessageParam,
  RawMessageStreamEvent,
  ToolChoice,
} from '@anthropic-ai/sdk/resources/messages/messages';
import type {
  LlmFinishReason,
  LlmProvider,
  LlmProviderKind,
  LlmRequest,
  LlmStreamEvent,
} from '../../ports/llm.js';
import { fromSdkError, type SdkErrorClasses } from './sdk-errors.js';
import { StreamTally } from './stream-tally.js';

/**
 * Anthropic's Messages API through the official `@anthropic-ai/sdk` (1.x), streamed. System
 * messages go to `system`; tool results become `tool_result` blocks in a user turn (consecutive
 * turns of one role are merged, as the API wants them alternating); `max_tokens` is required, so
 * a request without `maxOutputTokens` gets `defaultMaxTokens`. Structured output uses the API's
 * own `output_config.format` (json_schema): the answer streams as text, like every other
 * provider's, and is validated by the caller with the same schema. The 1.x SDK's Messages
 * parameters have no `temperature`, so a request's temperature is not sent.
 *
 * Usage: `inputTokens` is the whole prompt (`input_tokens` + cache reads + cache writes, as the
 * other providers count it), `cachedInputTokens` the cache reads. The input count arrives in
 * `message_start`, so a stream broken later carries the real input and an estimated output.
 */

export const ANTHROPIC_PROVIDER_DEFAULTS = {
  baseUrl: 'https://api.anthropic.com',
  timeoutMs: 60_000,
  defaultMaxTokens: 4096,
};

export interface AnthropicProviderOptions {
  readonly name?: string;
  /** Without `/v1` (the SDK adds it). */
  readonly baseUrl?: string;
  readonly apiKey?: string;
  readonly timeoutMs?: number;
  readonly defaultMaxTokens?: number;
}

const ANTHROPIC_ERRORS: SdkErrorClasses = {
  APIError: Anthropic.APIError,
  APIUserAbortError: Anthropic.APIUserAbortError,
  APIConnectionTimeoutError: Anthropic.APIConnectionTimeoutError,
  APIConnectionError: Anthropic.APIConnectionError,
};

function parseInput(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text === '' ? '{}' : text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function turns(request: LlmRequest): { system: string | undefined; messages: MessageParam[] } {
  const system: string[] = [];
  const messages: { role: 'user' | 'assistant'; content: ContentBlockParam[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: ContentBlockParam[]) => {
    const last = messages.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const message of request.messages) {
    if (message.role === 'system') system.push(message.content);
    else if (message.role === 'user') push('user', [{ type: 'text', text: message.content }]);
    else if (message.role === 'tool')
      push('user', [{ type: 'tool_result', tool_use_id: message.toolCallId, content: message.content }]);
    else if (message.role === 'assistant') {
      const blocks: ContentBlockParam[] =
        message.content === '' ? [] : [{ type: 'text', text: message.content }];
      for (const call of message.toolCalls ?? [])
        blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: parseInput(call.arguments) });
      push('assistant', blocks);
    }
  }
  return { system: system.length === 0 ? undefined : system.join('\n\n'), messages };
}

function toolChoice(choice: LlmRequest['toolChoice']): ToolChoice | undefined {
  if (choice === undefined) return undefined;
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any' };
  return { type: 'tool', name: choice.name };
}

function params(request: LlmRequest, defaultMaxTokens: number): MessageCreateParamsStreaming {
  const { system, messages } = turns(request);
  const out: MessageCreateParamsStreaming = {
    model: request.model,
    max_tokens: request.maxOutputTokens ?? defaultMaxTokens,
    messages,
    stream: true,
  };
  if (system !== undefined) out.system = system;
  if (request.tools !== undefined && request.tools.length > 0) {
    out.tools = request.tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      input_schema: { type: 'object', ...tool.parameters },
    }));
    const choice = toolChoice(request.toolChoice);
    if (choice !== undefined) out.tool_choice = choice;
  }
  if (request.responseFormat !== undefined)
    out.output_config = { format: { type: 'json_schema', schema: { ...request.responseFormat.schema } } };
  if (request.stop !== undefined && request.stop.length > 0) out.stop_sequences = [...request.stop];
  return out;
}

function finishOf(reason: string | null | undefined): LlmFinishReason {
  if (reason === 'end_turn' || reason === 'stop_sequence') return 'stop';
  if (reason === 'max_tokens' || reason === 'model_context_window_exceeded') return 'length';
  if (reason === 'tool_use') return 'tool_calls';
  if (reason === 'refusal') return 'content_filter';
  return 'other';
}

class EventReader {
  /** content block index → tool call index. */
  private readonly calls = new Map<number, number>();

  constructor(private readonly tally: StreamTally) {}

  *read(event: RawMessageStreamEvent): Generator<LlmStreamEvent> {
    if (event.type === 'message_start') {
      const usage = event.message.usage;
      const cached = usage.cache_read_input_tokens ?? 0;
      this.tally.reportInput(usage.input_tokens + cached + (usage.cache_creation_input_tokens ?? 0), cached);
      this.tally.model = event.message.model;
    } else if (event.type === 'content_block_start' && event.content_block.type === 'tool_use') {
      const index = this.calls.size;
      this.calls.set(event.index, index);
      yield {
        type: 'tool_call',
        index,
        id: event.content_block.id,
        name: event.content_block.name,
        argumentsDelta: '',
      };
    } else if (event.type === 'content_block_delta') {
      if (event.delta.type === 'text_delta') {
        this.tally.saw(event.delta.text);
        yield { type: 'text', delta: event.delta.text };
      } else if (event.delta.type === 'input_json_delta') {
        const index = this.calls.get(event.index);
        if (index === undefined) return;
        this.tally.saw(event.delta.partial_json);
        yield { type: 'tool_call', index, argumentsDelta: event.delta.partial_json };
      }
    } else if (event.type === 'message_delta') {
      this.tally.reportOutput(event.usage.output_tokens);
      this.tally.finishReason = finishOf(event.delta.stop_reason);
    }
  }
}

class AnthropicProvider implements LlmProvider {
  readonly kind: LlmProviderKind = 'anthropic';
  private readonly client: Anthropic;

  constructor(
    readonly name: string,
    private readonly options: AnthropicProviderOptions & { defaultMaxTokens: number },
    baseUrl: string,
    timeoutMs: number,
  ) {
    this.client = new Anthropic({
      baseURL: baseUrl,
      // Always a key: without one the SDK looks for credentials of its own (env, profile files).
      apiKey: options.apiKey ?? 'none',
      maxRetries: 0,
      timeout: timeoutMs,
    });
  }

  async *stream(request: LlmRequest, signal?: AbortSignal): AsyncIterable<LlmStreamEvent> {
    const tally = new StreamTally(request);
    const context = { provider: this.name, apiKey: this.options.apiKey, signal, tally };
    const reader = new EventReader(tally);
    try {
      const stream = await this.client.messages.create(
        params(request, this.options.defaultMaxTokens),
        signal === undefined ? {} : { signal },
      );
      tally.started = true;
      for await (const event of stream) yield* reader.read(event);
    } catch (error) {
      throw fromSdkError(error, ANTHROPIC_ERRORS, context);
    }
    if (signal?.aborted === true) throw fromSdkError(signal.reason, ANTHROPIC_ERRORS, context);
    yield { type: 'done', usage: tally.usage(), finishReason: tally.finishReason, model: tally.model };
  }

  async listModels(signal?: AbortSignal): Promise<readonly string[]> {
    try {
      const names: string[] = [];
      for await (const model of this.client.models.list({}, signal === undefined ? {} : { signal }))
        names.push(model.id);
      return names;
    } catch {
      return [];
    }
  }

  async close(): Promise<void> {}
}

export function createAnthropicProvider(options: AnthropicProviderOptions = {}): LlmProvider {
  return new AnthropicProvider(
    options.name ?? 'anthropic',
    {
      ...options,
      defaultMaxTokens: options.defaultMaxTokens ?? ANTHROPIC_PROVIDER_DEFAULTS.defaultMaxTokens,
    },
    options.baseUrl ?? ANTHROPIC_PROVIDER_DEFAULTS.baseUrl,
    options.timeoutMs ?? ANTHROPIC_PROVIDER_DEFAULTS.timeoutMs,
  );
}
