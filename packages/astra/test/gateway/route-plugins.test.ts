import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import type { Target } from '../../src/services/access/index.js';
import {
  type ApiOptions,
  defineRoutes,
  type RoutePlugin,
  routePlugin,
} from '../../src/services/api/index.js';
import { createGateway } from '../../src/services/gateway/server.js';
import type { Principal } from '../../src/services/identity/index.js';

/**
 * Each service's routes are a Fastify plugin of their own (registerApi in services/api/api.ts):
 * the API's hooks sit on the root instance and reach every plugin's routes, while what one plugin
 * adds stays inside it. Checked here with plugins of this file's own, on the real gateway.
 */
const ADMIN = 'route-plugins-admin-token';
const USER_TOKEN = 'route-plugins-user-token';
const USER: Principal = {
  kind: 'user',
  userId: '00000000-0000-4000-8000-000000000001',
  email: 'u@x',
  superAdmin: false,
};

interface Recorded {
  readonly decided: Target[];
  admitted: number;
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serve(routes: readonly RoutePlugin[]): Promise<{ app: FastifyInstance; recorded: Recorded }> {
  const recorded: Recorded = { decided: [], admitted: 0 };
  const api: ApiOptions = {
    adminToken: ADMIN,
    identity: { authenticate: async (credential) => (credential === USER_TOKEN ? USER : null) },
    access: {
      require: async (_principal, _action, target) => {
        recorded.decided.push(target);
        return { decision: { allowed: true, reasons: [], errors: [], policyVersion: 0 } };
      },
      stand: async (principal) => ({ principal, subject: undefined }),
    },
    admission: {
      enter: async () => {
        recorded.admitted++;
        return () => undefined;
      },
    },
    corsOrigins: [],
    version: 'test',
    routes,
  };
  app = await createGateway({
    logger: createLogger({ level: 'silent' }),
    readiness: [],
    info: { mode: 'test', version: 'test' },
    api,
  });
  return { app, recorded };
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** A plugin with one GET route at `path` (answering `{plugin: name}`), and an onRequest hook of its own. */
const plugin: FastifyPluginAsync<{ name: string; path: string; spec?: object }> = async (
  instance,
  options,
) => {
  instance.addHook('onRequest', async (_request, reply) => {
    reply.header('x-plugin-hook', options.name);
  });
  defineRoutes(instance)(
    {
      method: 'GET',
      path: options.path,
      operationId: `get${options.name}`,
      tag: 'test',
      summary: 'A route of a test plugin.',
      access: { action: 'platform.view', resource: { type: 'platform' } },
      responses: { 200: { description: 'Its name.' } },
      ...options.spec,
    },
    async () => ({ plugin: options.name }),
  );
};

describe('route plugins under registerApi', () => {
  it("run the API's authentication and access hooks on every plugin's routes", async () => {
    const { app, recorded } = await serve([
      routePlugin(plugin, { name: 'A', path: '/a' }),
      routePlugin(plugin, { name: 'B', path: '/b' }),
    ]);
    for (const path of ['/a', '/b']) {
      expect((await app.inject({ url: path })).statusCode).toBe(401);
      expect((await app.inject({ url: path, headers: bearer('wrong') })).statusCode).toBe(401);
      expect((await app.inject({ url: path, headers: bearer(USER_TOKEN) })).statusCode).toBe(200);
    }
    expect(recorded.decided).toEqual([{ type: 'platform' }, { type: 'platform' }]);
  });

  it("keep a plugin's own hooks inside it", async () => {
    const { app } = await serve([
      routePlugin(plugin, { name: 'A', path: '/a' }),
      routePlugin(plugin, { name: 'B', path: '/b' }),
    ]);
    const a = await app.inject({ url: '/a', headers: bearer(ADMIN) });
    const b = await app.inject({ url: '/b', headers: bearer(ADMIN) });
    expect([a.headers['x-plugin-hook'], a.json()]).toEqual(['A', { plugin: 'A' }]);
    expect([b.headers['x-plugin-hook'], b.json()]).toEqual(['B', { plugin: 'B' }]);
  });

  it('apply the admission gate, ?access_token= and rate limits to the routes that declare them', async () => {
    const { app, recorded } = await serve([
      routePlugin(plugin, { name: 'Gated', path: '/gated', spec: { admission: true } }),
      routePlugin(plugin, { name: 'Query', path: '/query', spec: { queryToken: true } }),
      routePlugin(plugin, { name: 'Limited', path: '/limited', spec: { ratePerMinute: 1 } }),
    ]);
    expect((await app.inject({ url: '/gated', headers: bearer(ADMIN) })).statusCode).toBe(200);
    expect((await app.inject({ url: '/query', headers: bearer(ADMIN) })).statusCode).toBe(200);
    expect(recorded.admitted).toBe(1);
    expect((await app.inject({ url: `/query?access_token=${ADMIN}` })).statusCode).toBe(200);
    expect((await app.inject({ url: `/gated?access_token=${ADMIN}` })).statusCode).toBe(401);
    expect((await app.inject({ url: '/limited', headers: bearer(ADMIN) })).statusCode).toBe(200);
    const limited = await app.inject({ url: '/limited', headers: bearer(ADMIN) });
    expect([limited.statusCode, limited.json().error.code]).toEqual([429, 'ASTRA_RATE_LIMITED']);
  });

  it('answer public routes without credentials', async () => {
    const { app } = await serve([
      routePlugin(plugin, { name: 'Open', path: '/open', spec: { public: true, access: undefined } }),
    ]);
    expect((await app.inject({ url: '/open' })).json()).toEqual({ plugin: 'Open' });
  });

  it('refuse to start with a plugin route that is not in the API description', async () => {
    const undocumented: FastifyPluginAsync = async (instance) => {
      instance.get('/hidden', async () => ({}));
    };
    await expect(serve([routePlugin(undocumented, {})])).rejects.toThrow(
      'routes missing from the API description: GET /hidden',
    );
  });
});
