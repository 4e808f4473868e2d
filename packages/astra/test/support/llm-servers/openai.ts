import type { IncomingMessage, ServerResponse } from 'node:http';
import { openAiEmbeddings } from './embeddings.js';
import {
  type AnswerStep,
  argumentPieces,
  delay,
  type Exchange,
  type FaultStep,
  faultHeaders,
  finishOf,
  type LlmServer,
  type LlmServerOptions,
  type Protocol,
  sendJson,
  startLlmServer,
  streamPieces,
  textChunks,
  usageOf,
} from './script.js';

/**
 * OpenAI's API as its SDK and every OpenAI-compatible server speak it: Chat Completions
 * (`POST /v1/chat/completions`, JSON or SSE `data: {chunk}` lines ending `data: [DONE]`, tool call
 * deltas by index, the usage chunk when `stream_options.include_usage`), Responses
 * (`POST /v1/responses`, named SSE events from `response.created` to `response.completed`), and
 * `GET /v1/models`. Errors are `{"error":{"message","type","param","code"}}`; a key is a bearer token.
 */

const CREATED = 1_767_225_600;

function errorType(status: number): string {
  if (status === 401) return 'invalid_api_key';
  if (status === 429) return 'rate_limit_exceeded';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

function sendFault(res: ServerResponse, step: FaultStep): void {
  sendJson(
    res,
    step.status,
    {
      error: {
        message: step.message ?? `scripted ${step.status}`,
        type: errorType(step.status),
        param: null,
        code: step.status === 401 ? 'invalid_api_key' : null,
      },
    },
    faultHeaders(step),
  );
}

function authenticate(req: IncomingMessage, options: LlmServerOptions): FaultStep | null {
  if (options.apiKey === undefined) return null;
  if (req.headers.authorization === `Bearer ${options.apiKey}`) return null;
  return { type: 'fault', status: 401, message: 'Incorrect API key provided.' };
}

function openSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
}

type ChatPiece = { text: string } | { call: number; id?: string; name?: string; args: string };

function chatPieces(step: AnswerStep, exchange: Exchange): ChatPiece[] {
  const pieces: ChatPiece[] = textChunks(step).map((text) => ({ text }));
  (step.toolCalls ?? []).forEach((call, index) => {
    const args = argumentPieces(call);
    const id = call.id ?? exchange.id('call_');
    pieces.push({ call: index, id, name: call.name, args: args[0] ?? '' });
    for (const piece of args.slice(1)) pieces.push({ call: index, args: piece });
  });
  return pieces;
}

async function chat(exchange: Exchange): Promise<void> {
  const step = exchange.next();
  if (step.type === 'fault') return sendFault(exchange.res, step);
  await delay(step.headersDelayMs);
  const body = exchange.request.body ?? {};
  const model = step.model ?? String(body.model);
  const usage = usageOf(step, exchange.request);
  const usageJson = {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens },
  };
  const id = exchange.id('chatcmpl-');
  const pieces = chatPieces(step, exchange);
  if (body.stream !== true) {
    const calls = (step.toolCalls ?? []).map((call, index) => {
      const first = pieces.find((p) => 'call' in p && p.call === index && p.id !== undefined);
      return {
        id: first !== undefined && 'id' in first ? first.id : `call_${index}`,
        type: 'function',
        function: { name: call.name, arguments: argumentPieces(call).join('') },
      };
    });
    const content = textChunks(step).join('');
    sendJson(exchange.res, 200, {
      id,
      object: 'chat.completion',
      created: CREATED,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: calls.length > 0 && content === '' ? null : content,
            ...(calls.length > 0 ? { tool_calls: calls } : {}),
          },
          logprobs: null,
          finish_reason: finishOf(step),
        },
      ],
      usage: usageJson,
    });
    return;
  }
  const res = exchange.res;
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    res.write(
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created: CREATED,
        model,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      })}\n\n`,
    );
  openSse(res);
  chunk({ role: 'assistant', content: '' });
  const whole = await streamPieces(exchange, step, pieces, (piece) => {
    if ('text' in piece) return chunk({ content: piece.text });
    const call: Record<string, unknown> = { index: piece.call };
    if (piece.id !== undefined) Object.assign(call, { id: piece.id, type: 'function' });
    call.function =
      piece.name !== undefined ? { name: piece.name, arguments: piece.args } : { arguments: piece.args };
    chunk({ tool_calls: [call] });
  });
  if (!whole) return;
  chunk({}, finishOf(step));
  const streamOptions = body.stream_options as { include_usage?: boolean } | undefined;
  if (streamOptions?.include_usage === true)
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: CREATED, model, choices: [], usage: usageJson })}\n\n`,
    );
  res.end('data: [DONE]\n\n');
}

async function responses(exchange: Exchange): Promise<void> {
  const step = exchange.next();
  if (step.type === 'fault') return sendFault(exchange.res, step);
  await delay(step.headersDelayMs);
  const body = exchange.request.body ?? {};
  const model = step.model ?? String(body.model);
  const usage = usageOf(step, exchange.request);
  const id = exchange.id('resp_');
  const messageId = exchange.id('msg_');
  const text = textChunks(step);
  const calls = (step.toolCalls ?? []).map((call) => ({
    id: exchange.id('fc_'),
    call_id: call.id ?? exchange.id('call_'),
    name: call.name,
    pieces: argumentPieces(call),
  }));
  const output: Record<string, unknown>[] = [];
  if (text.length > 0)
    output.push({
      type: 'message',
      id: messageId,
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: text.join(''), annotations: [] }],
    });
  for (const call of calls)
    output.push({
      type: 'function_call',
      id: call.id,
      call_id: call.call_id,
      name: call.name,
      arguments: call.pieces.join(''),
      status: 'completed',
    });
  const incomplete = finishOf(step) === 'length';
  const response = (status: string, extra: Record<string, unknown> = {}) => ({
    id,
    object: 'response',
    created_at: CREATED,
    status,
    model,
    output: [],
    incomplete_details: null,
    ...extra,
  });
  const usageJson = {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: usage.cachedInputTokens },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
  const final = response(incomplete ? 'incomplete' : 'completed', {
    output,
    usage: usageJson,
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
  });
  if (body.stream !== true) return sendJson(exchange.res, 200, final);

  const res = exchange.res;
  let sequence = 0;
  const event = (type: string, data: Record<string, unknown>) => {
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence, ...data })}\n\n`);
    sequence += 1;
  };
  openSse(res);
  event('response.created', { response: response('in_progress') });
  event('response.in_progress', { response: response('in_progress') });
  // One group per content delta; an item's opening events go with its first delta, its closing
  // events with the next item's first delta (or after the last one).
  const items: { index: number; deltas: string[] }[] = [];
  if (text.length > 0) items.push({ index: 0, deltas: text });
  for (const call of calls) items.push({ index: items.length, deltas: call.pieces });
  const open = (at: number) => {
    const item = output[at] as Record<string, unknown>;
    if (item.type === 'message') {
      event('response.output_item.added', {
        output_index: at,
        item: { ...item, status: 'in_progress', content: [] },
      });
      event('response.content_part.added', {
        item_id: item.id,
        output_index: at,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] },
      });
    } else
      event('response.output_item.added', {
        output_index: at,
        item: { ...item, status: 'in_progress', arguments: '' },
      });
  };
  const close = (at: number) => {
    const item = output[at] as Record<string, unknown>;
    if (item.type === 'message') {
      const part = { type: 'output_text', text: text.join(''), annotations: [] };
      event('response.output_text.done', {
        item_id: item.id,
        output_index: at,
        content_index: 0,
        text: part.text,
      });
      event('response.content_part.done', { item_id: item.id, output_index: at, content_index: 0, part });
    } else
      event('response.function_call_arguments.done', {
        item_id: item.id,
        output_index: at,
        arguments: item.arguments,
      });
    event('response.output_item.done', { output_index: at, item });
  };
  const groups: (() => void)[] = [];
  for (const item of items) {
    item.deltas.forEach((delta, n) => {
      const at = item.index;
      const record = output[at] as Record<string, unknown>;
      groups.push(() => {
        if (n === 0) {
          if (at > 0) close(at - 1);
          open(at);
        }
        if (record.type === 'message')
          event('response.output_text.delta', {
            item_id: record.id,
            output_index: at,
            content_index: 0,
            delta,
          });
        else event('response.function_call_arguments.delta', { item_id: record.id, output_index: at, delta });
      });
    });
  }
  const whole = await streamPieces(exchange, step, groups, (group) => group());
  if (!whole) return;
  if (items.length > 0) close(items.length - 1);
  event(incomplete ? 'response.incomplete' : 'response.completed', { response: final });
  res.end();
}

function models(exchange: Exchange): void {
  sendJson(exchange.res, 200, {
    object: 'list',
    data: (exchange.options.models ?? []).map((id) => ({
      id,
      object: 'model',
      created: CREATED,
      owned_by: 'astra-test',
    })),
  });
}

const openAiProtocol: Protocol = {
  name: 'openai',
  authenticate,
  sendFault,
  async handle(exchange) {
    const { method, path } = exchange.request;
    if (method === 'POST' && path === '/v1/chat/completions') await chat(exchange);
    else if (method === 'POST' && path === '/v1/responses') await responses(exchange);
    else if (method === 'GET' && path === '/v1/models') models(exchange);
    else if (method === 'POST' && path === '/v1/embeddings')
      openAiEmbeddings(exchange, (step) => sendFault(exchange.res, step));
    else return false;
    return true;
  },
};

/** An OpenAI-compatible server on 127.0.0.1 (its base URL for SDKs is `${url}/v1`). */
export function startOpenAiServer(options: LlmServerOptions = {}): Promise<LlmServer> {
  return startLlmServer(openAiProtocol, options);
}
