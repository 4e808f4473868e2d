import type { AstraClient } from '@astra/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { goalEnded } from '../e2e/astra-process.js';
import { type PrivateServer, privateServerAvailable, startPrivateServer } from '../support/private-server.js';
import { testServices } from '../support/services.js';
import { createTestPostgresStore, type TestPostgresStore } from '../support/sql.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { toolTask } from '../support/tool-task-kit.js';
import { eventually, type ScrapeHistory } from './alerts.js';
import { type ChaosNode, startChaosNode } from './chaos-node.js';
import { find } from './exposition.js';

/**
 * Chaos tests of docs/runbooks/postgres-outage.md and redis-failure.md: a node on the test's own
 * Postgres database and its own Redis, each reached through a TCP proxy (the machine's Postgres,
 * which other tests use, is never touched; a node has no Redis key prefix, so its Redis is a
 * private server). Cutting a proxy makes AstraPostgresDown / AstraRedisDown fire on the node's
 * scrapes; restoring it, the pools reconnect on their own, the alert is quiet and a goal completes.
 */
const canRun = testServices().postgresUrl !== null && (await privateServerAvailable('redis'));

describe.skipIf(!canRun)('backend outages on the alert expressions', () => {
  let database: TestPostgresStore;
  let redis: PrivateServer;
  let sqlProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let chaos: ChaosNode;
  let client: AstraClient;
  let agentId: string;
  let history: ScrapeHistory;
  const up = async (backend: string): Promise<number | undefined> =>
    find((await history.take()).scrape, 'astra_backend_up', { backend })[0]?.value;
  const goalCompletes = async (): Promise<string> => {
    const tasks = [toolTask('after', 'js_eval', { code: '6 * 7' })];
    const { goal_id } = await client.submitGoal(agentId, { goal_text: 'after the outage', plan: { tasks } });
    return goalEnded(client, goal_id);
  };

  beforeAll(async () => {
    [database, redis] = await Promise.all([createTestPostgresStore(), startPrivateServer('redis')]);
    const postgres = new URL(database.url);
    [sqlProxy, redisProxy] = await Promise.all([
      startTcpProxy({ host: postgres.hostname, port: Number(postgres.port || 5432) }),
      startTcpProxy({ host: redis.host, port: redis.port }),
    ]);
    postgres.hostname = '127.0.0.1';
    postgres.port = String(sqlProxy.port);
    chaos = await startChaosNode({
      flags: {
        postgresUrl: postgres.toString(),
        postgresMaxConnections: 6,
        redisUrl: `redis://127.0.0.1:${redisProxy.port}`,
      },
      roles: ['gateway', 'scheduler', 'executor', 'worker-manager'],
    });
    ({ client, history } = chaos);
    ({ actor_id: agentId } = await client.createAgent({ name: 'chaos-backends' }));
  }, 120_000);

  // A failed test leaves no proxy cut for the next.
  afterEach(() => {
    sqlProxy.restore();
    redisProxy.restore();
  });

  afterAll(async () => {
    await chaos?.stop();
    await Promise.all([sqlProxy?.close(), redisProxy?.close()]);
    await Promise.all([database?.drop(), redis?.stop()]);
  });

  it('fires AstraPostgresDown while Postgres is cut off; quiet once it is back, and goals complete', async () => {
    expect(await up('sql')).toBe(1);
    expect(await history.alert('AstraPostgresDown')).toEqual([]);
    sqlProxy.cut();
    await eventually(
      () => up('sql'),
      (value) => value === 0,
    );
    expect(await history.alert('AstraPostgresDown')).toEqual([{ labels: {}, value: 0 }]);
    sqlProxy.restore();
    await eventually(
      () => up('sql'),
      (value) => value === 1,
    );
    expect(await history.alert('AstraPostgresDown')).toEqual([]);
    expect(await goalCompletes()).toBe('GoalCompleted');
  }, 40_000);

  it('fires AstraRedisDown while Redis is cut off; quiet once it is back, and goals complete', async () => {
    expect(await up('bus')).toBe(1);
    expect(await history.alert('AstraRedisDown')).toEqual([]);
    redisProxy.cut();
    await eventually(
      () => up('bus'),
      (value) => value === 0,
    );
    expect(await history.alert('AstraRedisDown')).toHaveLength(1);
    redisProxy.restore();
    await eventually(
      () => history.take(),
      (scrape) => find(scrape.scrape, 'astra_backend_up').every((sample) => sample.value === 1),
    );
    expect(await history.alert('AstraRedisDown')).toEqual([]);
    expect(await goalCompletes()).toBe('GoalCompleted');
  }, 40_000);
});
