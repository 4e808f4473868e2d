import Fastify from 'fastify';
import { registerApi } from '../services/api/index.js';
import { type ApiParts, wireApi } from './api-wiring.js';
import { mcpRoutes } from './mcp-wiring.js';

/**
 * The OpenAPI document without a running server, for the SDK generator (tools/generate-sdk.mjs)
 * and its drift check: the routes are registered on a Fastify instance that never listens. Route
 * plugins take their dependencies at registration but use them only in handlers, and no handler
 * runs here, so each part is a stand-in that throws if anything touches it.
 */
export async function describeApi(version: string): Promise<object> {
  const app = Fastify();
  const parts: ApiParts = {
    store: unused('store', ['foreground']), // the SQL store's optional foreground lane: not offered
    engine: unused('engine'),
    reads: unused('reads'),
    actors: unused('actors'),
    admission: unused('admission'),
    identity: unused('identity'),
    access: unused('access'),
    clock: unused('clock'),
    remoteWorkers: unused('remoteWorkers'),
    routes: mcpRoutes({
      store: unused('store'),
      pool: unused('mcp pool'),
      timeoutMs: 0,
      stdioCommands: [],
      version,
    }),
    tools: unused('tools'),
    metrics: unused('metrics'),
    recentLogs: unused('recentLogs'),
    memory: { semantic: unused('semantic memory'), working: unused('working memory') },
  };
  try {
    const settings = { adminToken: 'unused: no request is served', corsOrigins: [], version };
    const docs = await registerApi(app, wireApi(parts, settings));
    return docs.document({ version });
  } finally {
    await app.close();
  }
}

/** A part no request uses; the optional capabilities named in `absent` read as not offered. */
function unused<T>(name: string, absent: readonly string[] = []): T {
  return new Proxy({} as T & object, {
    get: (_target, property) => {
      if (typeof property === 'string' && absent.includes(property)) return undefined;
      throw new Error(`describeApi: ${name}.${String(property)} is used while no request is served`);
    },
  });
}
