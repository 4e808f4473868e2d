import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the LLM protocol servers (OpenAI, Anthropic, Ollama) share: the script of answers and
 * faults a test queues, the log of requests received, and the HTTP plumbing. Each request to a
 * model endpoint takes the next step of the script (or the default answer when the script is
 * empty); each protocol file renders the step in its own wire format.
 *
 * Deterministic: no timers except the delays a step asks for (`chunkDelayMs`, `headersDelayMs`).
 */

export interface ScriptedToolCall {
  /** The provider's call id; a counter-based one when absent. */
  readonly id?: string;
  readonly name: string;
  /** The arguments JSON text, in the pieces the stream sends (one piece when a string). */
  readonly arguments: string | readonly string[];
}

export interface ScriptedUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens?: number;
}

/** An answer: text (in chunks), tool calls, or a JSON value (sent as text), and how to stream it. */
export interface AnswerStep {
  readonly type?: 'answer';
  /** The text, in the chunks the stream sends (one chunk when a string). */
  readonly text?: string | readonly string[];
  /** Shorthand for text: `JSON.stringify(json)` cut in chunks of about 8 characters. */
  readonly json?: unknown;
  readonly toolCalls?: readonly ScriptedToolCall[];
  /** Defaults: input = request characters / 4, output = number of chunks sent. */
  readonly usage?: ScriptedUsage;
  /** Default: `tool_calls` with tool calls, otherwise `stop`. */
  readonly finishReason?: 'stop' | 'length' | 'tool_calls';
  /** The model the answer names (default: the one asked for). */
  readonly model?: string;
  /** Delay before each chunk after the first (a slow stream). */
  readonly chunkDelayMs?: number;
  /** Delay before the response headers (a server that does not answer). */
  readonly headersDelayMs?: number;
  /**
   * The stream stops after its first chunk until this settles: a test resolves it on seeing the
   * first delta, which proves the client yields deltas as they arrive (a buffering client hangs).
   */
  readonly holdAfterFirstChunk?: Promise<unknown>;
  /** Destroys the socket after this many content chunks (a stream broken halfway). */
  readonly abortAfterChunks?: number;
  /** Called when the client closes the connection before the answer ended (an aborted stream). */
  readonly onClientGone?: () => void;
}

/** An HTTP error answer in the protocol's error shape. */
export interface FaultStep {
  readonly type: 'fault';
  readonly status: number;
  readonly message?: string;
  /** `retry-after` header, in seconds. */
  readonly retryAfterS?: number;
  /** `retry-after-ms` header. */
  readonly retryAfterMs?: number;
}

export type ScriptStep = AnswerStep | FaultStep;

/** A fault step, e.g. `fault(429, { retryAfterS: 2 })`, `fault(529)`. */
export function fault(status: number, options: Omit<FaultStep, 'type' | 'status'> = {}): FaultStep {
  return { type: 'fault', status, ...options };
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The parsed JSON body (undefined for a GET or a body that is not JSON). */
  readonly body: Record<string, unknown> | undefined;
}

export interface LlmServerOptions {
  /** When set, model and list requests must carry this key (else 401 in the protocol's shape). */
  readonly apiKey?: string;
  /** What the models endpoint lists. */
  readonly models?: readonly string[];
  /** Answer when the script is empty (default: the text `ok`). */
  readonly defaultStep?: ScriptStep;
}

export interface LlmServer {
  /** Base URL without a path (`http://127.0.0.1:PORT`); OpenAI clients append `/v1`. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Queues steps: each chat/generation request takes the next one (embedding requests do not). */
  script(...steps: ScriptStep[]): void;
  /**
   * Queues faults for the embeddings endpoint, a queue of its own, so that embedding calls (memory
   * recall, dedup) never take the answers scripted for model calls; an empty queue answers vectors.
   */
  scriptEmbeddings(...steps: FaultStep[]): void;
  /** Steps not yet taken. */
  pending(): number;
  /** Resolves once `count` requests in all have been received. */
  whenRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

/** What a protocol file implements; `start` turns it into a server. */
export interface Protocol {
  readonly name: string;
  /** Checks auth headers; returns an error step for a request that must be refused. */
  authenticate(req: IncomingMessage, options: LlmServerOptions): FaultStep | null;
  /** Routes one request; returns false for an unknown route (404). */
  handle(exchange: Exchange): Promise<boolean>;
  /** Sends a fault in the protocol's error shape. */
  sendFault(res: ServerResponse, step: FaultStep): void;
}

export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly request: RecordedRequest;
  readonly options: LlmServerOptions;
  /** The next scripted step. */
  next(): ScriptStep;
  /** The next scripted embeddings fault, if any. */
  nextEmbeddingFault(): FaultStep | undefined;
  /** A counter for ids (`call_1`, `msg_2`…), per server. */
  id(prefix: string): string;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function faultHeaders(step: FaultStep): Record<string, string> {
  const headers: Record<string, string> = {};
  if (step.retryAfterS !== undefined) headers['retry-after'] = String(step.retryAfterS);
  if (step.retryAfterMs !== undefined) headers['retry-after-ms'] = String(step.retryAfterMs);
  return headers;
}

export function delay(ms: number | undefined): Promise<void> {
  return ms === undefined || ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms));
}

/** The text chunks of an answer step. */
export function textChunks(step: AnswerStep): string[] {
  if (step.json !== undefined) {
    const text = JSON.stringify(step.json);
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += 8) chunks.push(text.slice(i, i + 8));
    return chunks;
  }
  if (step.text === undefined) return [];
  return typeof step.text === 'string' ? [step.text] : [...step.text];
}

export function argumentPieces(call: ScriptedToolCall): string[] {
  return typeof call.arguments === 'string' ? [call.arguments] : [...call.arguments];
}

export function finishOf(step: AnswerStep): 'stop' | 'length' | 'tool_calls' {
  return (
    step.finishReason ?? (step.toolCalls !== undefined && step.toolCalls.length > 0 ? 'tool_calls' : 'stop')
  );
}

export function usageOf(step: AnswerStep, request: RecordedRequest): Required<ScriptedUsage> {
  const chunks =
    textChunks(step).length + (step.toolCalls ?? []).reduce((n, c) => n + argumentPieces(c).length, 0);
  return {
    inputTokens: step.usage?.inputTokens ?? Math.ceil(JSON.stringify(request.body ?? {}).length / 4),
    outputTokens: step.usage?.outputTokens ?? chunks,
    cachedInputTokens: step.usage?.cachedInputTokens ?? 0,
  };
}

/**
 * Writes the pieces of a stream, honouring the step's delay and socket abort. `pieces` are
 * content-bearing writes (each counts as a chunk for `abortAfterChunks`); `write` renders one.
 * Returns false when the stream was cut (the caller writes nothing more).
 */
export async function streamPieces<T>(
  exchange: Exchange,
  step: AnswerStep,
  pieces: readonly T[],
  write: (piece: T) => void,
): Promise<boolean> {
  let sent = 0;
  for (const piece of pieces) {
    if (step.abortAfterChunks !== undefined && sent >= step.abortAfterChunks) {
      // What was written reaches the client first; then the connection closes mid-body.
      await new Promise<void>((resolve) => exchange.res.write('', () => resolve()));
      exchange.res.socket?.destroy();
      return false;
    }
    if (sent > 0) await delay(step.chunkDelayMs);
    if (exchange.res.destroyed) return false;
    write(piece);
    sent += 1;
    if (sent === 1 && step.holdAfterFirstChunk !== undefined) await step.holdAfterFirstChunk;
  }
  return true;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function parseJson(text: string): Record<string, unknown> | undefined {
  if (text.length === 0) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function startLlmServer(protocol: Protocol, options: LlmServerOptions = {}): Promise<LlmServer> {
  const queue: ScriptStep[] = [];
  const embeddingFaults: FaultStep[] = [];
  const requests: RecordedRequest[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  let counter = 0;
  const fallback: ScriptStep = options.defaultStep ?? { text: 'ok' };

  const server = http.createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const request: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        headers: { ...req.headers },
        body: parseJson(raw),
      };
      requests.push(request);
      for (const waiter of waiters.filter((w) => requests.length >= w.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      const exchange: Exchange = {
        req,
        res,
        request,
        options,
        next: () => {
          const step = queue.shift() ?? fallback;
          const gone = step.type === 'fault' ? undefined : step.onClientGone;
          if (gone !== undefined)
            res.once('close', () => {
              if (!res.writableFinished) gone();
            });
          return step;
        },
        nextEmbeddingFault: () => embeddingFaults.shift(),
        id: (prefix) => {
          counter += 1;
          return `${prefix}${counter}`;
        },
      };
      const refused = protocol.authenticate(req, options);
      if (refused !== null) {
        protocol.sendFault(res, refused);
        return;
      }
      if (!(await protocol.handle(exchange))) sendJson(res, 404, { error: `no route ${request.path}` });
    })().catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(error) });
      else res.destroy();
    });
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    script: (...steps) => {
      queue.push(...steps);
    },
    scriptEmbeddings: (...steps) => {
      embeddingFaults.push(...steps);
    },
    pending: () => queue.length,
    whenRequests: (count) =>
      requests.length >= count
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ count, resolve })),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
