import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { RecentLines } from '../../log/recent-lines.js';
import { PLATFORM } from '../access/index.js';
import { defineRoutes, parseInput } from '../api/index.js';
import { LOG_LEVELS, type RecentLogLine, RecentLogList } from './api-schemas.js';

export interface LogRoutesOptions {
  /** The process's ring of recent lines (log/recent-lines.ts), fed by its logger. */
  readonly recent: RecentLines;
}

const LogsQuery = z.object({
  after_seq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
  level: z
    .enum(LOG_LEVELS)
    .optional()
    .meta({ description: 'The lowest level shown; default every level kept.' }),
});

/** pino's numeric levels. */
const LEVEL_NAMES: Readonly<Record<number, (typeof LOG_LEVELS)[number]>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

function decode(seq: number, text: string): z.output<typeof RecentLogLine> {
  let fields: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) fields = parsed as Record<string, unknown>;
  } catch {
    // A line cut at the size limit is no longer JSON: shown as text.
  }
  const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return {
    seq,
    time: str(fields.time),
    level: LEVEL_NAMES[typeof fields.level === 'number' ? fields.level : 30] ?? 'info',
    msg: str(fields.msg) ?? '',
    component: str(fields.component),
    text,
  };
}

/**
 * `GET /logs/recent`: the newest lines this process logged (docs/operations.md, "Recent logs"),
 * for callers who may view the platform, as the dashboard's Logs page reads them. Only this
 * process's lines: each gateway answers with its own.
 */
export const logRoutes: FastifyPluginAsync<LogRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  define(
    {
      method: 'GET',
      path: '/logs/recent',
      operationId: 'listRecentLogs',
      access: { action: 'platform.view', resource: PLATFORM },
      tag: 'operations',
      summary:
        "This process's newest log lines, oldest first (a bounded in-memory ring at the logger's level, credentials redacted); `after_seq` for lines after one seen, `level` for the lowest level.",
      query: LogsQuery,
      responses: { 200: { description: '`{total, capacity, lines}`', body: RecentLogList } },
      errors: { 400: 'ASTRA_VALIDATION_FAILED' },
    },
    async (request) => {
      const query = parseInput(LogsQuery, request.query, 'query');
      const lowest = LOG_LEVELS.indexOf(query.level ?? 'trace');
      const lines = deps.recent
        .lines(query.after_seq === undefined ? {} : { afterSeq: query.after_seq })
        .map((line) => decode(line.seq, line.text))
        .filter((line) => LOG_LEVELS.indexOf(line.level) >= lowest);
      return {
        total: deps.recent.total,
        capacity: deps.recent.capacity,
        lines: lines.slice(Math.max(0, lines.length - (query.limit ?? 200))),
      };
    },
  );
};
