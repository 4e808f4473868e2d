import type { IncomingMessage, ServerResponse } from 'node:http';
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
 * Anthropic's Messages API: `POST /v1/messages` as JSON or as its event stream (`message_start`
 * with the input usage, `content_block_start` text / tool_use, `content_block_delta` text_delta /
 * input_json_delta, `content_block_stop`, `message_delta` with the stop reason and output usage,
 * `message_stop`), `GET /v1/models`. Requests need `anthropic-version` (400 without) and, when the
 * server has a key, `x-api-key` or `Authorization: Bearer` (401 otherwise). Errors are `{"type":"error","error":{type,message}}`.
 */

function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 529) return 'overloaded_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

function sendFault(res: ServerResponse, step: FaultStep): void {
  sendJson(
    res,
    step.status,
    {
      type: 'error',
      error: { type: errorType(step.status), message: step.message ?? `scripted ${step.status}` },
    },
    { ...faultHeaders(step), 'request-id': 'req_scripted' },
  );
}

function authenticate(req: IncomingMessage, options: LlmServerOptions): FaultStep | null {
  if (req.headers['anthropic-version'] === undefined)
    return { type: 'fault', status: 400, message: 'anthropic-version: header is required' };
  if (options.apiKey === undefined) return null;
  // `x-api-key`, or the bearer form the 1.x SDK sends an API key in.
  if (req.headers['x-api-key'] === options.apiKey || req.headers.authorization === `Bearer ${options.apiKey}`)
    return null;
  return { type: 'fault', status: 401, message: 'invalid x-api-key' };
}

const STOP_REASONS = { stop: 'end_turn', length: 'max_tokens', tool_calls: 'tool_use' } as const;

async function messages(exchange: Exchange): Promise<void> {
  const step: AnswerStep | FaultStep = exchange.next();
  if (step.type === 'fault') return sendFault(exchange.res, step);
  await delay(step.headersDelayMs);
  const body = exchange.request.body ?? {};
  const model = step.model ?? String(body.model);
  const usage = usageOf(step, exchange.request);
  const id = exchange.id('msg_');
  const text = textChunks(step);
  const calls = (step.toolCalls ?? []).map((call) => ({
    id: call.id ?? exchange.id('toolu_'),
    name: call.name,
    pieces: argumentPieces(call),
  }));
  const content: Record<string, unknown>[] = [];
  if (text.length > 0) content.push({ type: 'text', text: text.join('') });
  for (const call of calls) {
    const joined = call.pieces.join('');
    content.push({
      type: 'tool_use',
      id: call.id,
      name: call.name,
      input: joined === '' ? {} : JSON.parse(joined),
    });
  }
  const stopReason = STOP_REASONS[finishOf(step)];
  const usageJson = {
    input_tokens: usage.inputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: usage.cachedInputTokens,
    output_tokens: usage.outputTokens,
  };
  const message = (extra: Record<string, unknown>) => ({
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    ...extra,
  });
  if (body.stream !== true)
    return sendJson(exchange.res, 200, message({ content, stop_reason: stopReason, usage: usageJson }));

  const res = exchange.res;
  const event = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': id });
  res.flushHeaders();
  event('message_start', { message: message({ usage: { ...usageJson, output_tokens: 1 } }) });
  event('ping', {});
  const blocks: { start: Record<string, unknown>; deltas: Record<string, unknown>[] }[] = [];
  if (text.length > 0)
    blocks.push({
      start: { type: 'text', text: '' },
      deltas: text.map((piece) => ({ type: 'text_delta', text: piece })),
    });
  for (const call of calls)
    blocks.push({
      start: { type: 'tool_use', id: call.id, name: call.name, input: {} },
      deltas: call.pieces.map((piece) => ({ type: 'input_json_delta', partial_json: piece })),
    });
  const groups: (() => void)[] = [];
  blocks.forEach((block, index) => {
    block.deltas.forEach((delta, n) => {
      groups.push(() => {
        if (n === 0) {
          if (index > 0) event('content_block_stop', { index: index - 1 });
          event('content_block_start', { index, content_block: block.start });
        }
        event('content_block_delta', { index, delta });
      });
    });
  });
  if (!(await streamPieces(exchange, step, groups, (group) => group()))) return;
  if (blocks.length > 0) event('content_block_stop', { index: blocks.length - 1 });
  event('message_delta', {
    delta: { stop_reason: stopReason, stop_sequence: null },
    usage: { output_tokens: usage.outputTokens },
  });
  event('message_stop', {});
  res.end();
}

function models(exchange: Exchange): void {
  const data = (exchange.options.models ?? []).map((id) => ({
    type: 'model',
    id,
    display_name: id,
    created_at: '2026-01-01T00:00:00Z',
  }));
  sendJson(exchange.res, 200, {
    data,
    has_more: false,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  });
}

const anthropicProtocol: Protocol = {
  name: 'anthropic',
  authenticate,
  sendFault,
  async handle(exchange) {
    const { method, path } = exchange.request;
    if (method === 'POST' && path === '/v1/messages') await messages(exchange);
    else if (method === 'GET' && path === '/v1/models') models(exchange);
    else return false;
    return true;
  },
};

/** An Anthropic Messages server on 127.0.0.1 (the SDK's base URL is `url`, without `/v1`). */
export function startAnthropicServer(options: LlmServerOptions = {}): Promise<LlmServer> {
  return startLlmServer(anthropicProtocol, options);
}
