import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningNode, startNode } from '../../src/app/node.js';
import { registerWorker } from '../../src/kernel/index.js';
import { createLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/time/clock.js';
import { testNodeConfig } from '../support/node-config.js';
import { alertRule, eventually, ScrapeHistory } from './alerts.js';
import { find, parseExposition, type Scrape } from './exposition.js';

/**
 * `ASTRA_METRICS_PORT`: `/metrics` moves to a port of its own, answered without credentials, and
 * the API port no longer has it; the node reports the figures of the roles it runs (no executor
 * here: no task samples, no heartbeat counted). And the worker-lost runbook's chaos test: a worker
 * that stops heartbeating (its row left behind by a killed process) is declared dead and
 * AstraWorkerLost (no `for:`) fires at the next scrape; AstraNoActiveWorkers, pending while no
 * worker is active, fires once its `for:` has passed; a replacement worker makes it inactive, and
 * five minutes without a loss AstraWorkerLost. Scrape times are assigned, so no minute is waited.
 */
describe('metrics on a port of their own', () => {
  let node: RunningNode;
  let dataDir: string;
  const adminToken = `metrics-port-${randomBytes(18).toString('hex')}`;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'astra-metrics-port-'));
    node = await startNode(
      testNodeConfig({ dataDir, adminToken, metricsPort: 0, llmDetectOllama: 'false' }),
      {
        clock: systemClock,
        logger: createLogger({ level: 'silent' }),
        adminToken,
        roles: ['gateway', 'scheduler', 'worker-manager'],
      },
    );
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers /metrics on the metrics port without credentials, and nothing else there', async () => {
    expect(node.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const answer = await fetch(`${node.metricsUrl}/metrics`);
    expect(answer.status).toBe(200);
    const scrape = parseExposition(await answer.text());
    // The scheduler's and worker manager's figures; no executor ran here: no task or heartbeat series.
    expect(find(scrape, 'astra_scheduler_ready_queue_depth')).toHaveLength(node.kernel.engine.shardCount);
    expect(find(scrape, 'astra_backend_up', { backend: 'sql' })[0]?.value).toBe(1);
    expect(find(scrape, 'astra_workers', { status: 'active' })[0]?.value).toBe(0);
    expect(find(scrape, 'astra_task_latency_seconds_count')).toEqual([]);
    expect(find(scrape, 'astra_worker_heartbeat_total').map((s) => s.value)).toEqual([0]);
    expect((await fetch(`${node.metricsUrl}/other`)).status).toBe(404);
    expect((await fetch(`${node.metricsUrl}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('fires AstraWorkerLost and, after its for:, AstraNoActiveWorkers for a killed worker; inactive once a worker is back', async () => {
    const history = new ScrapeHistory(node.metricsUrl as string);
    const lost = (scrape: Scrape) => find(scrape, 'astra_workers_lost_total')[0]?.value;
    const { forMs } = await alertRule('AstraNoActiveWorkers');
    // No executor here: no worker is active from the start.
    const start = await history.take(0);
    expect(lost(start.scrape)).toBe(0);
    expect(find(start.scrape, 'astra_workers', { status: 'active' })[0]?.value).toBe(0);
    // A worker killed a minute ago: its row stays active, its heartbeats stopped.
    await registerWorker(node.backends.store, {
      id: randomUUID(),
      hostname: 'killed-host',
      capabilities: ['noop'],
      concurrency: 1,
      metadata: {},
      now: new Date(Date.now() - 60_000),
    });
    // The worker manager checks every second (deadline 5 s / 5): wait until it has declared it.
    await eventually(
      () => history.peek(),
      (scrape) => lost(scrape) === 1,
    );
    const declared = await history.take(30_000);
    expect(find(declared.scrape, 'astra_workers', { status: 'offline' })[0]?.value).toBe(1);
    await history.take(forMs - 1000);
    await history.take(forMs);
    // Recovery (docs/runbooks/worker-lost.md): a replacement worker registers and heartbeats.
    await registerWorker(node.backends.store, {
      id: randomUUID(),
      hostname: 'replacement-host',
      capabilities: ['noop'],
      concurrency: 1,
      metadata: {},
      now: new Date(),
    });
    const back = await history.take(forMs + 15_000);
    expect(find(back.scrape, 'astra_workers', { status: 'active' })[0]?.value).toBe(1);
    // No worker lost since: five minutes on, (declared + 1 min, now] holds no increase.
    await history.take(declared.atMs + 360_000);
    expect(await history.states('AstraNoActiveWorkers')).toEqual([
      'pending',
      'pending',
      'pending',
      'firing',
      'inactive',
      'inactive',
    ]);
    expect(await history.states('AstraWorkerLost')).toEqual([
      'inactive',
      'firing',
      'firing',
      'firing',
      'firing',
      'inactive',
    ]);
  });

  it('has no /metrics on the API port', async () => {
    const answer = await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(answer.status).toBe(404);
  });
});
