import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraClient } from '@astra/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningNode, startNode } from '../../src/app/node.js';
import { createLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/time/clock.js';
import { goalEnded } from '../e2e/astra-process.js';
import { testNodeConfig } from '../support/node-config.js';
import { type PrivateServer, privateServerAvailable, startPrivateServer } from '../support/private-server.js';
import { testServices } from '../support/services.js';
import { createTestPostgresStore, type TestPostgresStore } from '../support/sql.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { toolTask } from '../support/tool-task-kit.js';
import { eventually, ScrapeHistory } from './alerts.js';
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
  let node: RunningNode;
  let client: AstraClient;
  let agentId: string;
  let dataDir: string;
  let history: ScrapeHistory;
  const adminToken = `chaos-backends-${randomBytes(18).toString('hex')}`;
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
    dataDir = mkdtempSync(path.join(tmpdir(), 'astra-chaos-backends-'));
    const config = testNodeConfig({
      dataDir,
      adminToken,
      metricsPort: 0,
      llmDetectOllama: 'false',
      postgresUrl: postgres.toString(),
      postgresMaxConnections: 6,
      redisUrl: `redis://127.0.0.1:${redisProxy.port}`,
    });
    node = await startNode(config, {
      clock: systemClock,
      logger: createLogger({ level: 'silent' }),
      adminToken,
      roles: ['gateway', 'scheduler', 'executor', 'worker-manager'],
    });
    client = new AstraClient({ baseUrl: node.url as string, token: adminToken });
    ({ actor_id: agentId } = await client.createAgent({ name: 'chaos-backends' }));
    history = new ScrapeHistory(node.metricsUrl as string);
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
    await Promise.all([sqlProxy?.close(), redisProxy?.close()]);
    await Promise.all([database?.drop(), redis?.stop()]);
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
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
