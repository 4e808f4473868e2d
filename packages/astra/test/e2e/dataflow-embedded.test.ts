import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraClient } from '@astra/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AstraProcess, adminTokenOf, runAstra, urlFrom } from './astra-process.js';

/**
 * Results flowing between tasks end to end: a real `astra up` in embedded mode, a plan whose tasks
 * consume their ancestors' results through `$from`, submitted over REST and through the CLI.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-dataflow-'));
let astra: AstraProcess;
let url: string;
let client: AstraClient;
let token: string;

const plan = {
  tasks: [
    { id: 'fetch', type: 'echo', payload: { status: 200, body: { city: 'Lisbon', temps: [18, 21] } } },
    {
      id: 'parse',
      type: 'echo',
      payload: {
        city: { $from: 'fetch', pointer: '/body/city' },
        high: { $from: 'fetch', pointer: '/body/temps/1' },
      },
      depends_on: ['fetch'],
    },
    {
      id: 'report',
      type: 'echo',
      payload: { summary: { $from: 'parse' }, status: { $from: 'fetch', pointer: '/status' } },
      depends_on: ['parse'],
    },
  ],
};
const expected = { summary: { city: 'Lisbon', high: 21 }, status: 200 };

beforeAll(async () => {
  astra = runAstra(['up', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
  url = urlFrom(await astra.waitForLine(/ready \(embedded\) at/));
  token = adminTokenOf(dataDir);
  client = new AstraClient({ baseUrl: url, token });
}, 60_000);

afterAll(async () => {
  astra.child.kill('SIGTERM');
  await astra.exited;
  rmSync(dataDir, { recursive: true, force: true });
});

async function reportOf(goalId: string): Promise<unknown> {
  const goal = await client.getGoal(goalId);
  expect(goal.status).toBe('completed');
  const graph = await client.getGraph(goal.graph_id as string);
  return graph.tasks.find((task) => task.name === 'report');
}

describe('data flowing between tasks, embedded mode', () => {
  it('runs a plan of $from references submitted with `astra goal submit --plan … --follow`', async () => {
    const { actor_id: agentId } = await client.createAgent({ name: 'dataflow-cli' });
    const planFile = path.join(dataDir, 'plan.json');
    writeFileSync(planFile, JSON.stringify(plan));
    const cli = runAstra(
      ['goal', 'submit', '--agent', agentId, '--plan', planFile, '--follow', '--url', url],
      {
        ASTRA_TOKEN: token,
      },
    );
    expect(await cli.exited).toBe(0);
    const output = cli.stdout.join('\n');
    expect(output).toMatch(/3\/3 completed/);
    const goalId = /goal ([0-9a-f-]{36}) active/.exec(output)?.[1] as string;
    expect(await reportOf(goalId)).toMatchObject({
      status: 'completed',
      result: expected,
      payload: plan.tasks[2]?.payload,
    });
  });

  it('runs the same plan submitted over REST', async () => {
    const { actor_id: agentId } = await client.createAgent({ name: 'dataflow-rest' });
    const submitted = await client.submitGoal(agentId, { goal_text: 'weather report', plan });
    const follow = runAstra(['goal', 'follow', submitted.goal_id, '--url', url], { ASTRA_TOKEN: token });
    expect(await follow.exited).toBe(0);
    expect(await reportOf(submitted.goal_id)).toMatchObject({ status: 'completed', result: expected });
  });

  it('refuses a result over the result limit reported from outside, pointing to artifacts', async () => {
    const { actor_id: agentId } = await client.createAgent({ name: 'dataflow-limit' });
    const submitted = await client.submitGoal(agentId, {
      goal_text: 'one task',
      plan: { tasks: [{ id: 'a', type: 'noop' }] },
    });
    const goal = await client.getGoal(submitted.goal_id);
    const [task] = (await client.getGraph(goal.graph_id as string)).tasks;
    const error = await client
      .request('POST', `/tasks/${task?.id}/complete`, {
        body: { result: { body: 'x'.repeat(300 * 1024) } },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 400,
      code: 'ASTRA_VALIDATION_FAILED',
      details: { field: 'result' },
    });
    expect((error as Error).message).toMatch(/result limit: store the value as an artifact/);
  });

  it('answers 400 ASTRA_PLAN_INVALID with the path of a reference to a task that is not an ancestor', async () => {
    const { actor_id: agentId } = await client.createAgent({ name: 'dataflow-bad' });
    const error = await client
      .submitGoal(agentId, {
        goal_text: 'bad',
        plan: {
          tasks: [
            { id: 'a', type: 'noop' },
            { id: 'b', type: 'echo', payload: { list: [{ $from: 'a', pointer: '/x' }] } },
          ],
        },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 400,
      code: 'ASTRA_PLAN_INVALID',
      details: { path: 'tasks[1].payload.list[0]' },
    });
  });
});
