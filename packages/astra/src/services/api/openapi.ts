import type { WebSocket } from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ERROR_CODES } from '../../errors/index.js';
import type { AccessControl, AccessRule } from '../access/index.js';
import { accessPreHandler } from './access-hook.js';

/**
 * The OpenAPI 3.1 document, generated from the same definitions that register the routes: a route
 * is added with `defineRoute`, which registers it with Fastify and describes it (summary, the zod
 * schemas of its body and query as JSON Schema 2020-12, its answers). Nothing is written by hand
 * twice, so the document cannot drift from the routes; a test checks that every route is in it.
 */
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface RouteSpec {
  readonly method: Method;
  /** Fastify form: `/agents/:id`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly body?: z.ZodType;
  readonly query?: z.ZodType;
  /** Request headers the route reads, with what they mean. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Success statuses with their meaning. */
  readonly responses: Readonly<Record<number, string>>;
  /** Error statuses beyond 401 (every route but the public ones) with their meaning. */
  readonly errors?: Readonly<Record<number, string>>;
  /** Answers without credentials (health, readiness, the API description). */
  readonly public?: boolean;
  /** Who may call it (services/access/rules.ts); every route but the public ones has one. */
  readonly access?: AccessRule;
  /** At most `max` calls per minute, per credential (per client address on public routes). */
  readonly ratePerMinute?: number;
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

const jsonSchema = (schema: z.ZodType): object =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });

const ERROR_BODY = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'retryable', 'details'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_CODES) },
        message: { type: 'string' },
        retryable: { type: 'boolean' },
        details: { type: 'object' },
      },
    },
  },
};

export class ApiDocs {
  readonly #routes: RouteSpec[] = [];

  add(spec: RouteSpec): void {
    this.#routes.push(spec);
  }

  /** Paths of the routes that answer without credentials. */
  publicPaths(): Set<string> {
    return new Set(this.#routes.filter((route) => route.public === true).map((route) => route.path));
  }

  /** `METHOD /path` of every documented route, in Fastify's path form. */
  routes(): string[] {
    return this.#routes.map((route) => `${route.method} ${route.path}`);
  }

  document(info: { version: string }): object {
    const paths: Record<string, Record<string, object>> = {};
    for (const route of this.#routes) {
      const openApiPath = route.path.replace(/:([A-Za-z_]+)/g, '{$1}');
      const parameters = [
        ...[...route.path.matchAll(/:([A-Za-z_]+)/g)].map((match) => ({
          name: match[1],
          in: 'path',
          required: true,
          schema:
            match[1] === 'rev' || match[1] === 'version'
              ? { type: 'integer', minimum: 1 }
              : { type: 'string', format: 'uuid' },
        })),
        ...queryParameters(route.query),
        ...Object.entries(route.headers ?? {}).map(([name, description]) => ({
          name,
          in: 'header',
          required: false,
          description,
          schema: { type: 'string' },
        })),
      ];
      const responses: Record<string, object> = {};
      for (const [status, description] of Object.entries(route.responses))
        responses[status] = { description, content: { 'application/json': { schema: { type: 'object' } } } };
      const errors = {
        ...(route.public === true ? {} : { 401: 'No valid bearer token.' }),
        ...(route.ratePerMinute === undefined
          ? {}
          : { 429: `ASTRA_RATE_LIMITED: more than ${route.ratePerMinute} calls a minute` }),
        ...route.errors,
      };
      for (const [status, description] of Object.entries(errors))
        responses[status] = { description, content: { 'application/json': { schema: ERROR_BODY } } };
      paths[openApiPath] ??= {};
      (paths[openApiPath] as Record<string, object>)[route.method.toLowerCase()] = {
        summary: route.summary,
        tags: [route.tag],
        ...(route.public === true ? { security: [] } : {}),
        // Who may call it: the action and the resource the policies decide on (docs/access.md).
        ...(route.access === undefined ? {} : { 'x-astra-access': route.access }),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(route.body === undefined
          ? {}
          : {
              requestBody: {
                required: true,
                content: { 'application/json': { schema: jsonSchema(route.body) } },
              },
            }),
        responses,
      };
    }
    return {
      openapi: '3.1.0',
      info: {
        title: 'Astra',
        version: info.version,
        description:
          'Astra public API. Upstream-compatible paths and snake_case fields; errors carry a stable code (docs/errors.md).',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
      paths,
    };
  }
}

function queryParameters(query: z.ZodType | undefined): object[] {
  if (query === undefined) return [];
  const schema = jsonSchema(query) as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    schema: property,
  }));
}

/** Serves a WebSocket upgrade on a GET route (@fastify/websocket); hooks (auth, access) run before it. */
export type WsHandler = (socket: WebSocket, request: FastifyRequest) => void | Promise<void>;

export type DefineRoute = (spec: RouteSpec, handler: Handler, wsHandler?: WsHandler) => void;

/** A function that registers a route with Fastify and describes it in the document, from one definition. */
export function routeDefiner(app: FastifyInstance, docs: ApiDocs, access: AccessControl): DefineRoute {
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
    app.route({
      method: spec.method,
      url: spec.path,
      handler,
      ...(wsHandler === undefined ? {} : { wsHandler }),
      ...(preHandler === undefined ? {} : { preHandler }),
      ...(rateLimit === undefined ? {} : { config: { rateLimit } }),
    });
  };
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
