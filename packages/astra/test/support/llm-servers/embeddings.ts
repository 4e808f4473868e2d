import { createHash } from 'node:crypto';
import { type Exchange, type FaultStep, sendJson } from './script.js';

/**
 * The embeddings endpoints of the protocol servers: OpenAI's `POST /v1/embeddings` and Ollama's
 * `POST /api/embed`. Each request takes the next fault of the embeddings queue
 * (`scriptEmbeddings`, apart from the model calls' script) and sends it as the protocol's error;
 * with none queued it answers with `serverVector` of each input (deterministic: the SHA-256 of the
 * text spread over the dimensions, not normalised, so clients must normalise). Dimensions: the
 * request's `dimensions`, else 8. Usage: one token per 4 characters of input, rounded up.
 */
export function serverVector(text: string, dimensions: number): number[] {
  const out: number[] = [];
  for (let i = 0; out.length < dimensions; i += 1) {
    const digest = createHash('sha256').update(`${i}:${text}`).digest();
    for (let j = 0; j + 1 < digest.length && out.length < dimensions; j += 2)
      out.push((digest.readUInt16BE(j) - 32768) / 1000);
  }
  return out;
}

function inputsOf(exchange: Exchange): { inputs: string[]; dimensions: number } {
  const body = exchange.request.body ?? {};
  const input = body.input;
  const inputs = typeof input === 'string' ? [input] : Array.isArray(input) ? input.map(String) : [];
  const dimensions = typeof body.dimensions === 'number' ? body.dimensions : 8;
  return { inputs, dimensions };
}

const tokensOf = (inputs: readonly string[]) => inputs.reduce((n, t) => n + Math.ceil(t.length / 4), 0);

export function openAiEmbeddings(exchange: Exchange, sendFault: (step: FaultStep) => void): void {
  const step = exchange.nextEmbeddingFault();
  if (step !== undefined) {
    sendFault(step);
    return;
  }
  const { inputs, dimensions } = inputsOf(exchange);
  const tokens = tokensOf(inputs);
  sendJson(exchange.res, 200, {
    object: 'list',
    data: inputs.map((text, index) => ({
      object: 'embedding',
      index,
      embedding: serverVector(text, dimensions),
    })),
    model: String(exchange.request.body?.model),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}

export function ollamaEmbed(exchange: Exchange, sendFault: (step: FaultStep) => void): void {
  const step = exchange.nextEmbeddingFault();
  if (step !== undefined) {
    sendFault(step);
    return;
  }
  const { inputs, dimensions } = inputsOf(exchange);
  sendJson(exchange.res, 200, {
    model: String(exchange.request.body?.model),
    embeddings: inputs.map((text) => serverVector(text, dimensions)),
    total_duration: 1000,
    load_duration: 100,
    prompt_eval_count: tokensOf(inputs),
  });
}
