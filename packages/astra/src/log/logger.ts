import { context, trace } from '@opentelemetry/api';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import type { RecentLines } from './recent-lines.js';

export type { Logger } from 'pino';

/**
 * Field names whose values never reach a log line, at the top level and one level down
 * (pino's redaction paths). `Secret` values print as [redacted] by themselves; this list catches
 * plain strings that carry credentials: headers, tokens, passwords, connection URLs.
 */
const SENSITIVE = [
  'password',
  'passwordHash',
  'password_hash',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'apiKey',
  'api_key',
  'secret',
  'clientSecret',
  'client_secret',
  'authorization',
  'cookie',
  'postgresUrl',
  'redisUrl',
  'connectionString',
];

const REDACT_PATHS = [
  ...SENSITIVE,
  ...SENSITIVE.map((field) => `*.${field}`),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

export interface LoggerSettings {
  readonly level: string;
  readonly name?: string;
  /** Where lines go; standard output by default. Tests pass a stream to read lines back. */
  readonly destination?: DestinationStream;
  /** Also keeps the newest lines in this ring (GET /logs/recent); default none. */
  readonly recent?: RecentLines;
}

/**
 * The ids of the span active where a line is logged (a task's, an LLM call's, an HTTP request's
 * when tracing is on, docs/tracing.md), so a line leads to its trace; nothing when none is.
 */
function traceIds(): { trace_id?: string; span_id?: string } {
  const span = trace.getSpan(context.active())?.spanContext();
  if (span === undefined || !trace.isSpanContextValid(span)) return {};
  return { trace_id: span.traceId, span_id: span.spanId };
}

export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    mixin: traceIds,
    level: settings.level,
    base: { service: settings.name ?? 'astra' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (settings.recent !== undefined) {
    // Every line at the logger's level reaches both; the streams themselves filter nothing.
    const streams = pino.multistream([
      { level: 'trace', stream: settings.destination ?? pino.destination(1) },
      { level: 'trace', stream: settings.recent.stream },
    ]);
    return pino(options, streams);
  }
  return settings.destination === undefined ? pino(options) : pino(options, settings.destination);
}
