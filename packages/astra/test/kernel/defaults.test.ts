import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startExecutor } from '../../src/kernel/executor/executor.js';
import { approvalInput } from '../../src/services/approvals/policy.js';
import { systemClock } from '../../src/time/clock.js';
import { type KernelHarness, openKernel } from './harness.js';

/**
 * A component built without an option behaves as a node started without the setting: both take
 * the component's one defaults constant. Checked on what the component does (the worker row an
 * executor registers), not by comparing the constants with themselves.
 */
let h: KernelHarness;

beforeAll(async () => {
  h = await openKernel('embedded');
});

afterAll(async () => {
  await h?.dispose();
});

describe('component defaults', () => {
  it('an executor started without options runs as many handlers as ASTRA_EXECUTOR_CONCURRENCY defaults to', async () => {
    const { config } = loadConfig({ env: {} });
    const workerId = randomUUID();
    const executor = await startExecutor({
      store: h.store,
      bus: h.bus,
      engine: h.kernel.engine,
      handlers: h.kernel.handlers,
      clock: systemClock,
      workerId,
    });
    try {
      const { rows } = await h.store.query<{ concurrency: number }>(
        'SELECT concurrency FROM workers WHERE id = $1',
        [workerId],
      );
      expect(rows[0]?.concurrency).toBe(config.executorConcurrency);
    } finally {
      await executor.stop();
    }
  });

  it('a plan approval asked without platform settings expires as ASTRA_APPROVAL_TTL_SECONDS defaults to', () => {
    const { config } = loadConfig({ env: {} });
    const rule = approvalInput({ config: {} }, { requireApproval: true }).approval?.plan;
    expect(rule?.ttlMs).toBe(config.approvalTtlSeconds * 1000);
  });
});
