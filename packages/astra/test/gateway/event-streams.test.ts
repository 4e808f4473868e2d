import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraClient } from '@astra/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningNode, startNode } from '../../src/app/node.js';
import { createLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/time/clock.js';
import { runAstra } from '../e2e/astra-process.js';
import { postgresFlags, testNodeConfig } from '../support/node-config.js';
import { testServices } from '../support/services.js';
import { createTestPostgresStore, type TestPostgresStore } from '../support/sql.js';

/**
 * The live event stream, the audit export and the body limit over real HTTP, against a real node
 * (every role, its own Postgres database; PGlite when Postgres is not reachable): SSE read with
 * fetch, WebSocket with the `ws` client. Goals run for real, so the events are the kernel's own.
 */
const ALLOWED_ORIGIN = 'https://app.example.test';
/** Every test runs goals on a real node (one also starts the CLI); on a busy machine that takes far
 * longer than the default 30 s, though each waits on events, not on time. */
const SLOW = { timeout: 120_000 };
let node: RunningNode;
let url: string;
let database: TestPostgresStore | undefined;
let dataDir: string;
const adminToken = `events-admin-${randomBytes(18).toString('hex')}`;

interface WireEvent {
  id: number;
  type: string;
  agent_id: string | null;
  goal_id: string | null;
}

beforeAll(async () => {
  database =
    testServices().postgresUrl === null ? undefined : await createTestPostgresStore({ maxConnections: 4 });
  dataDir = mkdtempSync(path.join(tmpdir(), 'astra-events-'));
  const config = testNodeConfig({
    dataDir,
    adminToken,
    corsOrigins: ALLOWED_ORIGIN,
    bodyLimitBytes: 4096,
    eventsPollMs: 20,
    eventsHeartbeatMs: 1000,
    ...postgresFlags(database),
  });
  node = await startNode(config, {
    clock: systemClock,
    logger: createLogger({ level: 'silent' }),
    adminToken,
  });
  url = node.url as string;
}, 60_000);

let stopped = false;

afterAll(async () => {
  if (!stopped) await node?.stop();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${adminToken}` };

async function api<T>(method: string, target: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}${target}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status >= 300)
    throw new Error(`${method} ${target}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const createAgent = async (name: string): Promise<string> =>
  (await api<{ actor_id: string }>('POST', '/agents', { name })).actor_id;

const submitGoal = async (agentId: string, tasks = 3): Promise<string> =>
  (
    await api<{ goal_id: string }>('POST', `/agents/${agentId}/goals`, {
      goal_text: 'stream me',
      plan: {
        tasks: Array.from({ length: tasks }, (_, i) => ({
          id: `t${i}`,
          type: 'noop',
          ...(i === 0 ? {} : { depends_on: [`t${i - 1}`] }),
        })),
      },
    })
  ).goal_id;

/** An SSE client over fetch: events as they arrive, raw comments counted. */
class SseClient {
  readonly events: WireEvent[] = [];
  comments = 0;
  readonly #abort = new AbortController();
  readonly #waiters: { test: () => boolean; resolve: () => void }[] = [];
  readonly done: Promise<void>;
  status = 0;

  constructor(query: string, headers: Record<string, string> = {}) {
    this.done = this.#run(query, headers);
  }

  async #run(query: string, headers: Record<string, string>): Promise<void> {
    const response = await fetch(`${url}/events/stream${query}`, {
      headers: { ...auth, ...headers },
      signal: this.#abort.signal,
    });
    this.status = response.status;
    if (response.body === null) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          this.#message(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
      }
    } catch (error) {
      if (!this.#abort.signal.aborted) throw error;
    }
  }

  #message(block: string): void {
    let id: number | undefined;
    let data: string | undefined;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments++;
      else if (line.startsWith('id: ')) id = Number(line.slice(4));
      else if (line.startsWith('data: ')) data = line.slice(6);
    }
    if (data !== undefined) {
      const event = JSON.parse(data) as WireEvent;
      expect(event.id).toBe(id);
      this.events.push(event);
    }
    for (const waiter of this.#waiters.filter((w) => w.test())) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }

  until(test: (events: WireEvent[]) => boolean): Promise<void> {
    const check = (): boolean => test(this.events);
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ test: check, resolve }));
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.done;
  }
}

const ended = (goalId: string) => (events: WireEvent[]) =>
  events.some((e) => e.goal_id === goalId && e.type === 'GoalCompleted');

async function eventIds(where: string, params: unknown[]): Promise<number[]> {
  const { rows } = await node.backends.store.query<{ id: string }>(
    `SELECT id FROM events WHERE ${where} ORDER BY id`,
    params,
  );
  return rows.map((row) => Number(row.id));
}

describe('live event stream (SSE)', SLOW, () => {
  it("streams a running goal's events in order, only the filtered agent's, with every id the log holds", async () => {
    const [agent, other] = [await createAgent('streamed'), await createAgent('other')];
    const stream = new SseClient(`?agent_id=${agent}`);
    await stream.until(() => stream.status === 200 && stream.comments > 0);
    const otherGoal = await submitGoal(other);
    const goal = await submitGoal(agent);
    await stream.until(ended(goal));
    await stream.close();
    expect(stream.events.every((e) => e.agent_id === agent)).toBe(true);
    const ids = stream.events.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids).toEqual(
      await eventIds('actor_id = $1 AND id BETWEEN $2 AND $3', [agent, ids[0], ids.at(-1)]),
    );
    expect(stream.events.map((e) => e.type)).toContain('GoalCreated');
    expect(stream.events.some((e) => e.goal_id === otherGoal)).toBe(false);
  });

  it('filters by goal and replays history after Last-Event-ID without gaps or repeats', async () => {
    const agent = await createAgent('resumed');
    const goal = await submitGoal(agent, 6);
    // From the start of the log: the goal's whole history so far, then live until it ends.
    const first = new SseClient(`?goal_id=${goal}`, { 'Last-Event-ID': '0' });
    await first.until((events) => events.length >= 3);
    await first.close();
    const seen = first.events.slice(0, 3);
    const resumed = new SseClient(`?goal_id=${goal}`, { 'Last-Event-ID': String(seen.at(-1)?.id) });
    await resumed.until(ended(goal));
    await resumed.close();
    const all = [...seen, ...resumed.events];
    expect(all.every((e) => e.goal_id === goal)).toBe(true);
    expect(all.map((e) => e.id)).toEqual(await eventIds('goal_id = $1 AND id <= $2', [goal, all.at(-1)?.id]));
  });

  it('refuses a malformed filter or Last-Event-ID with 400, and a caller without credentials with 401', async () => {
    const bad = await fetch(`${url}/events/stream?goal_id=nope`, { headers: auth });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('ASTRA_VALIDATION_FAILED');
    const badId = await fetch(`${url}/events/stream`, { headers: { ...auth, 'last-event-id': 'x' } });
    expect(badId.status).toBe(400);
    expect((await fetch(`${url}/events/stream`)).status).toBe(401);
  });
});

describe('SDK and CLI', SLOW, () => {
  it("the SDK's events() iterator and `astra events --goal` print a goal's events until it ends", async () => {
    const agent = await createAgent('sdk');
    const goal = await submitGoal(agent);
    const client = new AstraClient({ baseUrl: url, token: adminToken });
    const seen: number[] = [];
    for await (const event of client.events({ goalId: goal, afterId: 0 })) {
      seen.push(event.id);
      if (event.type === 'GoalCompleted') break;
    }
    const expected = await eventIds('goal_id = $1 AND id <= $2', [goal, seen.at(-1)]);
    expect(seen).toEqual(expected);
    const cli = runAstra(['events', '--goal', goal, '--after', '0', '--url', url], {
      ASTRA_TOKEN: adminToken,
    });
    expect(await cli.exited).toBe(0);
    expect(cli.stdout.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line).id)).toEqual(
      expected,
    );
  });
});

describe('live event stream (WebSocket)', SLOW, () => {
  const wsUrl = (query: string): string => `${url.replace(/^http/, 'ws')}/events/ws${query}`;

  /** Resolves with the HTTP status of a refused upgrade, or 101 once open (the socket is closed). */
  function connect(
    query: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(wsUrl(query), { headers });
      socket.on('open', () => {
        socket.close();
        resolve({ status: 101, body: '' });
      });
      socket.on('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      socket.on('error', (error) => reject(error));
    });
  }

  it('refuses an upgrade from a foreign Origin with 403 before upgrading; accepts an allowed one and none', async () => {
    const foreign = await connect('', { ...auth, origin: 'https://evil.example.test' });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body).error.code).toBe('ASTRA_ORIGIN_FORBIDDEN');
    expect((await connect('', { ...auth, origin: ALLOWED_ORIGIN })).status).toBe(101);
    expect((await connect('', auth)).status).toBe(101);
    expect((await connect('', {})).status).toBe(401);
    expect((await connect('?goal_id=nope', auth)).status).toBe(400);
  });

  it('takes ?access_token= (browsers cannot set headers) and streams the filtered events as JSON messages', async () => {
    const agent = await createAgent('ws');
    const socket = new WebSocket(wsUrl(`?agent_id=${agent}&access_token=${adminToken}`), {
      headers: { origin: ALLOWED_ORIGIN },
    });
    const events: WireEvent[] = [];
    let goal = '';
    const finished = new Promise<void>((resolve, reject) => {
      socket.on('message', (data) => {
        const event = JSON.parse(String(data)) as WireEvent;
        events.push(event);
        if (event.goal_id === goal && event.type === 'GoalCompleted') resolve();
      });
      socket.on('error', reject);
    });
    await new Promise<void>((resolve) => socket.on('open', () => resolve()));
    goal = await submitGoal(agent);
    await finished;
    socket.close();
    expect(events.every((e) => e.agent_id === agent)).toBe(true);
    const ids = events.map((e) => e.id);
    expect(ids).toEqual(
      await eventIds('actor_id = $1 AND id BETWEEN $2 AND $3', [agent, ids[0], ids.at(-1)]),
    );
  });
});

describe('audit export', SLOW, () => {
  it('streams the events within [since, until) as NDJSON, narrowed to one agent on request', async () => {
    const agent = await createAgent('audited');
    const goal = await submitGoal(agent);
    const watch = new SseClient(`?goal_id=${goal}`, { 'Last-Event-ID': '0' });
    await watch.until(ended(goal));
    await watch.close();
    const since = new Date(Date.now() - 60_000).toISOString();
    const until = new Date(Date.now() + 60_000).toISOString();
    const response = await fetch(`${url}/audit.ndjson?since=${since}&until=${until}&agent_id=${agent}`, {
      headers: auth,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const text = await response.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { kind: string; id: number; at: string; agent_id?: string });
    const events = lines.filter((line) => line.kind === 'event');
    expect(events.length).toBeGreaterThan(0);
    expect(events.map((e) => e.id)).toEqual(
      await eventIds('actor_id = $1 AND id <= $2', [agent, events.at(-1)?.id]),
    );
    for (const line of lines) {
      expect(line.at >= since && line.at < until).toBe(true);
      expect(['event', 'access_decision']).toContain(line.kind);
    }

    const past = await fetch(`${url}/audit.ndjson?until=${since}&agent_id=${agent}`, { headers: auth });
    expect(past.status).toBe(200);
    expect((await past.text()).split('\n').filter((line) => line.includes('"kind":"event"'))).toEqual([]);
    const backwards = await fetch(`${url}/audit.ndjson?since=${until}&until=${since}`, { headers: auth });
    expect(backwards.status).toBe(400);
  });
});

describe('request size limit', SLOW, () => {
  it('answers 413 ASTRA_PAYLOAD_TOO_LARGE to an oversize body and writes nothing', async () => {
    const count = async (): Promise<number> =>
      Number((await node.backends.store.query<{ n: string }>('SELECT count(*) AS n FROM agents')).rows[0]?.n);
    const before = await count();
    const response = await fetch(`${url}/agents`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'big', metadata: { blob: 'x'.repeat(8192) } }),
    });
    expect(response.status).toBe(413);
    expect((await response.json()).error.code).toBe('ASTRA_PAYLOAD_TOO_LARGE');
    expect(await count()).toBe(before);
    const malformed = await fetch(`${url}/agents`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(malformed.status).toBe(400);
  });
});

// Last: it stops the server.
describe('drain', SLOW, () => {
  it('ends open SSE and WebSocket streams when the server stops, so shutdown does not wait on them', async () => {
    const sse = new SseClient('');
    await sse.until(() => sse.status === 200 && sse.comments > 0);
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/events/ws`, { headers: auth });
    await new Promise<void>((resolve) => socket.on('open', () => resolve()));
    const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
    stopped = true;
    await node.stop();
    await sse.done;
    // A closing handshake, not a dropped connection (1006): going away, or no status given.
    expect([1001, 1005]).toContain(await closed);
  });
});
