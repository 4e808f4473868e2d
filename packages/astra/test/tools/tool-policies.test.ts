import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toolPolicyOf } from '../../src/app/tool-policy.js';
import { builtInHandlers, type EngineInterceptor } from '../../src/kernel/index.js';
import { AccessControl } from '../../src/services/access/access-control.js';
import { DEFAULT_POLICIES } from '../../src/services/access/policies.js';
import { validatePolicies } from '../../src/services/access/policy-engine.js';
import { activatePolicyVersion, insertPolicyVersion } from '../../src/services/access/policy-store.js';
import {
  DEFAULT_TOOL_LIMITS,
  type RiskTier,
  type SideEffect,
  type ToolRunner,
  Workspaces,
  withToolTasks,
} from '../../src/services/tools/index.js';
import { registerTool } from '../../src/services/tools/tool-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { type KernelHarness, openKernel } from '../kernel/harness.js';
import { openTestToolRuntime, type TestToolRuntime } from '../support/tool-runtime.js';
import { errorOf, runPlan, toolTask } from '../support/tool-task-kit.js';
import { recorder } from '../support/waiting.js';

/**
 * Policies on tool calls (docs/tools.md): the active Cedar policy set is asked `tool.call` when a
 * tool task calls its tool. Here a set adds, to the built-in policies, a permit annotated
 * `@require_approval` for tools of risk tier high and above, and a forbid of one tool by name: a
 * high-risk call waits for approval (the tool does not act), approved it runs; denied, the task
 * fails naming the policy; the forbidden tool is refused; a low-tier tool runs at once. Every
 * decision is in the access audit.
 */
const POLICIES = `${DEFAULT_POLICIES}
@id("high-tools-approval")
@require_approval
permit (principal is Astra::Agent, action == Astra::Action::"tool.call", resource is Astra::Tool)
when { resource.riskRank >= 2 };

@id("no-wipe")
forbid (principal, action == Astra::Action::"tool.call", resource is Astra::Tool)
when { resource.name == "wipe" };
`;

describe('policies on tool calls', () => {
  let h: KernelHarness;
  let tools: TestToolRuntime;
  let access: AccessControl;
  let agentId: string;
  let acts: string[];
  const waits = recorder<string>();

  const probe: ToolRunner = async ({ manifest }) => {
    acts.push(manifest.name);
    return { acted: manifest.name };
  };
  const watchWaits: EngineInterceptor = {
    awaitApproval: async (input, next) => {
      await next(input);
      for (const wait of input) waits.push(wait.taskId);
    },
  };

  async function register(name: string, riskTier: RiskTier, sideEffect: SideEffect): Promise<void> {
    await registerTool(
      h.store,
      {
        name,
        version: '1.0.0',
        description: 'records its calls',
        inputSchema: { type: 'object' },
        outputSchema: null,
        riskTier,
        sandbox: 'none',
        egress: [],
        filesystem: 'none',
        limits: DEFAULT_TOOL_LIMITS,
        sideEffect,
        secrets: [],
        metadata: {},
      },
      'test',
    );
  }

  beforeEach(async () => {
    acts = [];
    waits.items.length = 0;
    tools = await openTestToolRuntime();
    const handlers = builtInHandlers();
    h = await openKernel('embedded', { handlers, engineInterceptors: [watchWaits] });
    access = new AccessControl({ store: h.store, clock: new ManualClock(), onAuditError: console.error });
    await access.start();
    const version = await insertPolicyVersion(h.store, {
      policies: POLICIES,
      description: 'tool approvals',
      createdBy: null,
    });
    await activatePolicyVersion(h.store, version);
    await access.reload();
    withToolTasks(handlers, {
      store: h.store,
      workspaces: new Workspaces(tools.dir),
      allowedTools: async () => null,
      runners: new Map([
        ['deploy', probe],
        ['peek', probe],
        ['wipe', probe],
      ]),
      runtime: tools.runtime,
      policy: toolPolicyOf(access),
    });
    await register('deploy', 'high', 'idempotent');
    await register('peek', 'low', 'read_only');
    await register('wipe', 'medium', 'irreversible');
    agentId = await h.createAgent();
    await h.startExecutor();
  });
  afterEach(async () => {
    await access.close();
    await h.dispose();
    await tools.dispose();
  });

  const pendingApproval = async (taskId: string) => {
    const { rows } = await h.store.query<{ id: string; refusal_code: string; action_summary: string }>(
      `SELECT id::text, refusal_code, action_summary FROM approvals WHERE task_id = $1 AND status = 'pending'`,
      [taskId],
    );
    expect(rows).toHaveLength(1);
    return rows[0] as { id: string; refusal_code: string; action_summary: string };
  };
  const submit = async (tool: string) =>
    h.kernel.engine.submitGoal({ agentId, goalText: 'deploy', plan: { tasks: [toolTask('act', tool)] } });
  const decide = (approvalId: string, decision: 'approve' | 'deny', reason: string) =>
    h.kernel.engine.decideApproval({ approvalId, approver: 'admin-token', decision, reason });

  it('holds a high-risk call for approval under the policy that asks; approved, the tool runs', async () => {
    const goal = await submit('deploy');
    await waits.when(1);
    const taskId = waits.items[0] as string;
    expect(acts).toEqual([]);
    const approval = await pendingApproval(taskId);
    expect(approval.refusal_code).toBe('ASTRA_TOOL_NOT_ALLOWED');
    expect(approval.action_summary).toContain('deploy@1.0.0');
    expect(approval.action_summary).toContain('high-tools-approval');
    await decide(approval.id, 'approve', 'ship it');
    expect((await h.waitForGoal(goal.goalId)).status).toBe('completed');
    expect(acts).toEqual(['deploy']);
  });

  it('fails the task naming the policy when the approval is denied, the tool never acting', async () => {
    const goal = await submit('deploy');
    await waits.when(1);
    const approval = await pendingApproval(waits.items[0] as string);
    await decide(approval.id, 'deny', 'not today');
    expect((await h.waitForGoal(goal.goalId)).status).toBe('failed');
    const { rows } = await h.store.query<{ status: string; error: string }>(
      'SELECT status, error FROM tasks WHERE goal_id = $1',
      [goal.goalId],
    );
    expect(rows[0]?.status).toBe('failed');
    const error = JSON.parse(rows[0]?.error ?? 'null');
    expect(error).toMatchObject({
      code: 'ASTRA_TOOL_NOT_ALLOWED',
      details: { approval_id: approval.id, approval_status: 'denied' },
    });
    expect(error.message).toContain('high-tools-approval');
    expect(error.message).toContain('approval denied: not today');
    expect(acts).toEqual([]);
  });

  it('refuses a call a forbid matches, naming it, and runs a low-tier tool at once; both audited', async () => {
    const { tasks } = await runPlan(h, agentId, [toolTask('wipe', 'wipe'), toolTask('peek', 'peek')]);
    expect(errorOf(tasks.get('wipe'))).toMatchObject({
      code: 'ASTRA_TOOL_NOT_ALLOWED',
      details: { tool: 'wipe@1.0.0', policies: ['no-wipe'] },
    });
    expect(errorOf(tasks.get('wipe')).message).toContain('policy no-wipe forbids');
    expect(tasks.get('peek')?.result).toEqual({ acted: 'peek' });
    expect(acts).toEqual(['peek']);
    expect(waits.items).toEqual([]);
    await access.decisions.flush();
    const { rows } = await h.store.query<{ resource_id: string; decision: string; reasons: string[] }>(
      `SELECT resource_id, decision, reasons FROM access_decisions
       WHERE action = 'tool.call' AND principal = $1 ORDER BY resource_id`,
      [`agent:${agentId}`],
    );
    expect(rows).toEqual([
      { resource_id: 'peek@1.0.0', decision: 'allow', reasons: ['agent-tools'] },
      { resource_id: 'wipe@1.0.0', decision: 'deny', reasons: ['no-wipe'] },
    ]);
  });

  it('refuses a set that puts @require_approval on a forbid', () => {
    expect(validatePolicies(POLICIES)).toEqual([]);
    const errors = validatePolicies(
      '@id("odd") @require_approval forbid (principal, action == Astra::Action::"tool.call", resource);',
    );
    expect(errors.join(' ')).toContain('only a permit can be @require_approval');
  });
});
