import Fastify from 'fastify';
import { registerApi } from './api.js';
import type { ApiDeps } from './api-deps.js';

/**
 * The OpenAPI document without a running server, for the SDK generator (tools/generate-sdk.mjs)
 * and its drift check: the routes are registered on a Fastify instance that never listens, with
 * dependencies no handler will ever use (none runs). Registration itself reads only the settings
 * below; anything else is reached only from a handler.
 */
export async function describeApi(version: string): Promise<object> {
  const app = Fastify();
  const settings: Pick<ApiDeps, 'corsOrigins' | 'version' | 'adminToken'> = {
    corsOrigins: [],
    version,
    adminToken: 'unused: no request is served',
  };
  try {
    const docs = await registerApi(app, settings as ApiDeps);
    return docs.document({ version });
  } finally {
    await app.close();
  }
}
