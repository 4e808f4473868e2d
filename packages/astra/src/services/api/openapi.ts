import type { z } from 'zod';
import { ERROR_CODES } from '../../errors/index.js';
import type { AccessRule } from '../access/index.js';
import { liftDefinitions, toJsonSchema } from './json-schema.js';

/**
 * The OpenAPI 3.1 document, generated from the same definitions that register the routes: a route
 * is added with a route definer (route-definer.ts), which registers it with Fastify and describes
 * it (summary, the zod schemas of its body and query as JSON Schema 2020-12, its answers). Nothing
 * is written by hand twice, so the document cannot drift from the routes; a test checks that
 * every route is in it.
 */
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** One documented answer of a route. */
export interface RouteAnswer {
  readonly description: string;
  /** The JSON body's schema (output form); absent when the answer has no body (101). */
  readonly body?: z.ZodType;
  /** A body that is not JSON (an event stream, NDJSON, HTML); `body` then describes its items, if any. */
  readonly mediaType?: string;
}

export interface RouteSpec {
  readonly method: Method;
  /** The operation's name in the document and the SDK's method name: `getAgent`, `submitGoal`. */
  readonly operationId: string;
  /** Fastify form: `/agents/:id`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly body?: z.ZodType;
  readonly query?: z.ZodType;
  /** Request headers the route reads, with what they mean. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Success statuses with their meaning and body. */
  readonly responses: Readonly<Record<number, RouteAnswer>>;
  /** Error statuses beyond 401 (every route but the public ones) with their meaning. */
  readonly errors?: Readonly<Record<number, string>>;
  /** Answers without credentials (health, readiness, the API description). */
  readonly public?: boolean;
  /** Who may call it (services/access/rules.ts); every route but the public ones has one. */
  readonly access?: AccessRule;
  /** At most `max` calls per minute, per credential (per client address on public routes). */
  readonly ratePerMinute?: number;
  /** Passes the admission gate before anything else (goal submissions; admission-hook.ts). */
  readonly admission?: true;
  /** Also takes the credential as `?access_token=` (WebSocket upgrades: browsers cannot set headers there). */
  readonly queryToken?: true;
}

export const JSON_MEDIA_TYPE = 'application/json';

const ERROR_REF = '#/components/schemas/Error';
const ERROR_BODY = {
  description: 'Every error answer: a stable code from the registry (docs/errors.md).',
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
  readonly #schemas: Record<string, object> = {};

  /** A named JSON Schema the document shows although no route's schema refers to it (TaskReference). */
  addSchema(name: string, schema: object): void {
    this.#schemas[name] = schema;
  }

  add(spec: RouteSpec): void {
    this.#routes.push(spec);
  }

  /** Paths of the routes that answer without credentials. */
  publicPaths(): Set<string> {
    return new Set(this.#routes.filter((route) => route.public === true).map((route) => route.path));
  }

  /** Paths of the routes that also take `?access_token=`. */
  queryTokenPaths(): Set<string> {
    return new Set(this.#routes.filter((route) => route.queryToken === true).map((route) => route.path));
  }

  /** `METHOD /path` of the routes behind the admission gate. */
  admittedRoutes(): Set<string> {
    return new Set(
      this.#routes
        .filter((route) => route.admission === true)
        .map((route) => `${route.method} ${route.path}`),
    );
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
              : match[1] === 'file'
                ? { type: 'string' }
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
      for (const [status, answer] of Object.entries(route.responses))
        responses[status] = answerObject(answer);
      const errors = {
        ...(route.public === true ? {} : { 401: 'No valid bearer token.' }),
        ...(route.ratePerMinute === undefined
          ? {}
          : { 429: `ASTRA_RATE_LIMITED: more than ${route.ratePerMinute} calls a minute` }),
        ...route.errors,
      };
      for (const [status, description] of Object.entries(errors))
        responses[status] = { description, content: { [JSON_MEDIA_TYPE]: { schema: { $ref: ERROR_REF } } } };
      paths[openApiPath] ??= {};
      (paths[openApiPath] as Record<string, object>)[route.method.toLowerCase()] = {
        operationId: route.operationId,
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
                content: { [JSON_MEDIA_TYPE]: { schema: toJsonSchema(route.body, 'input') } },
              },
            }),
        responses,
      };
    }
    const schemas: Record<string, unknown> = {};
    const lifted = liftDefinitions(paths, schemas);
    Object.assign(schemas, this.#schemas);
    return {
      openapi: '3.1.0',
      info: {
        title: 'Astra',
        version: info.version,
        description:
          'Astra public API. Upstream-compatible paths and snake_case fields; errors carry a stable code (docs/errors.md).',
      },
      components: {
        schemas: Object.fromEntries(
          Object.entries({ ...schemas, Error: ERROR_BODY }).sort(([a], [b]) => a.localeCompare(b)),
        ),
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearer: [] }],
      paths: lifted,
    };
  }
}

function answerObject(answer: RouteAnswer): object {
  if (answer.body === undefined && answer.mediaType === undefined) return { description: answer.description };
  const schema = answer.body === undefined ? { type: 'string' } : toJsonSchema(answer.body, 'output');
  return { description: answer.description, content: { [answer.mediaType ?? JSON_MEDIA_TYPE]: { schema } } };
}

function queryParameters(query: z.ZodType | undefined): object[] {
  if (query === undefined) return [];
  const schema = toJsonSchema(query, 'input') as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    schema: property,
  }));
}
