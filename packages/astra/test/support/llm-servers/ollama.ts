import type { IncomingMessage, ServerResponse } from 'node:http';
import { ollamaEmbed } from './embeddings.js';
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
 * Ollama's native API: `POST /api/chat` (NDJSON lines `{model, created_at, message, done:false}`,
 * then one `done: true` line with `done_reason`, `prompt_eval_count` and `eval_count`; `stream:
 * false` gives that last line whole), tool calls whole in one message (`arguments` an object, as
 * Ollama sends them), `format` a JSON schema, `GET /api/tags`, `GET /api/version`. Errors are
 * `{"error":"…"}`. When the server has a key it wants `Authorization: Bearer` (a proxy in front).
 */

export const OLLAMA_VERSION = '0.13.0';
const CREATED_AT = '2026-01-01T00:00:00.000000Z';

function sendFault(res: ServerResponse, step: FaultStep): void {
  sendJson(res, step.status, { error: step.message ?? `scripted ${step.status}` }, faultHeaders(step));
}

function authenticate(req: IncomingMessage, options: LlmServerOptions): FaultStep | null {
  if (options.apiKey === undefined || req.headers.authorization === `Bearer ${options.apiKey}`) return null;
  return { type: 'fault', status: 401, message: 'unauthorized' };
}

const DONE_REASONS = { stop: 'stop', length: 'length', tool_calls: 'stop' } as const;

async function chat(exchange: Exchange): Promise<void> {
  const step: AnswerStep | FaultStep = exchange.next();
  if (step.type === 'fault') return sendFault(exchange.res, step);
  await delay(step.headersDelayMs);
  const body = exchange.request.body ?? {};
  const model = step.model ?? String(body.model);
  const usage = usageOf(step, exchange.request);
  const text = textChunks(step);
  const toolCalls = (step.toolCalls ?? []).map((call, index) => {
    const joined = argumentPieces(call).join('');
    return {
      id: call.id ?? exchange.id('call_'),
      function: { index, name: call.name, arguments: joined === '' ? {} : JSON.parse(joined) },
    };
  });
  const last = {
    model,
    created_at: CREATED_AT,
    done: true,
    done_reason: DONE_REASONS[finishOf(step)],
    total_duration: 1_000_000,
    load_duration: 1000,
    prompt_eval_count: usage.inputTokens,
    prompt_eval_duration: 1000,
    eval_count: usage.outputTokens,
    eval_duration: 1000,
  };
  if (body.stream === false) {
    const message: Record<string, unknown> = { role: 'assistant', content: text.join('') };
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    return sendJson(exchange.res, 200, { ...last, message });
  }
  const res = exchange.res;
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  res.flushHeaders();
  const line = (message: Record<string, unknown>) =>
    res.write(
      `${JSON.stringify({ model, created_at: CREATED_AT, message: { role: 'assistant', ...message }, done: false })}\n`,
    );
  const pieces: Record<string, unknown>[] = text.map((content) => ({ content }));
  if (toolCalls.length > 0) pieces.push({ content: '', tool_calls: toolCalls });
  if (!(await streamPieces(exchange, step, pieces, line))) return;
  res.end(`${JSON.stringify({ ...last, message: { role: 'assistant', content: '' } })}\n`);
}

function tags(exchange: Exchange): void {
  sendJson(exchange.res, 200, {
    models: (exchange.options.models ?? []).map((name) => ({
      name,
      model: name,
      modified_at: CREATED_AT,
      size: 1000,
      digest: 'sha256:0',
      details: { format: 'gguf', family: 'test', parameter_size: '1B', quantization_level: 'Q4_0' },
    })),
  });
}

const ollamaProtocol: Protocol = {
  name: 'ollama',
  authenticate,
  sendFault,
  async handle(exchange) {
    const { method, path } = exchange.request;
    if (method === 'POST' && path === '/api/chat') await chat(exchange);
    else if (method === 'GET' && path === '/api/tags') tags(exchange);
    else if (method === 'POST' && path === '/api/embed')
      ollamaEmbed(exchange, (step) => sendFault(exchange.res, step));
    else if (method === 'GET' && path === '/api/version')
      sendJson(exchange.res, 200, { version: OLLAMA_VERSION });
    else return false;
    return true;
  },
};

/** An Ollama server on 127.0.0.1 (`OLLAMA_HOST` / the client's host is `url`). */
export function startOllamaServer(options: LlmServerOptions = {}): Promise<LlmServer> {
  return startLlmServer(ollamaProtocol, options);
}
