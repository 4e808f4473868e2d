import type { Fixture, World } from './fixture.js';
import type { MatrixServer } from './matrix-server.js';

/**
 * The prompt routes in the access matrix (docs/prompts.md): they act in the organization their
 * `org_id` names and check it in the handler (`filtered` rules), so the matrix sends each of them,
 * with organization A named, for every principal and expects what the rule on A says
 * (`org.view`: members; `org.admin`: A's admins). Each case's request, and the resources it needs.
 */
export interface PromptCase {
  readonly label: string;
  readonly action: 'org.view' | 'org.admin';
  request(): Promise<{ method: string; target: string; body?: unknown }>;
}

export const MATRIX_PROMPT = 'matrix-prompt';

/** Versions 1 and 2 of the matrix prompt in A, and a running experiment over them; its id. */
export async function preparePrompts(server: MatrixServer, f: Fixture): Promise<string> {
  for (const version of [1, 2])
    await server.admin('POST', '/prompts', { org_id: f.orgA, name: MATRIX_PROMPT, version, body: 'x' });
  const experiment = await server.admin<{ id: string }>('POST', '/prompts/experiments', {
    org_id: f.orgA,
    prompt_name: MATRIX_PROMPT,
    subject: 'agent',
    variants: [
      { version: 1, weight: 1 },
      { version: 2, weight: 1 },
    ],
  });
  return experiment.id;
}

export function promptCases(
  server: MatrixServer,
  world: World,
  f: Fixture,
  experimentId: string,
): PromptCase[] {
  const a = `org_id=${f.orgA}`;
  const get = (target: string) => async () => ({ method: 'GET', target });
  return [
    {
      label: 'POST /prompts',
      action: 'org.admin',
      request: async () => ({
        method: 'POST',
        target: '/prompts',
        body: { org_id: f.orgA, name: MATRIX_PROMPT, version: 1, body: 'x' },
      }),
    },
    { label: 'GET /prompts', action: 'org.view', request: get(`/prompts?${a}`) },
    { label: 'GET /prompts/{name}', action: 'org.view', request: get(`/prompts/${MATRIX_PROMPT}?${a}`) },
    {
      label: 'GET /prompts/{name}/{version}',
      action: 'org.view',
      request: get(`/prompts/${MATRIX_PROMPT}/1?${a}`),
    },
    {
      label: 'POST /prompts/{name}/{version}/render',
      action: 'org.view',
      request: async () => ({
        method: 'POST',
        target: `/prompts/${MATRIX_PROMPT}/latest/render`,
        body: { org_id: f.orgA },
      }),
    },
    {
      label: 'DELETE /prompts/{name}/{version}',
      action: 'org.admin',
      // A template of its own, so deleting it takes nothing from the other cases.
      request: async () => {
        const name = world.unique('doomed-prompt').replace(/[^A-Za-z0-9_.:-]/g, '-');
        await server.admin('POST', '/prompts', { org_id: f.orgA, name, version: 1, body: 'x' });
        return { method: 'DELETE', target: `/prompts/${name}/1?${a}` };
      },
    },
    {
      label: 'POST /prompts/experiments',
      action: 'org.admin',
      // Allowed: 409, one already runs over the template (past access control).
      request: async () => ({
        method: 'POST',
        target: '/prompts/experiments',
        body: {
          org_id: f.orgA,
          prompt_name: MATRIX_PROMPT,
          subject: 'goal',
          variants: [
            { version: 1, weight: 1 },
            { version: 2, weight: 1 },
          ],
        },
      }),
    },
    { label: 'GET /prompts/experiments', action: 'org.view', request: get(`/prompts/experiments?${a}`) },
    {
      label: 'GET /prompts/experiments/{id}',
      action: 'org.view',
      request: get(`/prompts/experiments/${experimentId}`),
    },
    {
      label: 'GET /prompts/experiments/{id}/report',
      action: 'org.view',
      request: get(`/prompts/experiments/${experimentId}/report`),
    },
    {
      label: 'POST /prompts/experiments/{id}/stop',
      action: 'org.admin',
      // Stopping a stopped experiment answers it as it is, so every allowed case gets 200.
      request: async () => ({ method: 'POST', target: `/prompts/experiments/${experimentId}/stop` }),
    },
  ];
}
