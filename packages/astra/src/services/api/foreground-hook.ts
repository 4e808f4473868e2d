import type { FastifyInstance } from 'fastify';
import type { SqlStore } from '../../ports/sql-store.js';

/** Runs `work` in the SQL store's foreground lane: the port's own signature. */
export type ForegroundLane = NonNullable<SqlStore['foreground']>;

/**
 * Every request's SQL goes in the store's foreground lane: on a store with one connection
 * (embedded mode) a request's statements get the connection before the executor's and the
 * scheduler's queued ones, so an API read does not wait behind a large goal's work.
 *
 * The lane is carried by the async context, so the hooks call `done` inside it and every later
 * hook and the handler inherit it. Twice: at `onRequest` (authentication and the other request
 * hooks), and again at `preHandler`, because reading the body resumes in the socket's context, not
 * the request's. Callback hooks: no promise per request.
 */
export function installForegroundLane(app: FastifyInstance, foreground: ForegroundLane): void {
  app.addHook('onRequest', (_request, _reply, done) => {
    foreground(() => done());
  });
  app.addHook('preHandler', (_request, _reply, done) => {
    foreground(() => done());
  });
}
