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
import { eventually, ScrapeHistory } from './alerts.js';
import { find, parseExposition } from './exposition.js';
import type { TimedScrape } from './promql/index.js';

/**
 * `ASTRA_METRICS_PORT`: `/metrics` moves to a port of its own, answered without credentials, and
 * the API port no longer has it; the node reports the figures of the roles it runs (no executor
 * here: no task samples, no heartbeat counted). And the worker-lost runbook's chaos test: a worker
 * that stops heartbeating (its row left behind by a killed process) is declared dead, and the
 * expressions of AstraWorkerLost and AstraNoActiveWorkers fire on the scrapes; a replacement
 * worker clears the second, five quiet minutes the first.
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

  it('fires AstraWorkerLost and AstraNoActiveWorkers for a killed worker, and stops once a worker is back', async () => {
    const history = new ScrapeHistory(node.metricsUrl as string);
    const lost = (scrape: TimedScrape) => find(scrape.scrape, 'astra_workers_lost_total')[0]?.value;
    expect(lost(await history.take())).toBe(0);
    expect(await history.alert('AstraWorkerLost')).toEqual([]);
    // A worker killed a minute ago: its row stays active, its heartbeats stopped.
    await registerWorker(node.backends.store, {
      id: randomUUID(),
      hostname: 'killed-host',
      capabilities: ['noop'],
      concurrency: 1,
      metadata: {},
      now: new Date(Date.now() - 60_000),
    });
    // The worker manager checks every second (deadline 5 s / 5): scrape until it has declared it.
    const declared = await eventually(
      () => history.take(),
      (scrape) => lost(scrape) === 1,
    );
    expect(find(declared.scrape, 'astra_workers', { status: 'offline' })[0]?.value).toBe(1);
    expect(await history.alert('AstraWorkerLost')).toHaveLength(1);
    expect(await history.alert('AstraNoActiveWorkers')).toHaveLength(1);
    // Recovery (docs/runbooks/worker-lost.md): a replacement worker registers and heartbeats.
    await registerWorker(node.backends.store, {
      id: randomUUID(),
      hostname: 'replacement-host',
      capabilities: ['noop'],
      concurrency: 1,
      metadata: {},
      now: new Date(),
    });
    const back = await history.take();
    expect(find(back.scrape, 'astra_workers', { status: 'active' })[0]?.value).toBe(1);
    expect(await history.alert('AstraNoActiveWorkers')).toEqual([]);
    // No worker lost since: five minutes on (scrapes with assigned times), AstraWorkerLost is quiet.
    await history.take(back.atMs + 300_000);
    await history.take(back.atMs + 360_000);
    expect(await history.alert('AstraWorkerLost')).toEqual([]);
  });

  it('has no /metrics on the API port', async () => {
    const answer = await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(answer.status).toBe(404);
  });
});
