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
  app.addHook('onRequest', async (request, reply) => {
    if (!routes.has(`${request.method} ${request.routeOptions.url}`)) return;
    // One turn of the event loop first, so requests that arrived meanwhile are read and queue
    // here too: otherwise, with the database on this thread, each waits unseen in its socket.
    await new Promise((resolve) => setImmediate(resolve));
    const release = await gate.enter();
    reply.raw.once('close', release);
  });
}
