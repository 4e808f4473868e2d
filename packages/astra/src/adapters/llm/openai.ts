import OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import type {
  LlmFinishReason,
  LlmProvider,
  LlmProviderKind,
  LlmRequest,
  LlmStreamEvent,
} from '../../ports/llm.js';
import { OPENAI_ERRORS } from './openai-errors.js';
import { streamResponses } from './openai-responses.js';
import { fromSdkError } from './sdk-errors.js';
import { StreamTally } from './stream-tally.js';

/**
 * An OpenAI-compatible endpoint through the official `openai` SDK: OpenAI itself, vLLM, the
 * llama.cpp server, LM Studio, Ollama's `/v1`. Chat Completions by default (what every compatible
 * server speaks); `api: 'responses'` uses the Responses API (OpenAI's newer one). The SDK's retries
 * are off; its `timeout` covers the wait for the response to begin.
 *
 * Chat Completions specifics: usage comes from the final chunk (`stream_options.include_usage`;
 * a server that ignores it gets an estimate); the output cap is `max_completion_tokens` on
 * OpenAI's own API and `max_tokens` elsewhere (what compatible servers accept); structured output
 * is `response_format: json_schema` with `strict: true`.
 */

export const OPENAI_PROVIDER_DEFAULTS = {
  baseUrl: 'https://api.openai.com/v1',
  api: 'chat' as 'chat' | 'responses',
  timeoutMs: 60_000,
};

export interface OpenAiProviderOptions {
  /** The provider's name in model refs (default `openai`). */
  readonly name?: string;
  /** Ends in `/v1` for compatible servers (`http://127.0.0.1:8000/v1`). */
  readonly baseUrl?: string;
  /** Some compatible servers take none; the SDK then sends a placeholder. */
  readonly apiKey?: string;
  readonly api?: 'chat' | 'responses';
  readonly timeoutMs?: number;
}

export function chatMessages(request: LlmRequest): ChatCompletionMessageParam[] {
  return request.messages.map((message): ChatCompletionMessageParam => {
    if (message.role === 'tool')
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
    if (message.role !== 'assistant') return { role: message.role, content: message.content };
    const calls = message.toolCalls ?? [];
    if (calls.length === 0) return { role: 'assistant', content: message.content };
    return {
      role: 'assistant',
      content: message.content === '' ? null : message.content,
      tool_calls: calls.map((call) => ({
        id: call.id,
        type: 'function',
        function: { name: call.name, arguments: call.arguments },
      })),
    };
  });
}

function toolChoice(request: LlmRequest): ChatCompletionToolChoiceOption | undefined {
  const choice = request.toolChoice;
  if (choice === undefined) return undefined;
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

function chatParams(request: LlmRequest, officialApi: boolean): ChatCompletionCreateParamsStreaming {
  const params: ChatCompletionCreateParamsStreaming = {
    model: request.model,
    messages: chatMessages(request),
    stream: true,
    stream_options: { include_usage: true },
  };
  if (request.tools !== undefined && request.tools.length > 0) {
    params.tools = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: { ...tool.parameters } },
    }));
    const choice = toolChoice(request);
    if (choice !== undefined) params.tool_choice = choice;
  }
  if (request.responseFormat !== undefined)
    params.response_format = {
      type: 'json_schema',
      json_schema: {
        name: request.responseFormat.name,
        schema: { ...request.responseFormat.schema },
        strict: true,
      },
    };
  if (request.temperature !== undefined) params.temperature = request.temperature;
  if (request.maxOutputTokens !== undefined) {
    if (officialApi) params.max_completion_tokens = request.maxOutputTokens;
    else params.max_tokens = request.maxOutputTokens;
  }
  if (request.stop !== undefined && request.stop.length > 0) params.stop = [...request.stop];
  return params;
}

export function chatFinish(reason: string | null | undefined): LlmFinishReason {
  if (reason === 'stop') return 'stop';
  if (reason === 'length') return 'length';
  if (reason === 'tool_calls' || reason === 'function_call') return 'tool_calls';
  if (reason === 'content_filter') return 'content_filter';
  return 'other';
}

function* chunkEvents(chunk: ChatCompletionChunk, tally: StreamTally): Generator<LlmStreamEvent> {
  if (chunk.model) tally.model = chunk.model;
  if (chunk.usage) {
    tally.reportInput(chunk.usage.prompt_tokens, chunk.usage.prompt_tokens_details?.cached_tokens ?? 0);
    tally.reportOutput(chunk.usage.completion_tokens);
  }
  const choice = chunk.choices[0];
  if (choice === undefined) return;
  const text = choice.delta.content;
  if (typeof text === 'string' && text.length > 0) {
    tally.saw(text);
    yield { type: 'text', delta: text };
  }
  for (const call of choice.delta.tool_calls ?? []) {
    const argumentsDelta = call.function?.arguments ?? '';
    tally.saw(argumentsDelta);
    yield {
      type: 'tool_call',
      index: call.index,
      ...(call.id ? { id: call.id } : {}),
      ...(call.function?.name ? { name: call.function.name } : {}),
      argumentsDelta,
    };
  }
  if (choice.finish_reason) tally.finishReason = chatFinish(choice.finish_reason);
}

class OpenAiProvider implements LlmProvider {
  readonly kind: LlmProviderKind = 'openai';
  private readonly client: OpenAI;
  private readonly officialApi: boolean;

  constructor(
    readonly name: string,
    private readonly options: OpenAiProviderOptions & { baseUrl: string; timeoutMs: number },
  ) {
    this.officialApi = new URL(options.baseUrl).hostname === 'api.openai.com';
    this.client = new OpenAI({
      baseURL: options.baseUrl,
      // Compatible servers without auth still get a header (the SDK requires a key).
      apiKey: options.apiKey ?? 'none',
      maxRetries: 0,
      timeout: options.timeoutMs,
    });
  }

  async *stream(request: LlmRequest, signal?: AbortSignal): AsyncIterable<LlmStreamEvent> {
    if (this.options.api === 'responses') {
      yield* streamResponses(this.client, request, {
        provider: this.name,
        apiKey: this.options.apiKey,
        signal,
      });
      return;
    }
    const tally = new StreamTally(request);
    const context = { provider: this.name, apiKey: this.options.apiKey, signal, tally };
    try {
      const stream = await this.client.chat.completions.create(
        chatParams(request, this.officialApi),
        signal === undefined ? {} : { signal },
      );
      tally.started = true;
      for await (const chunk of stream) yield* chunkEvents(chunk, tally);
    } catch (error) {
      throw fromSdkError(error, OPENAI_ERRORS, context);
    }
    if (signal?.aborted === true) throw fromSdkError(signal.reason, OPENAI_ERRORS, context);
    yield { type: 'done', usage: tally.usage(), finishReason: tally.finishReason, model: tally.model };
  }

  async listModels(signal?: AbortSignal): Promise<readonly string[]> {
    try {
      const names: string[] = [];
      for await (const model of this.client.models.list(signal === undefined ? {} : { signal }))
        names.push(model.id);
      return names;
    } catch {
      return [];
    }
  }

  async close(): Promise<void> {}
}

export function createOpenAiProvider(options: OpenAiProviderOptions = {}): LlmProvider {
  return new OpenAiProvider(options.name ?? 'openai', {
    ...options,
    baseUrl: options.baseUrl ?? OPENAI_PROVIDER_DEFAULTS.baseUrl,
    api: options.api ?? OPENAI_PROVIDER_DEFAULTS.api,
    timeoutMs: options.timeoutMs ?? OPENAI_PROVIDER_DEFAULTS.timeoutMs,
  });
}
