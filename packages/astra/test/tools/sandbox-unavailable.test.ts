import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBubblewrapDriver } from '../../src/adapters/sandbox/bubblewrap/driver.js';
import type { SandboxDriver } from '../../src/ports/sandbox.js';
import { shellExecRunner } from '../../src/services/tools/index.js';
import { errorOf, openToolHarness, type ToolHarness, toolTask } from './tool-harness.js';

/**
 * A node whose sandbox driver cannot run (here, bubblewrap at a path where there is none) learns it
 * on the first call, not at start-up: the call answers ASTRA_TOOL_UNAVAILABLE, retryable, with the
 * driver's reason — as a tool with no runner on the node does.
 */
describe('a sandbox driver that cannot run here', () => {
  let h: ToolHarness;
  let driver: SandboxDriver;

  beforeAll(async () => {
    driver = createBubblewrapDriver({ bwrapPath: '/nonexistent/bwrap' });
    h = await openToolHarness({
      runners: (callerOf) => new Map([['shell_exec', shellExecRunner(driver, callerOf)]]),
    });
  });
  afterAll(async () => {
    await h?.dispose();
    await driver?.close();
  });

  it('answers ASTRA_TOOL_UNAVAILABLE with the reason', async () => {
    const { tasks } = await h.run([toolTask('sh', 'shell_exec', { command: 'true' })]);
    const error = errorOf(tasks.get('sh'));
    expect(error.code).toBe('ASTRA_TOOL_UNAVAILABLE');
    expect(error.details).toMatchObject({
      sandbox: 'bubblewrap',
      reason: expect.stringContaining('not found'),
    });
  });
});
