import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { AstraError } from '../../errors/index.js';
import { ARTIFACT_REF_SCHEMA, TASK_REFERENCE_SCHEMA } from '../../kernel/index.js';
import { installAdmissionGate } from './admission-hook.js';
import type { ApiDeps } from './api-deps.js';
import { installAuthentication } from './auth.js';
import { DOCS_PAGE, DOCS_PAGE_POLICY } from './docs-page.js';
import { ApiDocs, routeDefiner } from './openapi.js';
import { registerAccessRoutes } from './routes-access.js';
import { registerAgentRoutes } from './routes-agents.js';
import { registerApprovalRoutes } from './routes-approvals.js';
import { registerAuditRoutes } from './routes-audit.js';
import { registerDocumentRoutes } from './routes-documents.js';
import { EVENTS_WS_PATH, registerEventRoutes } from './routes-events.js';
import { registerGoalRoutes } from './routes-goals.js';
import { registerIdentityRoutes } from './routes-identity.js';
import { registerInternalRoutes } from './routes-internal.js';
import { registerInvitationRoutes } from './routes-invitations.js';
import { registerOrgRoutes } from './routes-orgs.js';
import { registerRevisionRoutes } from './routes-revisions.js';
import { registerServiceTokenRoutes } from './routes-service-tokens.js';
import { registerSessionRoutes } from './routes-sessions.js';
import { registerTaskRoutes } from './routes-tasks.js';
import { Health, OpenApiDocument, Readiness } from './schemas/operations.js';

/**
 * The public surface, on upstream's paths: agents, goals (with declared plans), tasks, graphs,
 * workers, described by an OpenAPI 3.1 document generated from the route definitions
 * (`GET /openapi.json`, browsable at `GET /docs`). Everything but /health, /ready, /login, the
 * JWKS and the API description needs a bearer credential (services/identity); docs/api.md lists
 * the routes too.
 */
export async function registerApi(app: FastifyInstance, deps: ApiDeps): Promise<ApiDocs> {
  // Before anything else: shedding must not wait behind the work it sheds.
  installAdmissionGate(app, deps.admission);
  // Browsers may call the API only from the configured origins; none by default.
  await app.register(cors, {
    origin: deps.corsOrigins.length === 0 ? false : [...deps.corsOrigins],
    credentials: false,
  });
  // Limits are per route (RouteSpec.ratePerMinute); routes without one are not limited here.
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new AstraError('ASTRA_RATE_LIMITED', `rate limit: ${context.max} calls a minute`, {
        details: { retryAfterMs: context.ttl, limit: context.max },
      }),
  });
  // WebSocket upgrades go through the same hooks (auth, access) as requests; clients send nothing big.
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  const docs = new ApiDocs();
  // Every route added from here on must be in the document: checked when the server gets ready.
  const added: string[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') added.push(`${method} ${route.url}`);
  });
  app.addHook('onReady', async () => {
    const documented = new Set(docs.routes());
    const missing = added.filter((route) => !documented.has(route));
    if (missing.length > 0) throw new Error(`routes missing from the API description: ${missing.join(', ')}`);
  });
  const publicPaths = new Set<string>();
  installAuthentication(app, {
    adminToken: deps.adminToken,
    identity: deps.identity,
    publicPaths,
    queryTokenPaths: new Set([EVENTS_WS_PATH]),
    currentUser: (userId) => deps.access.currentUser(userId),
  });
  const define = routeDefiner(app, docs, deps.access);
  // Payloads may hold task references and artifact references anywhere, which no schema can place.
  docs.addSchema('TaskReference', TASK_REFERENCE_SCHEMA);
  docs.addSchema('ArtifactRef', ARTIFACT_REF_SCHEMA);
  // Served by the gateway itself; described here so the document lists every route.
  docs.add({
    method: 'GET',
    path: '/health',
    operationId: 'health',
    tag: 'operations',
    summary: 'Liveness: the process answers.',
    public: true,
    responses: { 200: { description: '`{status: "ok", mode, version}`', body: Health } },
  });
  docs.add({
    method: 'GET',
    path: '/ready',
    operationId: 'ready',
    tag: 'operations',
    summary: 'Readiness: every dependency (SQL store, bus, cache) answers.',
    public: true,
    responses: {
      200: { description: '`{ready: true, checks}`', body: Readiness },
      503: { description: '`{ready: false, checks}`: a dependency does not answer.', body: Readiness },
    },
  });
  registerIdentityRoutes(define, deps);
  registerSessionRoutes(define, deps);
  registerServiceTokenRoutes(define, deps);
  registerInternalRoutes(define, deps, deps.actors);
  registerAgentRoutes(define, deps, deps.actors);
  registerDocumentRoutes(define, deps);
  registerRevisionRoutes(define, deps);
  registerGoalRoutes(define, deps, deps.actors);
  registerTaskRoutes(define, deps);
  registerApprovalRoutes(define, deps);
  registerOrgRoutes(define, deps);
  registerInvitationRoutes(define, deps);
  registerAccessRoutes(define, deps);
  registerEventRoutes(app, define, deps);
  registerAuditRoutes(define, deps);
  define(
    {
      method: 'GET',
      path: '/docs',
      operationId: 'getDocsPage',
      tag: 'operations',
      summary: 'A page that shows this document (no credentials: it holds no data, only the contract).',
      public: true,
      responses: { 200: { description: 'HTML.', mediaType: 'text/html' } },
    },
    async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        // The page loads nothing but the document: the browser refuses anything else.
        .header('content-security-policy', DOCS_PAGE_POLICY)
        .send(DOCS_PAGE),
  );
  let document: object | undefined;
  define(
    {
      method: 'GET',
      path: '/openapi.json',
      operationId: 'getOpenApiDocument',
      tag: 'operations',
      summary: 'This OpenAPI 3.1 document (no credentials).',
      public: true,
      responses: { 200: { description: 'The document.', body: OpenApiDocument } },
    },
    async () => {
      document ??= docs.document({ version: deps.version });
      return document;
    },
  );
  for (const path of docs.publicPaths()) publicPaths.add(path);
  return docs;
}
