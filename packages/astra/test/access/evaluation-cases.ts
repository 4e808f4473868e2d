import type { Fixture, World } from './fixture.js';
import type { MatrixServer } from './matrix-server.js';
import type { PromptCase } from './prompt-cases.js';

/**
 * The dataset and experiment routes in the access matrix (docs/evaluation.md): like the prompt
 * routes they act in an organization and check it in the handler (`filtered` rules), so each is sent
 * for every principal against organization A's dataset and experiments, expecting what the rule on
 * A says (`org.view`: members; `org.admin`: A's admins). `POST /experiments` also needs `agent.use`
 * on its agent and is left to the tests of the service.
 */
export interface EvaluationResources {
  readonly datasetId: string;
  readonly experimentA: string;
  readonly experimentB: string;
}

/** A dataset of A with one item and two experiments over it, by the admin token. */
export async function prepareEvaluation(
  server: MatrixServer,
  world: World,
  f: Fixture,
): Promise<EvaluationResources> {
  const name = world.unique('matrix-dataset').replace(/[^A-Za-z0-9_.:-]/g, '-');
  const dataset = await server.admin<{ id: string }>('POST', '/datasets', { org_id: f.orgA, name });
  await server.admin('POST', `/datasets/${dataset.id}/items`, {
    items: [{ input: 'hello', expected: 'hello' }],
  });
  const start = async (label: string) =>
    (
      await server.admin<{ id: string }>('POST', '/experiments', {
        dataset_id: dataset.id,
        agent_id: f.agents.pub.id,
        name: label,
        target: { kind: 'agent' },
        validators: [{ kind: 'contains', text: '$expected' }],
      })
    ).id;
  return { datasetId: dataset.id, experimentA: await start('a'), experimentB: await start('b') };
}

export function evaluationCases(world: World, f: Fixture, r: EvaluationResources): PromptCase[] {
  const get = (target: string) => async () => ({ method: 'GET', target });
  return [
    {
      label: 'POST /datasets',
      action: 'org.admin',
      request: async () => ({
        method: 'POST',
        target: '/datasets',
        body: { org_id: f.orgA, name: world.unique('dataset').replace(/[^A-Za-z0-9_.:-]/g, '-') },
      }),
    },
    { label: 'GET /datasets', action: 'org.view', request: get(`/datasets?org_id=${f.orgA}`) },
    { label: 'GET /datasets/{id}', action: 'org.view', request: get(`/datasets/${r.datasetId}`) },
    {
      label: 'POST /datasets/{id}/items',
      action: 'org.admin',
      request: async () => ({
        method: 'POST',
        target: `/datasets/${r.datasetId}/items`,
        body: { items: [{ input: 'more' }] },
      }),
    },
    { label: 'GET /experiments/{id}', action: 'org.view', request: get(`/experiments/${r.experimentA}`) },
    {
      label: 'GET /experiments/{a}/compare/{b}',
      action: 'org.view',
      request: get(`/experiments/${r.experimentA}/compare/${r.experimentB}`),
    },
  ];
}
