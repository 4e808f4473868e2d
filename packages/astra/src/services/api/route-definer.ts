import type { WebSocket } from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { accessPreHandler, type RouteAccess } from './access-hook.js';
import { forSerializer, type JsonSchemaObject, toJsonSchema } from './json-schema.js';
import { type ApiDocs, JSON_MEDIA_TYPE, type RouteSpec } from './openapi.js';

/**
 * How a service's route plugin adds its routes: `defineRoutes(app)` on the plugin's own Fastify
 * instance gives a function that registers a route there (so the plugin's own hooks apply to it,
 * and the API's hooks on the root reach it) and describes it in the API's one document, from one
 * definition. The document and the access control are the API's route book, decorated on the root
 * instance by `registerApi` before any plugin is registered.
 */
declare module 'fastify' {
  interface FastifyInstance {
    astraRouteBook: RouteBook;
  }
}

export interface RouteBook {
  readonly docs: ApiDocs;
  /** Enforces each route's access rule before its handler (access-hook.ts). */
  readonly access: RouteAccess;
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** Serves a WebSocket upgrade on a GET route (@fastify/websocket); hooks (auth, access) run before it. */
export type WsHandler = (socket: WebSocket, request: FastifyRequest) => void | Promise<void>;

export type DefineRoute = (spec: RouteSpec, handler: Handler, wsHandler?: WsHandler) => void;

export function installRouteBook(app: FastifyInstance, book: RouteBook): void {
  app.decorate('astraRouteBook', book);
}

/** The route definer of a plugin's instance; the plugin must be registered under `registerApi`. */
export function defineRoutes(app: FastifyInstance): DefineRoute {
  if (!app.hasDecorator('astraRouteBook'))
    throw new Error('defineRoutes: route plugins are registered by registerApi (services/api/api.ts)');
  return routeDefiner(app, app.astraRouteBook);
}

/** A function that registers a route with Fastify and describes it in the document, from one definition. */
function routeDefiner(app: FastifyInstance, { docs, access }: RouteBook): DefineRoute {
  return (spec, handler, wsHandler) => {
    if (spec.public !== true && spec.access === undefined)
      throw new Error(
        `${spec.method} ${spec.path}: a route that needs credentials must declare its access rule`,
      );
    docs.add(spec);
    const preHandler = spec.access === undefined ? undefined : accessPreHandler(spec.access, access);
    const rateLimit =
      spec.ratePerMinute === undefined
        ? undefined
        : {
            max: spec.ratePerMinute,
            timeWindow: 60_000,
            keyGenerator: spec.public === true ? byAddress : byCredential,
          };
    const response = serializerSchemas(spec);
    app.route({
      method: spec.method,
      url: spec.path,
      handler,
      ...(response === undefined ? {} : { schema: { response } }),
      ...(wsHandler === undefined ? {} : { wsHandler }),
      ...(preHandler === undefined ? {} : { preHandler }),
      ...(rateLimit === undefined ? {} : { config: { rateLimit } }),
    });
  };
}

/** Fastify's response schemas: the JSON answers, serialized by their documented schema. */
function serializerSchemas(spec: RouteSpec): Record<number, JsonSchemaObject> | undefined {
  const schemas: Record<number, JsonSchemaObject> = {};
  for (const [status, answer] of Object.entries(spec.responses))
    if (answer.body !== undefined && (answer.mediaType ?? JSON_MEDIA_TYPE) === JSON_MEDIA_TYPE)
      schemas[Number(status)] = forSerializer(toJsonSchema(answer.body, 'output')) as JsonSchemaObject;
  return Object.keys(schemas).length === 0 ? undefined : schemas;
}

const byAddress = (request: FastifyRequest): string => `ip:${request.ip}`;

/** The credential's identity (the authentication hook ran before): a user, an API key, a service token, the admin token. */
function byCredential(request: FastifyRequest): string {
  const principal = request.astraPrincipal;
  if (principal === undefined) return byAddress(request);
  switch (principal.kind) {
    case 'admin_token':
      return 'admin';
    case 'api_key':
      return `key:${principal.keyId}`;
    case 'agent':
      return `service:${principal.tokenId}`;
    case 'user':
      return `user:${principal.userId}`;
  }
}
