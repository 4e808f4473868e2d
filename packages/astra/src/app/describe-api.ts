import Fastify from 'fastify';
import type { ApiDeps } from '../services/api/api-deps.js';
import { registerApi } from '../services/api/index.js';
import { wireApi } from './api-wiring.js';

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
    const docs = await registerApi(app, wireApi(settings as ApiDeps));
    return docs.document({ version });
  } finally {
    await app.close();
  }
}
