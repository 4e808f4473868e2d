import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AstraClient } from '@astra/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectSecretEnv } from '../../src/config/index.js';
import { goalEnded } from '../e2e/astra-process.js';
import { toolTask } from '../support/tool-task-kit.js';
import { alertRule, ScrapeHistory } from './alerts.js';
import { type ChaosNode, startChaosNode } from './chaos-node.js';
import { find } from './exposition.js';

/**
 * Chaos tests of docs/runbooks/high-error-rate.md and secret-store.md on one embedded node: tool
 * tasks that keep failing make AstraHighTaskFailureRate pending on its scrapes and firing once
 * they have failed for its `for:`, and AstraTasksDeadLettered (no `for:`) fire at once; a secret
 * whose file is missing fails a tool's tasks with ASTRA_SECRETS_UNAVAILABLE and does the same to
 * AstraHighTaskFailureRate. Recovery as the runbooks say (the cause fixed, the file written):
 * later windows hold only successes and the alerts are inactive. Scrape times are assigned
 * (minutes apart), so the windows and `for:` move on without waiting.
 */
describe('task failures on the alert expressions', () => {
  let chaos: ChaosNode;
  let client: AstraClient;
  let agentId: string;
  const tokenFile = path.join(tmpdir(), `astra-chaos-token-${randomBytes(8).toString('hex')}`);
  const boom = (id: string) => toolTask(id, 'js_eval', { code: 'throw new Error("no")' });
  const fine = (id: string) => toolTask(id, 'js_eval', { code: '6 * 7' });
  const minute = 60_000;
  let lastGoalId = '';
  const run = async (tasks: ReturnType<typeof toolTask>[]): Promise<string> => {
    const { goal_id } = await client.submitGoal(agentId, { goal_text: 'chaos', plan: { tasks } });
    lastGoalId = goal_id;
    return goalEnded(client, goal_id);
  };

  beforeAll(async () => {
    chaos = await startChaosNode({
      roles: ['gateway', 'scheduler', 'executor', 'worker-manager'],
      secretEnv: collectSecretEnv({ ASTRA_SECRET_API_TOKEN_FILE: tokenFile }),
    });
    client = chaos.client;
    ({ actor_id: agentId } = await client.createAgent({ name: 'chaos-tasks' }));
  }, 120_000);

  afterAll(async () => {
    await chaos?.stop();
    rmSync(tokenFile, { force: true });
  });

  it('AstraHighTaskFailureRate pending, then firing after its for: while tasks keep failing, AstraTasksDeadLettered at once; inactive once they succeed', async () => {
    const history = new ScrapeHistory(chaos.node.metricsUrl as string);
    const { forMs } = await alertRule('AstraHighTaskFailureRate');
    // The executor's task types start at 0 (TaskMetrics.expect), so the node's very first failures
    // are an increase: no warm-up run is needed for the alerts to see them.
    const before = await history.take(0);
    expect(
      find(before.scrape, 'astra_task_failure_total', { task_type: 'tool' }).map((s) => s.value),
    ).toEqual([0, 0]);
    expect(find(before.scrape, 'astra_task_success_total', { task_type: 'tool' })[0]?.value).toBe(0);
    expect(await run([boom('a'), boom('b'), fine('c')])).toBe('GoalFailed');
    const failed = await history.take(minute);
    const failures = find(failed.scrape, 'astra_task_failure_total', { task_type: 'tool' });
    expect(failures.reduce((sum, s) => sum + s.value, 0)).toBe(2);
    const [ratio] = await history.alerts('AstraHighTaskFailureRate');
    // 2 failed of 3 runs: counters that start at 0 are not stretched back (Prometheus's extrapolation
    // stops where a counter would have been 0), and the last scrape is the evaluation time.
    expect(ratio).toMatchObject({ state: 'pending', activeAtMs: minute, value: expect.closeTo(2 / 3) });
    // Failing on: a failure between each scrape until `for:` has passed since the first.
    expect(await run([boom('f1'), fine('f2')])).toBe('GoalFailed');
    await history.take(forMs);
    expect(await run([boom('g1'), fine('g2')])).toBe('GoalFailed');
    const firing = await history.take(minute + forMs);
    // Recovery: the cause fixed, tasks succeed. Firing while the 5-minute window still holds the
    // last failure; then only successes, and past the 15-minute dead-letter window too.
    expect(await run([fine('d')])).toBe('GoalCompleted');
    await history.take(firing.atMs + 3 * minute);
    expect(await run([fine('e')])).toBe('GoalCompleted');
    await history.take(firing.atMs + 6 * minute);
    await history.take(firing.atMs + 16 * minute);
    expect(await history.states('AstraHighTaskFailureRate')).toEqual([
      'inactive',
      'pending',
      'pending',
      'firing',
      'firing',
      'inactive',
      'inactive',
    ]);
    expect(await history.states('AstraTasksDeadLettered', { task_type: 'tool' })).toEqual([
      'inactive',
      'firing',
      'firing',
      'firing',
      'firing',
      'firing',
      'inactive',
    ]);
  }, 30_000);

  it('AstraHighTaskFailureRate pending, then firing after its for: on ASTRA_SECRETS_UNAVAILABLE; inactive once the secret file is there', async () => {
    await client.registerTool({
      name: 'needs_token',
      version: '1.0.0',
      risk_tier: 'low',
      sandbox: 'quickjs',
      side_effect: 'read_only',
      secrets: ['api_token'],
      metadata: { code: "export default () => ({ length: astra.files['secrets/api_token'].length })" },
    } as Parameters<AstraClient['registerTool']>[0]);
    const history = new ScrapeHistory(chaos.node.metricsUrl as string);
    const { forMs } = await alertRule('AstraHighTaskFailureRate');
    await history.take(0);
    expect(await run([toolTask('s1', 'needs_token'), toolTask('s2', 'needs_token')])).toBe('GoalFailed');
    const { tasks } = await client.getGoalDetails(lastGoalId);
    for (const task of tasks)
      expect(JSON.parse(task.error ?? '{}')).toMatchObject({
        code: 'ASTRA_TOOL_FAILED',
        details: { secret: 'api_token', secret_code: 'ASTRA_SECRETS_UNAVAILABLE' },
      });
    expect(tasks).toHaveLength(2);
    await history.take(minute);
    const [ratio] = await history.alerts('AstraHighTaskFailureRate');
    expect(ratio).toMatchObject({ state: 'pending', value: 1 });
    // The file still missing, every run fails until `for:` has passed.
    expect(await run([toolTask('s3', 'needs_token')])).toBe('GoalFailed');
    await history.take(forMs);
    expect(await run([toolTask('s4', 'needs_token')])).toBe('GoalFailed');
    await history.take(minute + forMs);
    // Recovery (secret-store.md): the file mounted; `_FILE` secrets are read at each use.
    writeFileSync(tokenFile, 'tok-123\n', { mode: 0o600 });
    expect(await run([toolTask('s5', 'needs_token')])).toBe('GoalCompleted');
    await history.take(minute + forMs + 3 * minute);
    expect(await run([toolTask('s6', 'needs_token')])).toBe('GoalCompleted');
    await history.take(minute + forMs + 6 * minute);
    expect(await history.states('AstraHighTaskFailureRate')).toEqual([
      'inactive',
      'pending',
      'pending',
      'firing',
      'firing',
      'inactive',
    ]);
  }, 30_000);
});
