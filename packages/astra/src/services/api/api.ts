import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import websocket from '@fastify/websocket';
import type { FastifyInstance, FastifyPluginAsync, FastifyPluginOptions } from 'fastify';
import { AstraError } from '../../errors/index.js';
import { ARTIFACT_REF_SCHEMA, TASK_REFERENCE_SCHEMA } from '../../kernel/index.js';
import type { AdmissionGate } from '../agents/index.js';
import type { Identity } from '../identity/index.js';
import type { RouteAccess } from './access-hook.js';
import { installAdmissionGate } from './admission-hook.js';
import { installAuthentication, type Stand } from './auth.js';
import { DOCS_PAGE, DOCS_PAGE_POLICY } from './docs-page.js';
import { type ForegroundLane, installForegroundLane } from './foreground-hook.js';
import { ApiDocs } from './openapi.js';
import { defineRoutes, installRouteBook } from './route-definer.js';
import { Health, OpenApiDocument, Readiness } from './schemas/operations.js';

/** One service's routes: its Fastify plugin with the options it is built from. */
export interface RoutePlugin {
  register(app: FastifyInstance): PromiseLike<unknown>;
}

export function routePlugin<Options extends FastifyPluginOptions>(
  plugin: FastifyPluginAsync<Options>,
  options: Options,
): RoutePlugin {
  return { register: (app) => app.register(plugin, options) };
}

/** What the API's own hooks stand on, and the services' routes. */
export interface ApiOptions {
  readonly adminToken: string;
  /** Checks bearer credentials (services/identity). */
  readonly identity: Pick<Identity, 'authenticate'>;
  /** Enforces the routes' access rules and tells a user's standing now (services/access). */
  readonly access: RouteAccess & { readonly stand: Stand };
  /** Sheds goal submissions beyond what this process can admit now (503 ASTRA_OVERLOADED). */
  readonly admission: Pick<AdmissionGate, 'enter'>;
  /** Origins browsers may call the API from (CORS); empty: none. */
  readonly corsOrigins: readonly string[];
  /** Shown in the API description. */
  readonly version: string;
  /** Each service's route plugins, registered in this order (the document lists them so). */
  readonly routes: readonly RoutePlugin[];
  /**
   * The SQL store's foreground lane (SqlStore.foreground), which every request runs in; none (a
   * store whose callers do not share one connection): requests run as any other caller.
   */
  readonly foreground?: ForegroundLane;
}

/**
 * The public surface, on upstream's paths: agents, goals (with declared plans), tasks, graphs,
 * workers, described by an OpenAPI 3.1 document generated from the route definitions
 * (`GET /openapi.json`, browsable at `GET /docs`). Everything but /health, /ready, /login, the
 * JWKS and the API description needs a bearer credential (services/identity); docs/api.md lists
 * the routes too.
 *
 * Each service's routes are its own Fastify plugin, registered here after the API's hooks: the
 * hooks sit on the root instance, so they reach every plugin (Fastify hands a parent's hooks to
 * its children), while what a plugin adds itself stays inside it.
 */
export async function registerApi(app: FastifyInstance, options: ApiOptions): Promise<ApiDocs> {
  const docs = new ApiDocs();
  // Filled once every route is defined (below), before the server takes requests.
  const admitted = new Set<string>();
  const publicPaths = new Set<string>();
  const queryTokenPaths = new Set<string>();
  // First: the hooks after it (admission, authentication) already read the database in the lane.
  if (options.foreground !== undefined) installForegroundLane(app, options.foreground);
  // Before anything else: shedding must not wait behind the work it sheds.
  installAdmissionGate(app, options.admission, admitted);
  // Browsers may call the API only from the configured origins; none by default.
  await app.register(cors, {
    origin: options.corsOrigins.length === 0 ? false : [...options.corsOrigins],
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
  installAuthentication(app, {
    adminToken: options.adminToken,
    identity: options.identity,
    publicPaths,
    queryTokenPaths,
    stand: (principal) => options.access.stand(principal),
  });
  installRouteBook(app, { docs, access: options.access });
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
  for (const routes of options.routes) await routes.register(app);
  const define = defineRoutes(app);
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
      document ??= docs.document({ version: options.version });
      return document;
    },
  );
  for (const path of docs.publicPaths()) publicPaths.add(path);
  for (const path of docs.queryTokenPaths()) queryTokenPaths.add(path);
  for (const route of docs.admittedRoutes()) admitted.add(route);
  return docs;
}
