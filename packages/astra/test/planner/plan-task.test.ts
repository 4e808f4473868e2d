import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordedLlm } from '../../src/bench/planner-env.js';
import { builtInHandlers, type HandlerRegistry } from '../../src/kernel/index.js';
import { readGoalTasks } from '../../src/kernel/tasks/sql/read.js';
import { plannedGoalPlan, withPlanTasks } from '../../src/services/planner/index.js';
import { type KernelHarness, openKernel } from '../kernel/harness.js';
import { deferred } from '../support/waiting.js';

/**
 * The `plan` task over a real kernel and executor, its model answers replayed: a goal in words is
 * planned (after one repair), the graph is extended with the planned tasks under the `plan` task,
 * they run and the goal completes; a model that never answers a valid plan fails the task with
 * ASTRA_PLAN_REJECTED and its issues, and the goal with it.
 */
describe('the plan task', () => {
  let h: KernelHarness;
  let handlers: HandlerRegistry;
  let agentId: string;
  const answers: string[] = [];

  beforeEach(async () => {
    answers.length = 0;
    handlers = builtInHandlers();
    h = await openKernel('embedded', { handlers });
    withPlanTasks(handlers, {
      store: h.store,
      llm: recordedLlm(answers),
      extendGraph: (patch) => h.kernel.engine.extendGraph(patch),
      validatePlan: (raw) => h.kernel.engine.validatePlan(raw),
      taskTypes: () => handlers.types(),
    });
    agentId = await h.createAgent();
    await h.startExecutor();
  });
  afterEach(async () => {
    await h.dispose();
  });

  const submit = async () => {
    const submitted = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'greet twice',
      plan: plannedGoalPlan('greet twice', { max_attempts: 2 }),
    });
    const goal = await h.waitForGoal(submitted.goalId);
    const tasks = new Map((await readGoalTasks(h.store, submitted.goalId)).map((task) => [task.name, task]));
    return { goal, tasks };
  };

  it('plans, extends the graph under itself and completes the goal', async () => {
    const hello = { id: 'hello', type: 'echo', payload: { say: 'hello' }, depends_on: [] };
    answers.push(
      JSON.stringify({
        tasks: [hello, { id: 'again', type: 'echo', payload: { say: { $from: 'hello' } }, depends_on: [] }],
      }),
      JSON.stringify({
        tasks: [
          hello,
          {
            id: 'again',
            type: 'echo',
            payload: { say: { $from: 'hello', pointer: '/say' } },
            depends_on: ['hello'],
          },
        ],
      }),
    );
    const { goal, tasks } = await submit();
    expect(goal.status, goal.error ?? '').toBe('completed');
    expect([...tasks.keys()].sort()).toEqual(['again', 'hello', 'plan']);
    expect(tasks.get('hello')?.dependsOn).toHaveLength(1);
    expect(tasks.get('again')?.result).toEqual({ say: 'hello' });
    expect(tasks.get('plan')?.result).toMatchObject({ planned_tasks: 2, plan_version: 2, attempts: 2 });
  });

  it('fails with ASTRA_PLAN_REJECTED and the issues when no attempt is valid', async () => {
    answers.push(
      'no plan',
      JSON.stringify({ tasks: [{ id: 'plan', type: 'echo', payload: {}, depends_on: [] }] }),
    );
    const { goal, tasks } = await submit();
    expect(goal.status).toBe('failed');
    const plan = tasks.get('plan');
    expect(plan?.status).toBe('dead_letter');
    const error = JSON.parse(plan?.error ?? 'null') as {
      code: string;
      details: { issues: { path: string }[] };
    };
    expect(error.code).toBe('ASTRA_PLAN_REJECTED');
    expect(error.details.issues.map((issue) => issue.path)).toEqual(['/tasks/0/id']);
    expect(tasks.size).toBe(1);
  });
});

describe('the plan task of an agent whose plans need approval', () => {
  it('asks for approval with the planned tasks, and once approved extends the graph without asking the model again', async () => {
    const waited = deferred();
    const handlers = builtInHandlers();
    const h = await openKernel('embedded', {
      handlers,
      engineInterceptors: [
        {
          awaitApproval: async (input, next) => {
            await next(input);
            waited.resolve();
          },
        },
      ],
    });
    try {
      const llm = recordedLlm([
        JSON.stringify({ tasks: [{ id: 'hi', type: 'echo', payload: { hi: 1 }, depends_on: [] }] }),
      ]);
      withPlanTasks(handlers, {
        store: h.store,
        llm,
        extendGraph: (patch) => h.kernel.engine.extendGraph(patch),
        validatePlan: (raw) => h.kernel.engine.validatePlan(raw),
        taskTypes: () => handlers.types(),
      });
      const agentId = await h.createAgent();
      await h.store.query(
        `UPDATE agents SET config = '{"require_plan_approval": true}'::jsonb WHERE id = $1`,
        [agentId],
      );
      await h.startExecutor();
      const submitted = await h.kernel.engine.submitGoal({
        agentId,
        goalText: 'greet',
        plan: plannedGoalPlan('greet'),
      });
      expect(submitted.status).toBe('active');
      await waited.promise;
      const [plan] = await readGoalTasks(h.store, submitted.goalId);
      expect(plan?.status).toBe('waiting_approval');
      const { rows } = await h.store.query<{ id: string }>(
        `SELECT id FROM approvals WHERE task_id = $1 AND status = 'pending'`,
        [plan?.id],
      );
      await h.kernel.engine.decideApproval({
        approvalId: rows[0]?.id as string,
        approver: 'admin-token',
        decision: 'approve',
      });
      const goal = await h.waitForGoal(submitted.goalId);
      expect(goal.status, goal.error ?? '').toBe('completed');
      const tasks = new Map(
        (await readGoalTasks(h.store, submitted.goalId)).map((task) => [task.name, task]),
      );
      expect(tasks.get('hi')?.result).toEqual({ hi: 1 });
      expect(llm.calls).toHaveLength(1);
    } finally {
      await h.dispose();
    }
  });
});
