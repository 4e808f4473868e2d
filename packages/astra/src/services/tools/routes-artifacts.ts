import type { FastifyPluginAsync } from 'fastify';
import { AstraError } from '../../errors/index.js';
import { type ArtifactStore, artifactUri } from '../../ports/artifacts.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { type AccessControl, onParam } from '../access/index.js';
import { defineRoutes, idParam, principalOf } from '../api/index.js';
import { TaskArtifactList, taskArtifactAnswer } from './api-schemas.js';
import { artifactProducers, listTaskArtifacts } from './artifact-ledger.js';
import type { ToolRuntime } from './tool-call.js';

/**
 * Artifacts through the API, under the access rules of what produced them: an artifact is
 * readable by whoever may read a task that stored it (`GET /tasks/{id}`: `agent.view` on the
 * task). An artifact no task visible to the caller
 * produced is 404 ASTRA_ARTIFACT_NOT_FOUND — exactly as one never stored, so its existence does
 * not leak across organizations. The bytes are immutable (named by their SHA-256): the ETag is the
 * hash, and `If-None-Match` answers 304 once access is granted. Served as an attachment with
 * `nosniff` and a sandboxing CSP, so a stored HTML page never runs in the API's origin.
 */
export interface ArtifactRoutesOptions {
  readonly store: SqlStore;
  readonly access: Pick<AccessControl, 'allows'>;
  readonly clock: Clock;
  /** The node's tool runtime, whose artifact store holds the bytes (read when a request is served). */
  readonly tools: { readonly runtime: Pick<ToolRuntime, 'artifacts'> };
}

const SHA256 = /^[0-9a-fA-F]{64}$/;

const notFound = (sha256: string): AstraError =>
  new AstraError('ASTRA_ARTIFACT_NOT_FOUND', 'artifact not found', {
    details: { sha256: sha256.slice(0, 64) },
  });

export const artifactRoutes: FastifyPluginAsync<ArtifactRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);

  define(
    {
      method: 'GET',
      path: '/artifacts/:sha',
      operationId: 'getArtifact',
      access: { action: 'agent.view', filtered: true },
      tag: 'tools',
      summary:
        "An artifact's bytes (`Content-Type` its media type, `ETag` its SHA-256), for whoever may read a task that stored it; `If-None-Match` with the ETag answers 304.",
      responses: {
        200: {
          description:
            'The bytes, with `Content-Type`, `Content-Length`, `ETag` (the SHA-256) and `Cache-Control: private`.',
          mediaType: 'application/octet-stream',
        },
        304: { description: 'Not modified: the `If-None-Match` ETag is this artifact.' },
      },
      errors: {
        404: 'ASTRA_ARTIFACT_NOT_FOUND: never stored, expired, or no task the caller may read stored it',
      },
    },
    async (request, reply) => {
      const raw = String((request.params as { sha?: unknown }).sha ?? '');
      if (!SHA256.test(raw)) throw notFound(raw);
      const sha256 = raw.toLowerCase();
      const principal = principalOf(request);
      const now = deps.clock.now();
      let visible = false;
      for (const producer of await artifactProducers(deps.store, sha256, now)) {
        // Reading a task's artifact is reading the task (one row per task).
        if (await deps.access.allows(principal, 'agent.view', { type: 'task', id: producer.taskId })) {
          visible = true;
          break;
        }
      }
      if (!visible) throw notFound(sha256);
      const etag = `"${sha256}"`;
      const common = {
        etag,
        'cache-control': 'private, no-cache',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
      };
      const inm = request.headers['if-none-match'];
      if (typeof inm === 'string' && inm.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
        const meta = await deps.tools.runtime.artifacts.head(artifactUri(sha256));
        if (meta === null) throw notFound(sha256);
        return reply.status(304).headers(common).send();
      }
      let got: Awaited<ReturnType<ArtifactStore['get']>>;
      try {
        got = await deps.tools.runtime.artifacts.get(artifactUri(sha256));
      } catch (error) {
        // Recorded but gone from the store (swept, deleted): as never stored.
        if (error instanceof AstraError && error.code === 'ASTRA_ARTIFACT_NOT_FOUND') throw notFound(sha256);
        throw error;
      }
      return reply
        .status(200)
        .headers({
          ...common,
          'content-type': got.meta.mediaType,
          'content-length': String(got.meta.sizeBytes),
          'content-disposition': `attachment; filename="${sha256}"`,
        })
        .send(got.body);
    },
  );

  define(
    {
      method: 'GET',
      path: '/tasks/:id/artifacts',
      operationId: 'listTaskArtifacts',
      access: { action: 'agent.view', resource: onParam('task') },
      tag: 'tools',
      summary: 'The artifacts a task stored (its tool calls), oldest first, each with its URI.',
      responses: { 200: { description: '`{task_id, artifacts: [...]}`', body: TaskArtifactList } },
      errors: { 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const taskId = idParam(request.params, 'task');
      const records = await listTaskArtifacts(deps.store, taskId, deps.clock.now());
      return { task_id: taskId, artifacts: records.map(taskArtifactAnswer) };
    },
  );
};
