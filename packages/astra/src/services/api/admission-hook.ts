import type { FastifyInstance } from 'fastify';
import type { AdmissionGate } from '../agents/index.js';

/**
 * Goal submissions (the routes whose definition says `admission: true`, as `METHOD /path`) pass the
 * admission gate (services/agents/admission-gate.ts) first of all, before authentication, access
 * decisions or reading the body touch the database: under overload the queue is in front of the
 * database, so a refusal must cost nothing and come at once. The turn is held until the response
 * is done (or the connection closed), so it covers all the work.
 */
export function installAdmissionGate(
  app: FastifyInstance,
  gate: Pick<AdmissionGate, 'enter'>,
  routes: ReadonlySet<string>,
): void {
  // A callback hook, not an async one: every other request passes at once, without a promise.
  app.addHook('onRequest', (request, reply, done) => {
    if (!routes.has(`${request.method} ${request.routeOptions.url}`)) return done();
    // One turn of the event loop first, so requests that arrived meanwhile are read and queue
    // here too: otherwise, with the database on this thread, each waits unseen in its socket.
    setImmediate(() => {
      gate.enter().then((release) => {
        reply.raw.once('close', release);
        done();
      }, done);
    });
  });
}
