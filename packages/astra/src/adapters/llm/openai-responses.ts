import type OpenAI from 'openai';
import type {
  Response,
  ResponseCreateParamsStreaming,
  ResponseInputItem,
  ResponseStreamEvent,
} from 'openai/resources/responses/responses';
import {
  type LlmFinishReason,
  LlmProviderError,
  type LlmRequest,
  type LlmStreamEvent,
} from '../../ports/llm.js';
import { OPENAI_ERRORS } from './openai-errors.js';
import { fromSdkError } from './sdk-errors.js';
import { StreamTally } from './stream-tally.js';

/**
 * OpenAI's Responses API (`api: 'responses'`): the request as input items (system and user
 * messages, `function_call` items for the assistant's calls, `function_call_output` for their
 * results), `store: false`, structured output as `text.format` json_schema (strict), and the named
 * SSE events mapped to the port's deltas. Tool calls are numbered in the order their items open.
 * The Responses API has no stop sequences: a request with `stop` is `unsupported` here.
 */

function inputItems(request: LlmRequest): ResponseInputItem[] {
  const items: ResponseInputItem[] = [];
  for (const message of request.messages) {
    if (message.role === 'tool') {
      items.push({ type: 'function_call_output', call_id: message.toolCallId, output: message.content });
      continue;
    }
    if (message.content !== '' || message.role !== 'assistant')
      items.push({ role: message.role, content: message.content });
    if (message.role === 'assistant')
      for (const call of message.toolCalls ?? [])
        items.push({ type: 'function_call', call_id: call.id, name: call.name, arguments: call.arguments });
  }
  return items;
}

function params(request: LlmRequest): ResponseCreateParamsStreaming {
  const out: ResponseCreateParamsStreaming = {
    model: request.model,
    input: inputItems(request),
    stream: true,
    store: false,
  };
  if (request.tools !== undefined && request.tools.length > 0) {
    out.tools = request.tools.map((tool) => ({
      type: 'function',
      name: tool.name,
      description: tool.description,
      parameters: { ...tool.parameters },
      strict: false,
    }));
    const choice = request.toolChoice;
    if (choice !== undefined)
      out.tool_choice = typeof choice === 'string' ? choice : { type: 'function', name: choice.name };
  }
  if (request.responseFormat !== undefined)
    out.text = {
      format: {
        type: 'json_schema',
        name: request.responseFormat.name,
        schema: { ...request.responseFormat.schema },
        strict: true,
      },
    };
  if (request.temperature !== undefined) out.temperature = request.temperature;
  if (request.maxOutputTokens !== undefined) out.max_output_tokens = request.maxOutputTokens;
  return out;
}

function finishOf(response: Response, sawCalls: boolean): LlmFinishReason {
  if (response.status === 'incomplete') {
    const reason = response.incomplete_details?.reason;
    return reason === 'max_output_tokens'
      ? 'length'
      : reason === 'content_filter'
        ? 'content_filter'
        : 'other';
  }
  return sawCalls ? 'tool_calls' : 'stop';
}

class ResponsesReader {
  /** output_index → the tool call's index in the port's numbering. */
  private readonly calls = new Map<number, number>();

  constructor(private readonly tally: StreamTally) {}

  *read(event: ResponseStreamEvent): Generator<LlmStreamEvent> {
    switch (event.type) {
      case 'response.output_text.delta':
        this.tally.saw(event.delta);
        yield { type: 'text', delta: event.delta };
        return;
      case 'response.output_item.added':
        if (event.item.type === 'function_call') {
          const index = this.calls.size;
          this.calls.set(event.output_index, index);
          this.tally.saw(event.item.arguments);
          yield {
            type: 'tool_call',
            index,
            id: event.item.call_id,
            name: event.item.name,
            argumentsDelta: event.item.arguments,
          };
        }
        return;
      case 'response.function_call_arguments.delta': {
        const index = this.calls.get(event.output_index);
        if (index === undefined) return;
        this.tally.saw(event.delta);
        yield { type: 'tool_call', index, argumentsDelta: event.delta };
        return;
      }
      case 'response.completed':
      case 'response.incomplete':
        this.finish(event.response);
        return;
      case 'response.failed':
        this.finish(event.response);
        throw new LlmProviderError(
          'server',
          `response failed: ${event.response.error?.message ?? 'no reason given'}`,
          {
            usage: this.tally.usage(),
          },
        );
      case 'error':
        throw new LlmProviderError('server', `stream error: ${event.message}`, { usage: this.tally.usage() });
      default:
        return;
    }
  }

  private finish(response: Response): void {
    if (response.model) this.tally.model = response.model;
    if (response.usage) {
      this.tally.reportInput(
        response.usage.input_tokens,
        response.usage.input_tokens_details?.cached_tokens ?? 0,
      );
      this.tally.reportOutput(response.usage.output_tokens);
    }
    this.tally.finishReason = finishOf(response, this.calls.size > 0);
  }
}

export async function* streamResponses(
  client: OpenAI,
  request: LlmRequest,
  context: { provider: string; apiKey: string | undefined; signal: AbortSignal | undefined },
): AsyncGenerator<LlmStreamEvent> {
  if (request.stop !== undefined && request.stop.length > 0)
    throw new LlmProviderError('unsupported', `${context.provider}: the Responses API has no stop sequences`);
  const tally = new StreamTally(request);
  const errorContext = { ...context, tally };
  const reader = new ResponsesReader(tally);
  try {
    const stream = await client.responses.create(
      params(request),
      context.signal === undefined ? {} : { signal: context.signal },
    );
    tally.started = true;
    for await (const event of stream) yield* reader.read(event);
  } catch (error) {
    if (error instanceof LlmProviderError) throw error;
    throw fromSdkError(error, OPENAI_ERRORS, errorContext);
  }
  if (context.signal?.aborted === true)
    throw fromSdkError(context.signal.reason, OPENAI_ERRORS, errorContext);
  yield { type: 'done', usage: tally.usage(), finishReason: tally.finishReason, model: tally.model };
}
