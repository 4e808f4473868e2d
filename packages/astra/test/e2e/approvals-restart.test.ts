import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraClient, type Goal } from '@astra/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICIES } from '../../src/services/access/policies.js';
import { type AstraProcess, runAstra, urlFrom } from './astra-process.js';

/**
 * Approvals survive a restart: a real `astra up` (embedded) gets a goal whose plan needs approval
 * and a goal with a risky task; the process stops while both wait; a new process on the same data
 * directory takes the votes, and both goals run to completion. The same for a `tool` task held for
 * its tool's risk tier: approved after the restart, the tool runs and the next task reads its work;
 * and for a tool call a Cedar policy holds by its tool's risk tier (docs/tools.md, "Policies on
 * tool calls"): the task waits at call time, the node restarts, the approval resumes it.
 */
const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-approvals-'));
let astra: AstraProcess | undefined;

async function start(): Promise<AstraClient> {
  astra = runAstra(['up', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
  const url = urlFrom(await astra.waitForLine(/ready \(embedded\) at/));
  const { readStoredAdminToken } = await import('../../src/app/admin-token.js');
  const token = (await readStoredAdminToken(dataDir)) as string;
  return new AstraClient({ baseUrl: url, token });
}

async function stop(): Promise<void> {
  astra?.child.kill('SIGTERM');
  expect(await astra?.exited).toBe(0);
  astra = undefined;
}

/** Asks again until `done` holds (the server's state changes through its own executor). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const value = await read();
    if (done(value) || i >= 600) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

afterAll(async () => {
  if (astra !== undefined) {
    astra.child.kill('SIGTERM');
    await astra.exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('approvals across a restart', () => {
  it('a plan approval and a risky-task approval given after a restart run their goals to the end', async () => {
    let client = await start();
    const { actor_id: agentId } = await client.createAgent({
      name: 'careful',
      config: { risky_task_types: ['echo'], required_approvals: 1 },
    });
    const planned = await client.submitGoal(agentId, {
      goal_text: 'wait for a yes',
      plan: { tasks: [{ id: 'a', type: 'noop' }] },
      require_approval: true,
    });
    expect(planned).toMatchObject({ status: 'pending_approval', graph_id: null });
    const planApproval = planned.approval_id as string;
    const risky = await client.submitGoal(agentId, {
      goal_text: 'risky second step',
      plan: {
        tasks: [
          { id: 'first', type: 'noop' },
          { id: 'risky', type: 'echo', payload: { danger: true }, depends_on: ['first'] },
        ],
      },
    });
    expect(risky.status).toBe('active');
    const waiting = await eventually(
      () => client.listPendingApprovals({ agent_id: agentId, request_type: 'risky_task' }),
      (list) => list.approvals.length === 1,
    );
    expect(waiting.approvals).toHaveLength(1);
    const taskApproval = waiting.approvals[0]?.id as string;
    expect((await client.getTask(waiting.approvals[0]?.task_id as string)).status).toBe('waiting_approval');
    await stop();

    client = await start();
    const pending = await client.listPendingApprovals({ agent_id: agentId });
    expect(pending.approvals.map((a) => a.id).sort()).toEqual([planApproval, taskApproval].sort());
    expect((await client.getGoal(planned.goal_id)).status).toBe('pending_approval');
    expect(await client.approve(planApproval, { reason: 'looks fine' })).toMatchObject({
      status: 'approved',
    });
    expect(await client.decideApproval(taskApproval, { decision: 'approve' })).toMatchObject({
      status: 'approved',
      approvals_received: 1,
      approvals_required: 1,
    });
    const ended = (goal: Goal) => ['completed', 'failed', 'cancelled'].includes(goal.status);
    expect((await eventually(() => client.getGoal(planned.goal_id), ended)).status).toBe('completed');
    expect((await eventually(() => client.getGoal(risky.goal_id), ended)).status).toBe('completed');
    const details = await client.getApproval(planApproval);
    expect(details.decisions).toMatchObject([
      { approver: 'admin-token', decision: 'approve', reason: 'looks fine' },
    ]);
    expect(details.events.map((e) => e.type)).toEqual([
      'ApprovalRequested',
      'ApprovalVoted',
      'ApprovalApproved',
      'GoalApproved',
    ]);
    expect(details.plan_payload?.tasks).toHaveLength(1);
    await stop();
  }, 180_000);

  it('a tool task held for its risk tier waits across a restart, and runs once approved', async () => {
    let client = await start();
    // file_write's manifest is of risk tier medium: at this agent's tier, it waits.
    const { actor_id: agentId } = await client.createAgent({
      name: 'careful-writer',
      config: { approval_risk_tier: 'medium' },
    });
    const goal = await client.submitGoal(agentId, {
      goal_text: 'write after a yes',
      plan: {
        tasks: [
          {
            id: 'write',
            type: 'tool',
            payload: { tool: 'file_write', input: { path: 'ok.txt', content: 'yes' } },
          },
          {
            id: 'read',
            type: 'tool',
            payload: { tool: 'file_read', input: { path: 'ok.txt' } },
            depends_on: ['write'],
          },
        ],
      },
    });
    const waiting = await eventually(
      () => client.listPendingApprovals({ agent_id: agentId, request_type: 'risky_task' }),
      (list) => list.approvals.length === 1,
    );
    const request = waiting.approvals[0];
    expect(request?.refusal_code).toBeNull();
    const writeId = request?.task_id as string;
    expect((await client.getTask(writeId)).status).toBe('waiting_approval');
    await stop();

    client = await start();
    expect((await client.getTask(writeId)).status).toBe('waiting_approval');
    expect(await client.approve(request?.id as string, { reason: 'write it' })).toMatchObject({
      status: 'approved',
    });
    const ended = (g: Goal) => ['completed', 'failed', 'cancelled'].includes(g.status);
    const done = await eventually(() => client.getGoal(goal.goal_id), ended);
    expect(done.status).toBe('completed');
    expect((await client.getTask(writeId)).result).toEqual({ path: 'ok.txt', bytes: 3 });
    const { tasks } = await client.getGraph(done.graph_id as string);
    const read = tasks.find((task) => task.name === 'read');
    expect(read?.result).toMatchObject({ path: 'ok.txt', content: 'yes' });
    await stop();
  }, 180_000);

  it('a tool call a policy holds by risk tier waits across a restart, and runs once approved', async () => {
    let client = await start();
    const { version } = await client.createPolicyVersion({
      description: 'medium and riskier tools that change things wait for a person',
      policies: `${DEFAULT_POLICIES}
@id("changes-need-approval")
@require_approval
permit (principal is Astra::Agent, action == Astra::Action::"tool.call", resource is Astra::Tool)
when { resource.riskRank >= 1 && resource.sideEffect != "read_only" };
`,
    });
    await client.activatePolicyVersion(version);
    const { actor_id: agentId } = await client.createAgent({ name: 'policy-bound' });
    const goal = await client.submitGoal(agentId, {
      goal_text: 'write once a person agrees',
      plan: {
        tasks: [
          { id: 'look', type: 'tool', payload: { tool: 'list_files', input: {} } },
          {
            id: 'write',
            type: 'tool',
            payload: { tool: 'file_write', input: { path: 'policy.txt', content: 'agreed' } },
            depends_on: ['look'],
          },
        ],
      },
    });
    // Nothing waits at submission: the policy holds the call when the task makes it.
    expect(goal.status).toBe('active');
    const waiting = await eventually(
      () => client.listPendingApprovals({ agent_id: agentId, request_type: 'risky_task' }),
      (list) => list.approvals.length === 1,
    );
    const request = waiting.approvals[0];
    expect(request?.refusal_code).toBe('ASTRA_TOOL_NOT_ALLOWED');
    expect(request?.action_summary).toContain('changes-need-approval');
    const writeId = request?.task_id as string;
    expect((await client.getTask(writeId)).status).toBe('waiting_approval');
    await stop();

    client = await start();
    expect((await client.getTask(writeId)).status).toBe('waiting_approval');
    expect(await client.approve(request?.id as string, { reason: 'agreed' })).toMatchObject({
      status: 'approved',
    });
    const ended = (g: Goal) => ['completed', 'failed', 'cancelled'].includes(g.status);
    expect((await eventually(() => client.getGoal(goal.goal_id), ended)).status).toBe('completed');
    expect((await client.getTask(writeId)).result).toEqual({ path: 'policy.txt', bytes: 6 });
    await stop();
  }, 180_000);
});
