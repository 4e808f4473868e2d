import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraClient } from '@astra/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  type PrivateServer,
  privateServerAvailable,
  startPrivateServer,
} from '../support/private-server.js';
import { testServices } from '../support/services.js';
import { createTestPostgresStore, type TestPostgresStore } from '../support/sql.js';
import { type AstraProcess, runAstra } from './astra-process.js';

/**
 * Distributed mode on one machine: the roles split over four `astra serve` processes sharing one
 * Postgres database (cloned for this file) and one Redis (a private server, so the fixed stream
 * names collide with nobody), and a 100-task DAG submitted from a file with the CLI.
 */
const canRun = testServices().postgresUrl !== null && (await privateServerAvailable('redis'));
const token = 'split-roles-test-token-0123456789abcdef';

describe.skipIf(!canRun)('astra serve: roles split over processes on Postgres + Redis', () => {
  let postgres: TestPostgresStore;
  let redis: PrivateServer;
  let url: string;
  const processes: AstraProcess[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'astra-split-'));

  const serve = async (roles: string[], env: Record<string, string>): Promise<AstraProcess> => {
    const astra = runAstra(['serve', ...roles, '--log-level', 'warn'], env);
    processes.push(astra);
    await astra.waitForLine(/ready \(single-node\)/);
    return astra;
  };

  beforeAll(async () => {
    postgres = await createTestPostgresStore({ maxConnections: 2 });
    redis = await startPrivateServer('redis');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const env = {
      ASTRA_POSTGRES_URL: postgres.url,
      ASTRA_REDIS_URL: redis.address,
      ASTRA_ADMIN_TOKEN: token,
      ASTRA_PORT: String(port),
      ASTRA_DATA_DIR: dir,
      ASTRA_WORKER_HEARTBEAT_MS: '200',
    };
    await serve(['gateway'], env);
    await serve(['scheduler', 'worker-manager'], env);
    await serve(['executor'], env);
    await serve(['executor'], env);
  }, 90_000);

  afterAll(async () => {
    for (const astra of processes.reverse()) {
      astra.child.kill('SIGTERM');
      await astra.exited;
    }
    await redis?.stop();
    await postgres?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a 100-task DAG from a plan file to completion across the processes', async () => {
    const client = new AstraClient({ baseUrl: url, token });
    const { actor_id: agentId } = await client.createAgent({ name: 'split' });
    const layer = (name: string, n: number, after: string[]) =>
      Array.from({ length: n }, (_, i) => ({
        id: `${name}${i}`,
        type: 'echo',
        payload: { name, i },
        depends_on: after,
      }));
    const first = layer('a', 33, []);
    const second = layer(
      'b',
      33,
      first.map((t) => t.id),
    );
    const third = layer(
      'c',
      33,
      second.slice(0, 10).map((t) => t.id),
    );
    const tasks = [
      ...first,
      ...second,
      ...third,
      { id: 'end', type: 'noop', depends_on: third.map((t) => t.id) },
    ];
    const planFile = path.join(dir, 'plan.json');
    writeFileSync(planFile, JSON.stringify({ tasks }));
    const cli = runAstra(
      ['goal', 'submit', '--agent', agentId, '--plan', planFile, '--follow', '--url', url],
      {
        ASTRA_TOKEN: token,
      },
    );
    expect(await cli.exited).toBe(0);
    const goalId = /goal ([0-9a-f-]{36}) active: 100 tasks/.exec(cli.stdout.join('\n'))?.[1] as string;
    const goal = await client.getGoal(goalId);
    expect(goal).toMatchObject({ status: 'completed', progress: { total: 100, completed: 100 } });
    const graph = await client.getGraph(goal.graph_id as string);
    expect(graph.tasks.every((t) => t.status === 'completed' && t.attempt === 1)).toBe(true);
    const { workers } = await client.listWorkers();
    expect(workers.filter((w) => w.status === 'active')).toHaveLength(2);
    const ran = new Set(graph.tasks.map((t) => t.worker_id));
    expect([...ran].every((id) => workers.some((w) => w.id === id))).toBe(true);
  });
});
