import type { WebSocket } from '@fastify/websocket';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import type { AccessControl } from '../access/index.js';
import { defineRoutes, drained, parseInput, principalOf } from '../api/index.js';
import { StreamedEvent } from './api-schemas.js';
import { EventFeed, type EventFilter, eventJson, type Subscription } from './event-feed.js';
import { EVENTS_DEFAULTS } from './events-defaults.js';

/**
 * The live event stream: `GET /events/stream` (Server-Sent Events) and `GET /events/ws`
 * (WebSocket), both fed by the process's one event tail (event-feed.ts), filtered by
 * `goal_id` / `agent_id` and by what the caller may see. Each message carries the event's id;
 * SSE clients resume with `Last-Event-ID` (browsers do it by themselves), WebSocket clients with
 * `?last_event_id=`. Streams end when the client goes away, falls too far behind, or the server
 * drains. WebSocket upgrades from a browser origin outside ASTRA_CORS_ORIGINS are refused before
 * the upgrade; clients that send no Origin (servers, the CLI) are not browsers and may connect.
 */
export const EVENTS_WS_PATH = '/events/ws';

const StreamQuery = z.object({
  goal_id: z.uuid().optional(),
  agent_id: z.uuid().optional(),
  last_event_id: z.coerce.number().int().min(0).optional(),
});

/** How long a view decision is reused on one stream; revocations reach open streams this fast. */
const VIEW_CACHE_MS = 5000;

export interface EventRoutesOptions {
  readonly store: SqlStore;
  readonly clock: Clock;
  /** Decides, per agent, whether the caller may see its events. */
  readonly access: Pick<AccessControl, 'allows'>;
  /** Browser origins that may open the WebSocket (ASTRA_CORS_ORIGINS). */
  readonly corsOrigins: readonly string[];
  /** The tail's interval, the keep-alive interval, the per-client queue; default EVENTS_DEFAULTS.streams. */
  readonly streams?: { readonly pollMs: number; readonly heartbeatMs: number; readonly bufferSize: number };
}

export const eventRoutes: FastifyPluginAsync<EventRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  const settings = deps.streams ?? EVENTS_DEFAULTS.streams;
  const feed = new EventFeed({
    store: deps.store,
    clock: deps.clock,
    pollMs: settings.pollMs,
    bufferSize: settings.bufferSize,
    onError: (error) => app.log.warn({ err: error }, 'event tail read failed; retrying'),
  });
  // Open streams end before the server waits for its connections to close.
  app.addHook('preClose', async () => feed.close());
  const allowedOrigins = new Set(deps.corsOrigins);

  const open = async (request: FastifyRequest): Promise<Subscription> => {
    const query = parseInput(StreamQuery, request.query, 'query');
    const filter: EventFilter = {
      ...(query.goal_id === undefined ? {} : { goalId: query.goal_id.toLowerCase() }),
      ...(query.agent_id === undefined ? {} : { agentId: query.agent_id.toLowerCase() }),
    };
    const afterId = query.last_event_id ?? lastEventIdHeader(request);
    return feed.subscribe({
      filter,
      mayView: viewPredicate(request, deps),
      ...(afterId === undefined ? {} : { afterId }),
    });
  };

  define(
    {
      method: 'GET',
      path: '/events/stream',
      operationId: 'streamEvents',
      tag: 'events',
      summary:
        'Live events as Server-Sent Events (`id:` is the event id, `data:` the event as JSON), optionally for one goal or agent; `Last-Event-ID` resumes after an event without gaps or repeats.',
      query: StreamQuery,
      headers: { 'Last-Event-ID': 'Resume after this event id (sent by browsers when they reconnect).' },
      access: { action: 'agent.view', filtered: true },
      responses: {
        200: {
          description:
            '`text/event-stream`: one message per event (its `data` is a StreamedEvent); `: keep-alive` comments in between.',
          mediaType: 'text/event-stream',
          body: StreamedEvent,
        },
      },
      errors: { 400: 'ASTRA_VALIDATION_FAILED' },
    },
    async (request, reply) => {
      const subscription = await open(request);
      await serveSse(request, reply, subscription, settings.heartbeatMs);
    },
  );

  define(
    {
      method: 'GET',
      path: EVENTS_WS_PATH,
      operationId: 'connectEvents',
      queryToken: true,
      tag: 'events',
      summary:
        'The same live events over a WebSocket: one JSON text message per event. Browsers pass the token as `?access_token=` (they cannot set headers on a WebSocket) and must come from an origin in ASTRA_CORS_ORIGINS; clients without an Origin header may connect.',
      query: StreamQuery.extend({ access_token: z.string().optional() }),
      access: { action: 'agent.view', filtered: true },
      responses: { 101: { description: 'Switching protocols; then one StreamedEvent per text message.' } },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        403: 'ASTRA_ORIGIN_FORBIDDEN: the Origin header is not allowed',
        426: 'ASTRA_VALIDATION_FAILED: not a WebSocket upgrade',
      },
    },
    async () => {
      throw new AstraError('ASTRA_VALIDATION_FAILED', 'this route serves WebSocket upgrades only', {
        details: { reason: 'upgrade_required' },
      });
    },
    async (socket, request) => {
      const subscription = await open(request).catch((error: unknown) => {
        socket.close(1011, 'could not open the stream');
        throw error;
      });
      await serveWebSocket(socket, subscription, settings.heartbeatMs);
    },
  );

  // The Origin check and the query's validation run in a hook, so a refused upgrade gets its
  // 403 or 400 as an HTTP answer, before any upgrade.
  app.addHook('onRequest', async (request) => {
    if (request.url.split('?')[0] !== EVENTS_WS_PATH) return;
    checkOrigin(request, allowedOrigins);
    parseInput(StreamQuery, request.query, 'query');
  });
};

function checkOrigin(request: FastifyRequest, allowed: ReadonlySet<string>): void {
  const origin = request.headers.origin;
  if (origin === undefined || allowed.has(origin)) return;
  throw new AstraError('ASTRA_ORIGIN_FORBIDDEN', 'this origin may not open event streams', {
    details: { origin },
  });
}

function lastEventIdHeader(request: FastifyRequest): number | undefined {
  const header = request.headers['last-event-id'];
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d{1,15}$/.test(value.trim()))
    throw new AstraError('ASTRA_VALIDATION_FAILED', 'Last-Event-ID must be an event id', {
      details: { path: 'headers.last-event-id', reason: 'must be a non-negative integer' },
    });
  return Number(value.trim());
}

/**
 * Whether the caller may see an agent's events, decided by the access policies (`agent.view`;
 * events of no agent need `platform.view`) and remembered for a few seconds per stream.
 */
function viewPredicate(
  request: FastifyRequest,
  deps: Pick<EventRoutesOptions, 'clock' | 'access'>,
): (agentId: string | null) => Promise<boolean> {
  const principal = principalOf(request);
  const decided = new Map<string, { allowed: boolean; at: number }>();
  return async (agentId) => {
    const key = agentId ?? '';
    const now = deps.clock.now();
    const known = decided.get(key);
    if (known !== undefined && now - known.at < VIEW_CACHE_MS) return known.allowed;
    const allowed =
      agentId === null
        ? await deps.access.allows(principal, 'platform.view', { type: 'platform' })
        : await deps.access.allows(principal, 'agent.view', { type: 'agent', id: agentId });
    decided.set(key, { allowed, at: now });
    return allowed;
  };
}

async function serveSse(
  request: FastifyRequest,
  reply: FastifyReply,
  subscription: Subscription,
  heartbeatMs: number,
): Promise<void> {
  reply.hijack();
  const out = reply.raw;
  // Headers set by hooks (CORS) are kept; hijacking bypasses Fastify's own send.
  out.writeHead(200, {
    ...(reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  out.write('retry: 2000\n: connected\n\n');
  const heartbeat = setInterval(() => out.write(': keep-alive\n\n'), heartbeatMs);
  const gone = (): void => subscription.close();
  request.raw.once('close', gone);
  out.once('close', gone);
  try {
    for (;;) {
      const event = await subscription.next();
      if (event === null) break;
      const fits = out.write(`id: ${event.id}\ndata: ${JSON.stringify(eventJson(event))}\n\n`);
      if (!fits) await drained(out, subscription.ended);
    }
    if (subscription.endReason === 'overflow')
      out.write(': too far behind; reconnect with Last-Event-ID\n\n');
  } finally {
    clearInterval(heartbeat);
    subscription.close();
    out.end();
  }
}

async function serveWebSocket(
  socket: WebSocket,
  subscription: Subscription,
  heartbeatMs: number,
): Promise<void> {
  socket.on('close', () => subscription.close());
  // Nothing is expected from the client; anything it sends is ignored.
  socket.on('message', () => undefined);
  const heartbeat = setInterval(() => socket.ping(), heartbeatMs);
  try {
    for (;;) {
      const event = await subscription.next();
      if (event === null) break;
      socket.send(JSON.stringify(eventJson(event)));
      // A client that does not read lets bytes pile up in the socket; end it like a full queue.
      if (socket.bufferedAmount > 8 * 1024 * 1024) subscription.close('overflow');
    }
  } finally {
    clearInterval(heartbeat);
    const reason = subscription.endReason;
    if (socket.readyState === socket.OPEN)
      socket.close(
        reason === 'shutdown' ? 1001 : reason === 'overflow' ? 1008 : 1000,
        reason === 'overflow' ? 'too far behind; reconnect with last_event_id' : '',
      );
  }
}
