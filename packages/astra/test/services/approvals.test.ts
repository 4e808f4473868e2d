import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import { startScheduler } from '../../src/kernel/scheduler/scheduler.js';
import { type ApprovalVote, TaskEngine } from '../../src/kernel/tasks/engine.js';
import { replayGraph } from '../../src/kernel/tasks/replay.js';
import {
  listPendingApprovals,
  readApproval,
  readApprovalEvents,
  readDecisions,
} from '../../src/kernel/tasks/sql/approvals.js';
import { readGoal, readGraphEvents, readGraphTasks } from '../../src/kernel/tasks/sql/read.js';
import type { ApprovalRule, TaskRecord } from '../../src/kernel/tasks/types.js';
import { approvalPolicyFor, changesApprovalPolicy, mayDecide } from '../../src/services/approvals/policy.js';
import type { Principal } from '../../src/services/identity/identity.js';
import { ManualClock } from '../../src/time/clock.js';
import { type KernelBackend, type KernelHarness, openKernel } from '../kernel/harness.js';
import { testServices } from '../support/services.js';

/**
 * Approvals on both backends: plan approval (approve builds the graph, deny fails the goal), risky
 * tasks (held in waiting_approval without a claim, approved → run, denied → fail with dependents),
 * N-of-M with a duplicate vote and an unauthorized approver, expiry by the scheduler's sweep on an
 * injected clock, and 50 risky branches waiting and approved concurrently.
 */
const backends: KernelBackend[] =
  testServices().postgresUrl !== null && testServices().redisUrl !== null
    ? ['embedded', 'pg_redis']
    : ['embedded'];

const ONE: ApprovalRule = { required: 1, approvers: [], ttlMs: null };
const user = (userId: string, superAdmin = false): Principal => ({
  kind: 'user',
  userId,
  email: `${userId}@example.com`,
  superAdmin,
});

describe.each(backends)('approvals on %s', (backend) => {
  let h: KernelHarness;
  let agentId: string;
  beforeEach(async () => {
    h = await openKernel(backend);
    agentId = await h.createAgent();
  });
  afterEach(async () => h.dispose());

  const codeOf = async (work: Promise<unknown>): Promise<string> => {
    const error = await work.catch((e: unknown) => e);
    return isAstraError(error)
      ? `${error.code}${error.details.reason === undefined ? '' : `:${String(error.details.reason)}`}`
      : 'ok';
  };
  const vote = (
    approvalId: string,
    approver: string,
    decision: 'approve' | 'deny',
    extra: Partial<ApprovalVote> = {},
  ) =>
    h.kernel.engine.decideApproval({
      approvalId,
      approver,
      decision,
      reason: `${approver} says ${decision}`,
      ...extra,
    });
  const byName = (tasks: readonly TaskRecord[]) => new Map(tasks.map((t) => [t.name, t]));
  const taskApproval = async (taskId: string): Promise<string> => {
    const { rows } = await h.store.query<{ id: string }>(`SELECT id FROM approvals WHERE task_id = $1`, [
      taskId,
    ]);
    return rows[0]?.id as string;
  };
  const riskyPolicy = (rule: ApprovalRule = ONE) => ({
    plan: null,
    task: (task: { type: string }) => (task.type === 'echo' ? rule : null),
  });
  async function expectReplayMatches(graphId: string): Promise<void> {
    const replayed = replayGraph(await readGraphEvents(h.store, graphId));
    for (const task of await readGraphTasks(h.store, graphId))
      expect(replayed.tasks.get(task.id)?.status, task.name).toBe(task.status);
  }

  it('plan approval: the goal waits with no graph; approving builds the graph and it runs', async () => {
    await h.startExecutor();
    const submitted = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'needs a yes',
      plan: {
        tasks: [
          { id: 'a', type: 'echo', payload: 1 },
          { id: 'b', type: 'noop', depends_on: ['a'] },
        ],
      },
      approval: { plan: ONE, task: () => null },
    });
    expect(submitted).toMatchObject({ status: 'pending_approval', graphId: null, taskCount: 2 });
    const approvalId = submitted.approvalId as string;
    expect((await readGoal(h.store, submitted.goalId))?.status).toBe('pending_approval');
    expect((await listPendingApprovals(h.store, { agentId, limit: 10 })).map((a) => a.id)).toEqual([
      approvalId,
    ]);
    const decided = await vote(approvalId, 'alice', 'approve');
    expect(decided).toMatchObject({ status: 'approved', approvalsReceived: 1, requestType: 'plan' });
    const goal = await h.waitForGoal(submitted.goalId);
    expect(goal.status).toBe('completed');
    expect(goal.graphId).not.toBeNull();
    expect((await readApprovalEvents(h.store, approvalId)).map((e) => e.type)).toEqual([
      'ApprovalRequested',
      'ApprovalVoted',
      'ApprovalApproved',
      'GoalApproved',
    ]);
    expect(await codeOf(vote(approvalId, 'bob', 'approve'))).toBe('ASTRA_STATE_CONFLICT');
  });

  it('plan approval: a deny fails the goal with the reason and builds nothing', async () => {
    const submitted = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'no',
      plan: { tasks: [{ id: 'a', type: 'noop' }] },
      approval: { plan: { required: 2, approvers: [], ttlMs: null }, task: () => null },
    });
    const approvalId = submitted.approvalId as string;
    await vote(approvalId, 'alice', 'approve');
    expect(await vote(approvalId, 'bob', 'deny')).toMatchObject({
      status: 'denied',
      reason: 'bob says deny',
    });
    const goal = await h.waitForGoal(submitted.goalId);
    expect(goal).toMatchObject({ status: 'failed', graphId: null, error: 'approval denied: bob says deny' });
    const { rows } = await h.store.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM tasks WHERE goal_id = $1`,
      [submitted.goalId],
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('risky task: held without a claim until approved, then runs; its dependents wait for it', async () => {
    await h.startExecutor();
    const submitted = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'risky middle',
      plan: {
        tasks: [
          { id: 'first', type: 'noop' },
          { id: 'risky', type: 'echo', payload: { rm: '-rf' }, depends_on: ['first'] },
          { id: 'last', type: 'noop', depends_on: ['risky'] },
        ],
      },
      approval: riskyPolicy(),
    });
    const graphId = submitted.graphId as string;
    let risky: TaskRecord | undefined;
    for (let i = 0; i < 200 && risky?.status !== 'waiting_approval'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      risky = byName(await readGraphTasks(h.store, graphId)).get('risky');
    }
    expect(risky).toMatchObject({ status: 'waiting_approval', attempt: 0, workerId: null });
    expect(byName(await readGraphTasks(h.store, graphId)).get('last')?.status).toBe('created');
    const approvalId = await taskApproval(risky?.id as string);
    expect(await readApproval(h.store, approvalId)).toMatchObject({
      requestType: 'risky_task',
      status: 'pending',
    });
    await vote(approvalId, 'alice', 'approve');
    expect((await h.waitForGoal(submitted.goalId)).status).toBe('completed');
    expect(byName(await readGraphTasks(h.store, graphId)).get('risky')).toMatchObject({
      status: 'completed',
      result: { rm: '-rf' },
      attempt: 1,
    });
    await expectReplayMatches(graphId);
  });

  it('risky task: a deny fails it and its dependents; a risky root waits from the start', async () => {
    await h.startExecutor();
    const submitted = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'risky root',
      plan: {
        tasks: [
          { id: 'root', type: 'echo', payload: 1 },
          { id: 'after', type: 'noop', depends_on: ['root'] },
          { id: 'other', type: 'noop' },
        ],
      },
      approval: riskyPolicy(),
    });
    const tasks = byName(await readGraphTasks(h.store, submitted.graphId as string));
    expect(tasks.get('root')?.status).toBe('waiting_approval');
    await vote(await taskApproval(tasks.get('root')?.id as string), 'alice', 'deny');
    const goal = await h.waitForGoal(submitted.goalId);
    expect(goal.status).toBe('failed');
    const after = byName(await readGraphTasks(h.store, submitted.graphId as string));
    expect(after.get('root')).toMatchObject({ status: 'failed', error: 'approval denied: alice says deny' });
    expect(after.get('after')?.status).toBe('failed');
    expect(after.get('other')?.status).toBe('completed');
    await expectReplayMatches(submitted.graphId as string);
  });

  it('N-of-M: two of three approvers; a second vote is refused, an outsider is forbidden', async () => {
    await h.startExecutor();
    const rule = { required: 2, approvers: ['u1', 'u2', 'u3'], ttlMs: null };
    const submitted = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'two keys',
      plan: { tasks: [{ id: 'launch', type: 'echo', payload: 'go' }] },
      approval: riskyPolicy(rule),
    });
    const [task] = await readGraphTasks(h.store, submitted.graphId as string);
    const approvalId = await taskApproval(task?.id as string);
    const authorize = (principal: Principal) => (found: Parameters<typeof mayDecide>[0]) =>
      mayDecide(found, principal);
    expect(await codeOf(vote(approvalId, 'u9', 'approve', { authorize: authorize(user('u9')) }))).toBe(
      'ASTRA_FORBIDDEN',
    );
    expect(await vote(approvalId, 'u1', 'approve', { authorize: authorize(user('u1')) })).toMatchObject({
      status: 'pending',
      approvalsReceived: 1,
    });
    expect(await codeOf(vote(approvalId, 'u1', 'approve', { authorize: authorize(user('u1')) }))).toBe(
      'ASTRA_STATE_CONFLICT:already_voted',
    );
    expect((await readGraphTasks(h.store, submitted.graphId as string))[0]?.status).toBe('waiting_approval');
    // A super-admin outside the list may vote too.
    expect(
      await vote(approvalId, 'root', 'approve', { authorize: authorize(user('root', true)) }),
    ).toMatchObject({
      status: 'approved',
      approvalsReceived: 2,
    });
    expect((await h.waitForGoal(submitted.goalId)).status).toBe('completed');
    expect((await readDecisions(h.store, approvalId)).map((d) => d.approver).sort()).toEqual(['root', 'u1']);
  });

  it('expiry: the scheduler sweep ends overdue requests by its clock and fails goal and task', async () => {
    const clock = new ManualClock(Date.now());
    const engine = new TaskEngine({
      store: h.store,
      bus: h.bus,
      clock,
      shardCount: h.kernel.engine.shardCount,
      retry: { baseMs: 5, maxMs: 20 },
      knownTypes: () => h.kernel.handlers.types(),
    });
    const rule = { required: 1, approvers: [], ttlMs: 60_000 };
    const plan = await engine.submitGoal({
      agentId,
      goalText: 'plan that nobody answers',
      plan: { tasks: [{ id: 'a', type: 'noop' }] },
      approval: { plan: rule, task: () => null },
    });
    const risky = await engine.submitGoal({
      agentId,
      goalText: 'task that nobody answers',
      plan: { tasks: [{ id: 'a', type: 'echo', payload: 1 }] },
      approval: riskyPolicy(rule),
    });
    const scheduler = startScheduler({ store: h.store, bus: h.bus, engine, clock, owner: 'approvals-test' });
    try {
      expect((await scheduler.sweep()).expiredApprovals).toBe(0);
      await clock.advance(59_000);
      await scheduler.sweep();
      expect((await readGoal(h.store, plan.goalId))?.status).toBe('pending_approval');
      await clock.advance(2000);
      await scheduler.sweep();
    } finally {
      await scheduler.stop();
    }
    expect(await readGoal(h.store, plan.goalId)).toMatchObject({
      status: 'failed',
      error: 'approval expired',
    });
    expect(await readGoal(h.store, risky.goalId)).toMatchObject({ status: 'failed' });
    const [task] = await readGraphTasks(h.store, risky.graphId as string);
    expect(task).toMatchObject({ status: 'failed', error: 'approval expired' });
    expect(await readApproval(h.store, plan.approvalId as string)).toMatchObject({
      status: 'expired',
      reason: 'approval expired',
    });
    expect(await codeOf(vote(plan.approvalId as string, 'late', 'approve'))).toBe('ASTRA_STATE_CONFLICT');
  });

  it('50 risky branches wait at once and run once approved concurrently, in any order', async () => {
    await h.startExecutor({ concurrency: 8 });
    const branches = Array.from({ length: 50 }, (_, i) => ({ id: `b${i}`, type: 'echo', payload: i }));
    const submitted = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'fan out',
      plan: { tasks: [...branches, { id: 'join', type: 'noop', depends_on: branches.map((b) => b.id) }] },
      approval: riskyPolicy(),
    });
    const graphId = submitted.graphId as string;
    const waiting = (await readGraphTasks(h.store, graphId)).filter((t) => t.status === 'waiting_approval');
    expect(waiting).toHaveLength(50);
    expect(waiting.every((t) => t.attempt === 0)).toBe(true);
    const pending = await listPendingApprovals(h.store, { agentId, requestType: 'risky_task', limit: 100 });
    expect(pending).toHaveLength(50);
    const shuffled = [...pending].sort(() => Math.random() - 0.5);
    const decided = await Promise.all(shuffled.map((a, i) => vote(a.id, `approver-${i % 3}`, 'approve')));
    expect(decided.every((a) => a.status === 'approved')).toBe(true);
    expect((await h.waitForGoal(submitted.goalId)).status).toBe('completed');
    const tasks = await readGraphTasks(h.store, graphId);
    expect(tasks.every((t) => t.status === 'completed' && t.attempt === 1)).toBe(true);
    await expectReplayMatches(graphId);
  });

  it('cancelling a goal cancels its pending requests', async () => {
    const submitted = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'cancel me',
      plan: { tasks: [{ id: 'a', type: 'echo', payload: 1 }] },
      approval: riskyPolicy(),
    });
    const [task] = await readGraphTasks(h.store, submitted.graphId as string);
    const approvalId = await taskApproval(task?.id as string);
    await h.kernel.engine.cancelGoal(submitted.goalId);
    expect(await readApproval(h.store, approvalId)).toMatchObject({ status: 'cancelled' });
    const plan = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'cancel my plan',
      plan: { tasks: [{ id: 'a', type: 'noop' }] },
      approval: { plan: ONE, task: () => null },
    });
    await h.kernel.engine.cancelGoal(plan.goalId);
    expect(await readApproval(h.store, plan.approvalId as string)).toMatchObject({ status: 'cancelled' });
    expect(await listPendingApprovals(h.store, { agentId, limit: 10 })).toEqual([]);
  });

  it('policy: risky by platform type, agent type or tool; plan by agent config or per goal', () => {
    const settings = { riskyTaskTypes: ['shell_exec'], ttlSeconds: 3600 };
    const agent = { config: { risky_task_types: ['deploy'], approvers: ['u1'], required_approvals: 2 } };
    const policy = approvalPolicyFor(agent, {}, settings);
    expect(policy?.plan).toBeNull();
    const task = (type: string, payload: unknown = {}) =>
      policy?.task({
        id: 't',
        type,
        payload,
        priority: 1,
        maxRetries: 0,
        timeoutMs: null,
        dependsOn: [],
        onDependencyFailure: 'fail',
      } as never);
    expect(task('shell_exec')).toEqual({ required: 2, approvers: ['u1'], ttlMs: 3_600_000 });
    expect(task('deploy')).not.toBeNull();
    expect(task('echo', { tool: 'deploy' })).not.toBeNull();
    expect(task('echo')).toBeNull();
    expect(approvalPolicyFor({ config: {} }, {}, { riskyTaskTypes: [], ttlSeconds: 0 })).toBeUndefined();
    expect(approvalPolicyFor({ config: { require_plan_approval: true } }, {}, settings)?.plan).not.toBeNull();
    expect(approvalPolicyFor({ config: {} }, { requireApproval: true }, settings)?.plan).toMatchObject({
      required: 1,
    });
  });

  it('policy: tool tasks at or above the waiting risk tier, the lower of the platform and the agent', () => {
    const tiers = new Map([
      ['shell_exec', 'high'],
      ['file_read@1.0.0', 'low'],
      ['deploy', 'critical'],
    ] as const);
    const plan = (type: string, tool: string) =>
      ({
        id: 't',
        type,
        payload: { tool, input: {} },
        priority: 1,
        maxRetries: 0,
        timeoutMs: null,
        dependsOn: [],
        onDependencyFailure: 'fail',
      }) as never;
    const waits = (
      agentTier: string | undefined,
      platformTier: 'high' | 'critical' | null,
      type: string,
      tool: string,
    ) =>
      approvalPolicyFor(
        { config: agentTier === undefined ? {} : { approval_risk_tier: agentTier } },
        {},
        { riskyTaskTypes: [], ttlSeconds: 0, riskTier: platformTier },
        tiers,
      )?.task(plan(type, tool)) != null;
    expect(waits(undefined, null, 'tool', 'shell_exec')).toBe(false);
    expect(waits('high', null, 'tool', 'shell_exec')).toBe(true);
    expect(waits('high', null, 'tool', 'deploy')).toBe(true);
    expect(waits('high', null, 'tool', 'file_read@1.0.0')).toBe(false);
    expect(waits(undefined, 'critical', 'tool', 'shell_exec')).toBe(false);
    expect(waits(undefined, 'critical', 'tool', 'deploy')).toBe(true);
    // The lower of the two tiers applies; a tier the agent misspells is no tier.
    expect(waits('low', 'critical', 'tool', 'file_read@1.0.0')).toBe(true);
    expect(waits('extreme', 'high', 'tool', 'shell_exec')).toBe(true);
    expect(waits('extreme', null, 'tool', 'shell_exec')).toBe(false);
    // Only tool tasks have a tool's tier; an unregistered tool has none.
    expect(waits('low', null, 'echo', 'shell_exec')).toBe(false);
    expect(waits('low', null, 'tool', 'unregistered')).toBe(false);
    // Changing it changes the approval policy: an agent admin's right, not an editor's.
    expect(changesApprovalPolicy({}, { approval_risk_tier: 'low' })).toBe(true);
    // So does opening the agent's egress.
    expect(changesApprovalPolicy({}, { egress_allow: [{ host: 'api.example.com' }] })).toBe(true);
    expect(changesApprovalPolicy({ egress_task_grants: false }, {})).toBe(true);
  });
});
