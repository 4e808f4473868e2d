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
import { find, parseExposition } from './exposition.js';

/**
 * `ASTRA_METRICS_PORT`: `/metrics` moves to a port of its own, answered without credentials, and
 * the API port no longer has it; the node reports the figures of the roles it runs (no executor
 * here: no task samples, no heartbeat counted). And the worker-lost runbook's symptom: a worker that stops
 * heartbeating (its row left behind by a killed process) is declared dead, and the metric of the
 * AstraWorkerLost alert goes from 0 to 1.
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

  it('shows a lost worker in the AstraWorkerLost alert metric', async () => {
    const scrape = async () => parseExposition(await (await fetch(`${node.metricsUrl}/metrics`)).text());
    const lost = async () => find(await scrape(), 'astra_workers_lost_total')[0]?.value;
    expect(await lost()).toBe(0);
    // A worker killed a minute ago: its row stays active, its heartbeats stopped.
    await registerWorker(node.backends.store, {
      id: randomUUID(),
      hostname: 'killed-host',
      capabilities: ['noop'],
      concurrency: 1,
      metadata: {},
      now: new Date(Date.now() - 60_000),
    });
    // The worker manager checks every second (deadline 5 s / 5): ask until it has declared it.
    while ((await lost()) === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await lost()).toBe(1);
    expect(find(await scrape(), 'astra_workers', { status: 'offline' })[0]?.value).toBe(1);
  });

  it('has no /metrics on the API port', async () => {
    const answer = await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(answer.status).toBe(404);
  });
});
