import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { type DefineRoute, defineRoutes } from './route-definer.js';

/**
 * A route group that still takes the whole ApiDeps, registered as a plugin of its own until it
 * moves into the service that owns it (services/<name>/routes-*.ts).
 */
export interface LegacyRoutesOptions {
  readonly register: (app: FastifyInstance, define: DefineRoute) => void;
}

export const legacyRoutes: FastifyPluginAsync<LegacyRoutesOptions> = async (app, options) => {
  options.register(app, defineRoutes(app));
};
