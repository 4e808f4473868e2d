import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AstraError } from '../../errors/index.js';
import type { JsonValue } from '../../kernel/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import type { AccessControl } from '../access/index.js';
import { orgFor } from '../agents/index.js';
import { assertStorable, defineRoutes, idParam, parseInput, principalOf } from '../api/index.js';
import { actorOf } from '../tools/index.js';
import {
  AddItemsBody,
  CreateDatasetBody,
  Dataset_,
  DatasetList,
  DatasetWithItems,
  datasetAnswer,
  ItemsAdded,
  itemAnswer,
  OrgQuery,
} from './api-schemas.js';
import {
  appendItems,
  createDataset,
  listDatasets,
  listItems,
  MAX_DATASET_ITEMS,
  readDataset,
} from './dataset-store.js';

/**
 * Datasets (docs/evaluation.md): an organization's admins create them and append items; its
 * members read them. Another organization's dataset is 404, as if it did not exist.
 */
export interface DatasetRoutesOptions {
  readonly store: SqlStore;
  readonly access: Pick<AccessControl, 'require' | 'scopeOf'>;
  readonly clock: Clock;
}

export const datasetRoutes: FastifyPluginAsync<DatasetRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);

  const datasetOf = async (request: FastifyRequest, action: 'org.view' | 'org.admin') => {
    const id = idParam(request.params, 'dataset');
    const dataset = await readDataset(deps.store, id);
    if (dataset === null) throw new AstraError('ASTRA_NOT_FOUND', `no dataset ${id}`);
    await orgFor(deps.access, principalOf(request), action, dataset.orgId);
    return dataset;
  };

  define(
    {
      method: 'POST',
      path: '/datasets',
      operationId: 'createDataset',
      access: { action: 'org.admin', filtered: true },
      tag: 'evaluation',
      summary: 'Create a dataset in an organization (its admins); its name is unique there.',
      body: CreateDatasetBody,
      responses: { 201: { description: 'Created.', body: Dataset_ } },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED',
        403: 'ASTRA_FORBIDDEN',
        404: 'ASTRA_NOT_FOUND: no such organization (or not one of yours)',
        409: 'ASTRA_STATE_CONFLICT: the organization has a dataset of that name',
      },
    },
    async (request, reply) => {
      const body = parseInput(CreateDatasetBody, request.body ?? {}, 'body');
      const principal = principalOf(request);
      const orgId = await orgFor(deps.access, principal, 'org.admin', body.org_id);
      const dataset = await createDataset(deps.store, {
        orgId,
        name: body.name,
        description: body.description ?? '',
        createdBy: actorOf(principal),
        now: new Date(deps.clock.now()),
      });
      if (dataset === null)
        throw new AstraError(
          'ASTRA_STATE_CONFLICT',
          `a dataset named ${body.name} exists in this organization`,
        );
      return reply.status(201).send(datasetAnswer(dataset));
    },
  );

  define(
    {
      method: 'GET',
      path: '/datasets',
      operationId: 'listDatasets',
      access: { action: 'org.view', filtered: true },
      tag: 'evaluation',
      summary: "The organization's datasets, newest first.",
      query: OrgQuery,
      responses: { 200: { description: '`{datasets: [...]}`', body: DatasetList } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND: no such organization (or not one of yours)' },
    },
    async (request) => {
      const query = parseInput(OrgQuery, request.query, 'query');
      const orgId = await orgFor(deps.access, principalOf(request), 'org.view', query.org_id);
      return { datasets: (await listDatasets(deps.store, [orgId])).map(datasetAnswer) };
    },
  );

  define(
    {
      method: 'GET',
      path: '/datasets/:id',
      operationId: 'getDataset',
      access: { action: 'org.view', filtered: true },
      tag: 'evaluation',
      summary: 'A dataset with its items in order (members of its organization).',
      responses: { 200: { description: 'The dataset.', body: DatasetWithItems } },
      errors: { 403: 'ASTRA_FORBIDDEN', 404: 'ASTRA_NOT_FOUND' },
    },
    async (request) => {
      const dataset = await datasetOf(request, 'org.view');
      return { ...datasetAnswer(dataset), items: (await listItems(deps.store, dataset.id)).map(itemAnswer) };
    },
  );

  define(
    {
      method: 'POST',
      path: '/datasets/:id/items',
      operationId: 'addDatasetItems',
      access: { action: 'org.admin', filtered: true },
      tag: 'evaluation',
      summary: `Append items \`{input, expected?}\` after the dataset's last (its organization's admins); at most ${MAX_DATASET_ITEMS} per dataset.`,
      body: AddItemsBody,
      responses: { 201: { description: 'The items added, with their positions.', body: ItemsAdded } },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED: the body breaks its schema, or the dataset would pass its size limit',
        403: 'ASTRA_FORBIDDEN',
        404: 'ASTRA_NOT_FOUND',
      },
    },
    async (request, reply) => {
      const dataset = await datasetOf(request, 'org.admin');
      const body = parseInput(AddItemsBody, request.body ?? {}, 'body');
      const items = body.items.map((item, index) => {
        assertStorable(item.input, `body.items[${index}].input`);
        if (item.expected !== undefined) assertStorable(item.expected, `body.items[${index}].expected`);
        return {
          input: (item.input ?? null) as JsonValue,
          expected: (item.expected ?? null) as JsonValue | null,
        };
      });
      const added = await appendItems(deps.store, dataset.id, items, new Date(deps.clock.now()));
      if (added === null)
        throw new AstraError(
          'ASTRA_VALIDATION_FAILED',
          `body.items: a dataset holds at most ${MAX_DATASET_ITEMS} items`,
          {
            details: { path: 'body.items', reason: `at most ${MAX_DATASET_ITEMS} items per dataset` },
          },
        );
      return reply.status(201).send({ items: added.map(itemAnswer) });
    },
  );
};
