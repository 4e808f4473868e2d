import type { AstraClient } from '@astra/sdk';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { goalEnded } from '../e2e/astra-process.js';
import { type PrivateServer, privateServerAvailable, startPrivateServer } from '../support/private-server.js';
import { testServices } from '../support/services.js';
import { createTestPostgresStore, type TestPostgresStore } from '../support/sql.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { toolTask } from '../support/tool-task-kit.js';
import { alertRule, eventually, ScrapeHistory } from './alerts.js';
import { type ChaosNode, startChaosNode } from './chaos-node.js';
import { find } from './exposition.js';

/**
 * Chaos tests of docs/runbooks/postgres-outage.md and redis-failure.md: a node on the test's own
 * Postgres database and its own Redis, each reached through a TCP proxy (the machine's Postgres,
 * which other tests use, is never touched; a node has no Redis key prefix, so its Redis is a
 * private server). Cutting a proxy makes AstraPostgresDown / AstraRedisDown pending on the node's
 * scrapes, and firing once the outage has lasted the rule's `for:` (scrape times assigned, so no
 * minute is waited); restoring it, the pools reconnect on their own, the alert is inactive and a
 * goal completes.
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
    find(await history.peek(), 'astra_backend_up', { backend })[0]?.value;
  /**
   * Scrapes at 0 (the backend up), then cuts it and, once the node sees it, scrapes at 15 s, at
   * 15 s + `for:` − 1 s and at 15 s + `for:`; restores it and, once the node sees that, scrapes
   * one last time. The rule's states after each scrape.
   */
  const outage = async (options: {
    readonly alert: string;
    readonly proxy: TcpProxy;
    readonly isDown: () => Promise<boolean>;
    readonly isUp: () => Promise<boolean>;
  }): Promise<string[]> => {
    const { forMs } = await alertRule(options.alert);
    expect(await options.isUp()).toBe(true);
    await history.take(0);
    options.proxy.cut();
    await eventually(options.isDown, (down) => down);
    for (const atMs of [15_000, 14_000 + forMs, 15_000 + forMs]) await history.take(atMs);
    options.proxy.restore();
    await eventually(options.isUp, (isUp) => isUp);
    await history.take(30_000 + forMs);
    return history.states(options.alert);
  };
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
    ({ client } = chaos);
    ({ actor_id: agentId } = await client.createAgent({ name: 'chaos-backends' }));
  }, 120_000);

  beforeEach(() => {
    history = new ScrapeHistory(chaos.node.metricsUrl as string);
  });

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

  it('AstraPostgresDown: pending once Postgres is cut off, firing after its for:, inactive once it is back; goals complete', async () => {
    const states = await outage({
      alert: 'AstraPostgresDown',
      proxy: sqlProxy,
      isDown: async () => (await up('sql')) === 0,
      isUp: async () => (await up('sql')) === 1,
    });
    expect(states).toEqual(['inactive', 'pending', 'pending', 'firing', 'inactive']);
    expect(await goalCompletes()).toBe('GoalCompleted');
  }, 40_000);

  it('AstraRedisDown: pending once Redis is cut off, firing after its for:, inactive once it is back; goals complete', async () => {
    const states = await outage({
      alert: 'AstraRedisDown',
      proxy: redisProxy,
      isDown: async () => (await up('bus')) === 0,
      isUp: async () => find(await history.peek(), 'astra_backend_up').every((sample) => sample.value === 1),
    });
    expect(states).toEqual(['inactive', 'pending', 'pending', 'firing', 'inactive']);
    expect(await goalCompletes()).toBe('GoalCompleted');
  }, 40_000);
});
