import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { type RunningNode, startNode } from '../../src/app/node.js';
import { createLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/time/clock.js';
import { type LlmServer, startOpenAiServer } from '../support/llm-servers/index.js';
import { postgresFlags, testNodeConfig } from '../support/node-config.js';
import { testServices } from '../support/services.js';
import { createTestPostgresStore, type TestPostgresStore } from '../support/sql.js';

/**
 * A real node (every role: the gateway, and an executor for the chat's tool tasks) in this process,
 * on its own Postgres database (PGlite when Postgres is not reachable), whose only LLM provider is
 * the OpenAI protocol server on loopback; plus JSON and WebSocket helpers.
 */
export interface ChatNode {
  readonly node: RunningNode;
  readonly url: string;
  readonly server: LlmServer;
  readonly adminToken: string;
  api<T>(
    method: string,
    target: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: T }>;
  admin<T>(method: string, target: string, body?: unknown): Promise<T>;
  socket(target: string, headers?: Record<string, string>): Promise<ChatSocket>;
  stop(): Promise<void>;
}

export interface Frame {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** A WebSocket whose frames are kept in order, with a wait for the first frame that matches. */
export interface ChatSocket {
  readonly frames: Frame[];
  send(frame: unknown): void;
  next(match: (frame: Frame) => boolean): Promise<Frame>;
  readonly closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export async function startChatNode(settings: Readonly<Record<string, unknown>>): Promise<ChatNode> {
  const server = await startOpenAiServer({ apiKey: 'sk-chat', models: ['gpt-4o-mini'] });
  const database: TestPostgresStore | undefined =
    testServices().postgresUrl === null ? undefined : await createTestPostgresStore({ maxConnections: 6 });
  const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-chat-'));
  const adminToken = `chat-admin-${randomBytes(18).toString('hex')}`;
  const config = testNodeConfig({
    dataDir,
    adminToken,
    openaiApiKey: 'sk-chat',
    openaiBaseUrl: `${server.url}/v1`,
    llmDetectOllama: 'false',
    checkResponses: 'true',
    // The built-in embedder: recall needs no embeddings from the protocol server.
    memoryEmbedder: 'offline',
    ...postgresFlags(database),
    ...settings,
  });
  const node = await startNode(config, {
    clock: systemClock,
    logger: createLogger({ level: 'silent' }),
    adminToken,
  });
  const url = node.url as string;
  const api = async <T>(method: string, target: string, body?: unknown, token = adminToken) => {
    const response = await fetch(`${url}${target}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as T };
  };
  return {
    node,
    url,
    server,
    adminToken,
    api,
    admin: async <T>(method: string, target: string, body?: unknown) => {
      const answer = await api<T>(method, target, body);
      if (answer.status >= 300)
        throw new Error(`${method} ${target}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body;
    },
    socket: (target, headers = {}) => openSocket(`${url.replace(/^http/, 'ws')}${target}`, headers),
    stop: async () => {
      await node.stop();
      await server.close();
      await database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function openSocket(target: string, headers: Record<string, string>): Promise<ChatSocket> {
  const ws = new WebSocket(target, { headers });
  const frames: Frame[] = [];
  const waiters: { match: (frame: Frame) => boolean; resolve: (frame: Frame) => void; from: number }[] = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as Frame;
    frames.push(frame);
    for (const waiter of [...waiters])
      if (waiter.match(frame)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        frames,
        send: (frame) => ws.send(JSON.stringify(frame)),
        next: (match) => {
          const seen = frames.find(match);
          if (seen !== undefined) return Promise.resolve(seen);
          return new Promise((found) => waiters.push({ match, resolve: found, from: frames.length }));
        },
        closed,
        close: () => ws.close(),
      }),
    );
  });
}

/** Reads until `check` answers something other than undefined (a value the node writes in the background). */
export async function until<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never happened: ${what}`);
}
