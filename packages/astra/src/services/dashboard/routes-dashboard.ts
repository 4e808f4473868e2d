import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AstraError } from '../../errors/index.js';
import { defineRoutes } from '../api/index.js';
import { type DashboardFile, type DashboardFiles, loadDashboardFiles } from './dashboard-assets.js';
import { DASHBOARD_PATH, DASHBOARD_POLICY } from './dashboard-policy.js';

/**
 * The web dashboard (docs/dashboard.md), served by the gateway itself: the page and its hashed
 * assets, without credentials — they hold no data. The page signs in through `POST /login` and
 * calls the API with the user's token, so the API's access rules are the dashboard's.
 */
export interface DashboardRoutesOptions {
  /** Where the built dashboard is (packages/astra/dist/dashboard); read on the first request. */
  readonly dir: string;
}

export const dashboardRoutes: FastifyPluginAsync<DashboardRoutesOptions> = async (app, { dir }) => {
  const define = defineRoutes(app);
  let loading: Promise<DashboardFiles | null> | undefined;
  const files = async (): Promise<DashboardFiles> => {
    loading ??= loadDashboardFiles(dir);
    const loaded = await loading;
    if (loaded === null)
      throw new AstraError('ASTRA_NOT_FOUND', 'the dashboard is not built here (npm run build)', {
        details: { dir },
      });
    return loaded;
  };

  define(
    {
      method: 'GET',
      path: DASHBOARD_PATH.slice(0, -1),
      operationId: 'redirectToDashboard',
      tag: 'dashboard',
      summary: 'Redirects to the dashboard page (`/superadmin/dashboard/`).',
      public: true,
      responses: { 308: { description: 'To `/superadmin/dashboard/`.' } },
    },
    async (_request, reply) => reply.redirect(DASHBOARD_PATH, 308),
  );

  define(
    {
      method: 'GET',
      path: DASHBOARD_PATH,
      operationId: 'getDashboard',
      tag: 'dashboard',
      summary:
        'The web dashboard (no credentials: the page holds no data; it signs in with `POST /login` and calls this API).',
      public: true,
      responses: {
        200: { description: 'HTML; revalidated by its ETag.', mediaType: 'text/html' },
        304: { description: 'The page has not changed since the ETag sent in If-None-Match.' },
      },
      errors: { 404: 'ASTRA_NOT_FOUND: the dashboard was not built' },
    },
    async (request, reply) => {
      const { index } = await files();
      reply.header('content-security-policy', DASHBOARD_POLICY).header('x-frame-options', 'DENY');
      return send(request, reply, index, 'no-cache');
    },
  );

  define(
    {
      method: 'GET',
      path: `${DASHBOARD_PATH}assets/:file`,
      operationId: 'getDashboardAsset',
      tag: 'dashboard',
      summary: "One of the dashboard's built files, named by its content hash (cached for a year).",
      public: true,
      responses: {
        200: { description: 'JavaScript or CSS.', mediaType: 'text/javascript' },
        304: { description: 'Not changed since the ETag sent in If-None-Match.' },
      },
      errors: { 404: 'ASTRA_NOT_FOUND: no such file' },
    },
    async (request, reply) => {
      const name = (request.params as { file: string }).file;
      const file = (await files()).assets.get(name);
      if (file === undefined)
        throw new AstraError('ASTRA_NOT_FOUND', 'no such dashboard file', { details: { file: name } });
      return send(request, reply, file, 'public, max-age=31536000, immutable');
    },
  );
};

function send(
  request: FastifyRequest,
  reply: FastifyReply,
  file: DashboardFile,
  cache: string,
): FastifyReply {
  reply
    .header('etag', file.etag)
    .header('cache-control', cache)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
  if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
  return reply.type(file.mediaType).send(file.body);
}
