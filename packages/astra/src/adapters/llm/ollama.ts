import {
  type LlmFinishReason,
  type LlmProvider,
  LlmProviderError,
  type LlmProviderKind,
  type LlmRequest,
  type LlmStreamEvent,
} from '../../ports/llm.js';
import { httpError, transportError } from './errors.js';
import { readNdjson } from './ndjson.js';
import { StreamTally } from './stream-tally.js';

/**
 * Ollama's native API (`POST /api/chat`, NDJSON) over the platform's `fetch`, not the `ollama`
 * npm package: measured against the protocol server, ollama 0.6.4 drops the response headers of
 * an error (no `retry-after`), has no per-request signal (a request still waiting for its headers
 * cannot be aborted: an abort at 100 ms returned at 1,506 ms when the headers came), no timeout,
 * and prints to stdout on a non-JSON error body. The protocol is small enough to speak directly.
 *
 * Mapping: tools as `{type:'function', function}`; `format` is the JSON schema; `options` carries
 * temperature, `num_predict` and `stop`. Ollama has no tool choice: `none` sends no tools,
 * `required` or a named tool is `unsupported`. Tool calls arrive whole (arguments an object) and
 * are yielded as one delta each; a tool result names its tool (`tool_name`), found from the call
 * it answers. Usage is `prompt_eval_count` / `eval_count` from the `done` line.
 */

export const OLLAMA_PROVIDER_DEFAULTS = {
  baseUrl: 'http://127.0.0.1:11434',
  timeoutMs: 60_000,
};

export interface OllamaProviderOptions {
  readonly name?: string;
  readonly baseUrl?: string;
  /** For an Ollama behind a proxy that wants a bearer token (or ollama.com). */
  readonly apiKey?: string;
  /** Until the response begins. */
  readonly timeoutMs?: number;
}

interface OllamaLine {
  readonly model?: string;
  readonly message?: {
    readonly content?: string;
    readonly tool_calls?: readonly {
      readonly id?: string;
      readonly function: { name: string; arguments: unknown };
    }[];
  };
  readonly done?: boolean;
  readonly done_reason?: string;
  readonly prompt_eval_count?: number;
  readonly eval_count?: number;
  readonly error?: string;
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text === '' ? '{}' : text);
  } catch {
    return {};
  }
}

function body(request: LlmRequest, provider: string): Record<string, unknown> {
  const toolNames = new Map<string, string>();
  const messages = request.messages.map((message) => {
    if (message.role === 'tool')
      return { role: 'tool', content: message.content, tool_name: toolNames.get(message.toolCallId) ?? '' };
    if (message.role !== 'assistant' || message.toolCalls === undefined)
      return { role: message.role, content: message.content };
    for (const call of message.toolCalls) toolNames.set(call.id, call.name);
    return {
      role: 'assistant',
      content: message.content,
      tool_calls: message.toolCalls.map((call) => ({
        function: { name: call.name, arguments: parseArguments(call.arguments) },
      })),
    };
  });
  const out: Record<string, unknown> = { model: request.model, messages, stream: true };
  const choice = request.toolChoice;
  if (choice === 'required' || typeof choice === 'object')
    throw new LlmProviderError('unsupported', `${provider}: Ollama cannot force a tool call`);
  if (request.tools !== undefined && request.tools.length > 0 && choice !== 'none')
    out.tools = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
  if (request.responseFormat !== undefined) out.format = request.responseFormat.schema;
  const options: Record<string, unknown> = {};
  if (request.temperature !== undefined) options.temperature = request.temperature;
  if (request.maxOutputTokens !== undefined) options.num_predict = request.maxOutputTokens;
  if (request.stop !== undefined && request.stop.length > 0) options.stop = request.stop;
  if (Object.keys(options).length > 0) out.options = options;
  return out;
}

function finishOf(reason: string | undefined, sawCalls: boolean): LlmFinishReason {
  if (sawCalls) return 'tool_calls';
  if (reason === 'stop' || reason === undefined) return 'stop';
  return reason === 'length' ? 'length' : 'other';
}

class OllamaProvider implements LlmProvider {
  readonly kind: LlmProviderKind = 'ollama';

  constructor(
    readonly name: string,
    private readonly baseUrl: string,
    private readonly options: OllamaProviderOptions & { timeoutMs: number },
  ) {}

  private headers(): Record<string, string> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/x-ndjson',
    };
    if (this.options.apiKey !== undefined) headers.authorization = `Bearer ${this.options.apiKey}`;
    return headers;
  }

  /** fetch with the caller's signal and a timeout until the response begins. */
  private async open(path: string, init: RequestInit, signal: AbortSignal | undefined): Promise<Response> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    const forward = () => controller.abort();
    signal?.addEventListener('abort', forward, { once: true });
    const apiKey = this.options.apiKey;
    try {
      if (signal?.aborted === true) throw transportError(this.name, 'aborted', { apiKey });
      return await fetch(`${this.baseUrl}${path}`, {
        ...init,
        headers: this.headers(),
        signal: controller.signal,
      });
    } catch (error) {
      if (error instanceof LlmProviderError) throw error;
      if (timedOut) throw transportError(this.name, 'timeout', { apiKey });
      if (signal?.aborted === true) throw transportError(this.name, 'aborted', { apiKey });
      const detail = error instanceof Error ? String(error.cause ?? error.message) : String(error);
      throw transportError(this.name, 'network', { apiKey, detail });
    } finally {
      // The listener stays: the caller's abort still ends the body while it is read.
      clearTimeout(timer);
    }
  }

  async *stream(request: LlmRequest, signal?: AbortSignal): AsyncIterable<LlmStreamEvent> {
    const tally = new StreamTally(request);
    const apiKey = this.options.apiKey;
    const response = await this.open(
      '/api/chat',
      { method: 'POST', body: JSON.stringify(body(request, this.name)) },
      signal,
    );
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      let message = text;
      try {
        message = String((JSON.parse(text) as { error?: unknown }).error ?? text);
      } catch {}
      throw httpError(this.name, { status: response.status, message, headers: response.headers }, { apiKey });
    }
    tally.started = true;
    let calls = 0;
    let doneReason: string | undefined;
    let done = false;
    try {
      for await (const raw of readNdjson(response)) {
        const line = raw as OllamaLine;
        if (line.error !== undefined)
          throw httpError(
            this.name,
            { status: 500, message: line.error, headers: undefined },
            { apiKey, usage: tally.usage() },
          );
        if (line.model) tally.model = line.model;
        const content = line.message?.content ?? '';
        if (content.length > 0) {
          tally.saw(content);
          yield { type: 'text', delta: content };
        }
        for (const call of line.message?.tool_calls ?? []) {
          const argumentsDelta =
            typeof call.function.arguments === 'string'
              ? call.function.arguments
              : JSON.stringify(call.function.arguments);
          tally.saw(argumentsDelta);
          yield {
            type: 'tool_call',
            index: calls,
            id: call.id ?? `call_${calls}`,
            name: call.function.name,
            argumentsDelta,
          };
          calls += 1;
        }
        if (line.done === true) {
          done = true;
          doneReason = line.done_reason;
          if (line.prompt_eval_count !== undefined) tally.reportInput(line.prompt_eval_count);
          if (line.eval_count !== undefined) tally.reportOutput(line.eval_count);
        }
      }
    } catch (error) {
      if (error instanceof LlmProviderError) throw error;
      const usage = tally.usage();
      if (signal?.aborted === true) throw transportError(this.name, 'aborted', { apiKey, usage });
      throw transportError(this.name, 'network', {
        apiKey,
        usage,
        detail: error instanceof Error ? error.message : String(error),
      });
    }
    if (signal?.aborted === true)
      throw transportError(this.name, 'aborted', { apiKey, usage: tally.usage() });
    if (!done)
      throw transportError(this.name, 'network', {
        apiKey,
        usage: tally.usage(),
        detail: 'stream ended before done',
      });
    yield {
      type: 'done',
      usage: tally.usage(),
      finishReason: finishOf(doneReason, calls > 0),
      model: tally.model,
    };
  }

  async listModels(signal?: AbortSignal): Promise<readonly string[]> {
    try {
      const response = await this.open('/api/tags', { method: 'GET' }, signal);
      if (!response.ok) return [];
      const tags = (await response.json()) as { models?: { name: string }[] };
      return (tags.models ?? []).map((model) => model.name);
    } catch {
      return [];
    }
  }

  async close(): Promise<void> {}
}

export function createOllamaProvider(options: OllamaProviderOptions = {}): LlmProvider {
  const baseUrl = (options.baseUrl ?? OLLAMA_PROVIDER_DEFAULTS.baseUrl).replace(/\/+$/, '');
  return new OllamaProvider(options.name ?? 'ollama', baseUrl, {
    ...options,
    timeoutMs: options.timeoutMs ?? OLLAMA_PROVIDER_DEFAULTS.timeoutMs,
  });
}
