import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningNode, startNode } from '../../src/app/node.js';
import { createLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/time/clock.js';
import { testNodeConfig } from '../support/node-config.js';
import { find, parseExposition } from './exposition.js';

/**
 * `ASTRA_METRICS_PORT`: `/metrics` moves to a port of its own, answered without credentials, and
 * the API port no longer has it; the node reports the figures of the roles it runs (a scheduler's
 * here, no worker manager's).
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
        roles: ['gateway', 'scheduler'],
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
    // The scheduler's figures, and no executor ran here: no worker or task series.
    expect(find(scrape, 'astra_scheduler_ready_queue_depth')).toHaveLength(node.kernel.engine.shardCount);
    expect(find(scrape, 'astra_backend_up', { backend: 'sql' })[0]?.value).toBe(1);
    expect(scrape.families.has('astra_workers')).toBe(false);
    expect((await fetch(`${node.metricsUrl}/other`)).status).toBe(404);
    expect((await fetch(`${node.metricsUrl}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('has no /metrics on the API port', async () => {
    const answer = await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(answer.status).toBe(404);
  });
});
