import { z } from 'zod';
import { AstraError, normalizeError } from '../../errors/index.js';
import type { SqlExecutor, SqlRow } from '../../ports/sql-store.js';
import { PLATFORM } from '../access/rules.js';
import type { ApiDeps } from './api-deps.js';
import { drained } from './drained.js';
import type { DefineRoute } from './openapi.js';
import { parseInput } from './validation.js';

/**
 * The audit export, `GET /audit.ndjson?since&until&agent_id` (upstream's path and default window
 * of 7 days): one JSON object per line, streamed as it is read — each source is paged by keyset
 * (`id > last`, 1000 rows a page), so memory stays flat however large the window. Sources, in
 * order: the event log (`kind: "event"`), then the access decisions (`kind: "access_decision"`)
 * when that table exists. A source is a query and a line mapping; adding one is a few lines.
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

interface AuditSource {
  /** Rows after `after` (by id) within the window, oldest first, at most PAGE. */
  page(db: SqlExecutor, window: Window, after: number): Promise<SqlRow[]>;
  line(row: SqlRow): Record<string, unknown>;
}

const iso = (value: unknown): string => (value instanceof Date ? value.toISOString() : String(value));

const EVENTS: AuditSource = {
  page: async (db, window, after) =>
    (
      await db.query(
        `SELECT id, event_type, actor_id, goal_id, graph_id, task_id, payload, created_at FROM events
         WHERE id > $1 AND created_at >= $2 AND created_at < $3 AND ($4::uuid IS NULL OR actor_id = $4::uuid)
         ORDER BY id LIMIT ${PAGE}`,
        [after, window.since, window.until, window.agentId],
      )
    ).rows,
  line: (row) => ({
    kind: 'event',
    id: Number(row.id),
    at: iso(row.created_at),
    type: row.event_type,
    agent_id: row.actor_id ?? null,
    goal_id: row.goal_id ?? null,
    graph_id: row.graph_id ?? null,
    task_id: row.task_id ?? null,
    payload: row.payload,
  }),
};

/** With `agent_id`, only decisions about that agent itself. */
const ACCESS_DECISIONS: AuditSource = {
  page: async (db, window, after) =>
    (
      await db.query(
        `SELECT id, at, principal, action, resource_type, resource_id, org_id, decision, reasons
         FROM access_decisions
         WHERE id > $1 AND at >= $2 AND at < $3
           AND ($4::text IS NULL OR (resource_type = 'agent' AND resource_id = $4::text))
         ORDER BY id LIMIT ${PAGE}`,
        [after, window.since, window.until, window.agentId],
      )
    ).rows,
  line: (row) => ({
    kind: 'access_decision',
    id: Number(row.id),
    at: iso(row.at),
    principal: row.principal,
    action: row.action,
    resource_type: row.resource_type,
    resource_id: row.resource_id,
    org_id: row.org_id ?? null,
    decision: row.decision,
    reasons: row.reasons,
  }),
};

async function sourcesIn(db: SqlExecutor): Promise<AuditSource[]> {
  const { rows } = await db.query<{ present: boolean }>(
    `SELECT to_regclass('access_decisions') IS NOT NULL AS present`,
  );
  return rows[0]?.present === true ? [EVENTS, ACCESS_DECISIONS] : [EVENTS];
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

export function registerAuditRoutes(define: DefineRoute, deps: ApiDeps): void {
  define(
    {
      method: 'GET',
      path: '/audit.ndjson',
      tag: 'audit',
      summary:
        'Export the audit trail as NDJSON, streamed: events (`kind: "event"`), then access decisions (`kind: "access_decision"`), each oldest first, with `at` in [since, until) (default: the last 7 days); `agent_id` narrows it to one agent.',
      query: AuditQuery,
      access: { action: 'platform.view', resource: PLATFORM },
      responses: { 200: '`application/x-ndjson`: one JSON object per line.' },
      errors: { 400: 'ASTRA_VALIDATION_FAILED' },
    },
    async (request, reply) => {
      const window = windowOf(parseInput(AuditQuery, request.query, 'query'), deps.clock.now());
      // Read before answering: a store that fails now is still a proper error status.
      const sources = await sourcesIn(deps.store);
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
        for (const source of sources) {
          let rows = source === EVENTS ? first : await source.page(deps.store, window, 0);
          while (!gone && rows.length > 0) {
            const text = `${rows.map((row) => JSON.stringify(source.line(row))).join('\n')}\n`;
            if (!out.write(text)) await drained(out);
            if (rows.length < PAGE) break;
            rows = await source.page(deps.store, window, Number(rows.at(-1)?.id));
          }
        }
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
}
