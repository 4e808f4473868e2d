import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AstraError, normalizeError } from '../../errors/index.js';
import type { SqlExecutor, SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { decisionsInWindow, PLATFORM, type StoredDecision } from '../access/index.js';
import { defineRoutes, drained, parseInput } from '../api/index.js';
import { eventsInWindow, type LoggedEvent } from './event-store.js';

/**
 * The audit export, `GET /audit.ndjson?since&until&agent_id` (upstream's path and default window
 * of 7 days): one JSON object per line, streamed as it is read — each source is paged by keyset
 * (`id > last`, 1000 rows a page), so memory stays flat however large the window. Sources, in
 * order: the event log (`kind: "event"`), then the access decisions (`kind: "access_decision"`).
 * A source is a store's paged read and a line mapping; adding one is a few lines.
 * A failure after the first line cannot change the status any more: it ends the body with a
 * `{"kind":"error", code, message}` line, so a reader can tell a cut export from a complete one.
 */
const PAGE = 1000;
const DEFAULT_WINDOW_MS = 7 * 24 * 3600 * 1000;

const AuditQuery = z.object({
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  agent_id: z.uuid().optional(),
});

interface Window {
  readonly since: Date;
  readonly until: Date;
  readonly agentId: string | null;
}

/** One part of the export: a keyset-paged read (services' stores) and how each record is written. */
interface AuditSource<T extends { readonly id: number }> {
  /** Records after `afterId` within the window, oldest first, at most PAGE. */
  page(db: SqlExecutor, window: Window, afterId: number): Promise<readonly T[]>;
  line(record: T): Record<string, unknown>;
}

const EVENTS: AuditSource<LoggedEvent> = {
  page: (db, window, afterId) => eventsInWindow(db, window, { afterId, limit: PAGE }),
  line: (event) => ({
    kind: 'event',
    id: event.id,
    at: event.createdAt,
    type: event.type,
    agent_id: event.agentId,
    goal_id: event.goalId,
    graph_id: event.graphId,
    task_id: event.taskId,
    payload: event.payload,
  }),
};

/** With `agent_id`, only decisions about that agent itself. */
const ACCESS_DECISIONS: AuditSource<StoredDecision> = {
  page: (db, window, afterId) => decisionsInWindow(db, window, { afterId, limit: PAGE }),
  line: (decision) => ({
    kind: 'access_decision',
    id: decision.id,
    at: decision.at,
    principal: decision.principal,
    action: decision.action,
    resource_type: decision.resourceType,
    resource_id: decision.resourceId,
    org_id: decision.orgId,
    decision: decision.decision,
    reasons: decision.reasons,
  }),
};

/** Writes one source's records within the window, page by page, until it ends or the client goes. */
async function exportSource<T extends { readonly id: number }>(
  source: AuditSource<T>,
  io: { db: SqlExecutor; window: Window; out: NodeJS.WritableStream },
  first: readonly T[] | undefined,
  gone: () => boolean,
): Promise<void> {
  let records = first ?? (await source.page(io.db, io.window, 0));
  while (!gone() && records.length > 0) {
    const text = `${records.map((record) => JSON.stringify(source.line(record))).join('\n')}\n`;
    if (!io.out.write(text)) await drained(io.out);
    if (records.length < PAGE) break;
    records = await source.page(io.db, io.window, records.at(-1)?.id ?? 0);
  }
}

function windowOf(query: z.output<typeof AuditQuery>, now: number): Window {
  const until = query.until === undefined ? new Date(now) : new Date(query.until);
  const since =
    query.since === undefined ? new Date(until.getTime() - DEFAULT_WINDOW_MS) : new Date(query.since);
  if (since.getTime() >= until.getTime())
    throw new AstraError('ASTRA_VALIDATION_FAILED', 'since must be before until', {
      details: { path: 'query.since', reason: 'must be before until' },
    });
  return { since, until, agentId: query.agent_id?.toLowerCase() ?? null };
}

export interface AuditRoutesOptions {
  readonly store: SqlStore;
  readonly clock: Clock;
}

export const auditRoutes: FastifyPluginAsync<AuditRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  define(
    {
      method: 'GET',
      path: '/audit.ndjson',
      operationId: 'exportAudit',
      tag: 'audit',
      summary:
        'Export the audit trail as NDJSON, streamed: events (`kind: "event"`), then access decisions (`kind: "access_decision"`), each oldest first, with `at` in [since, until) (default: the last 7 days); `agent_id` narrows it to one agent.',
      query: AuditQuery,
      access: { action: 'platform.view', resource: PLATFORM },
      responses: {
        200: {
          description: '`application/x-ndjson`: one JSON object per line.',
          mediaType: 'application/x-ndjson',
        },
      },
      errors: { 400: 'ASTRA_VALIDATION_FAILED' },
    },
    async (request, reply) => {
      const window = windowOf(parseInput(AuditQuery, request.query, 'query'), deps.clock.now());
      // Read before answering: a store that fails now is still a proper error status.
      const first = await EVENTS.page(deps.store, window, 0);
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'application/x-ndjson; charset=utf-8',
        'cache-control': 'no-store',
      });
      let gone = false;
      out.once('close', () => {
        gone = true;
      });
      try {
        const io = { db: deps.store, window, out };
        await exportSource(EVENTS, io, first, () => gone);
        await exportSource(ACCESS_DECISIONS, io, undefined, () => gone);
      } catch (raw) {
        const error = normalizeError(raw);
        request.log.warn({ err: raw }, 'audit export cut short');
        const message = error.code === 'ASTRA_INTERNAL' ? 'internal error' : error.message;
        if (!gone) out.write(`${JSON.stringify({ kind: 'error', code: error.code, message })}\n`);
      } finally {
        out.end();
      }
    },
  );
};
