import { afterAll, beforeAll, expect, it } from 'vitest';
import { readGoalTasks } from '../../src/kernel/tasks/sql/read.js';
import { plannedGoalPlan, withPlanTasks } from '../../src/services/planner/index.js';
import { type LlmTaskHarness, MODEL, openLlmTaskHarness } from '../llm-tasks/llm-task-harness.js';

/**
 * A goal given only in words, end to end: the `plan` task asks the real router, through the real
 * OpenAI adapter, the OpenAI protocol server on loopback for a plan under the plan schema; the
 * first answer names a task type there is not (refused by the router's schema check), the repair
 * request carries that issue as a JSON Pointer with the types there are, the second answer is taken; the planned llm and summarize tasks run through the same
 * router and the goal completes.
 */
let h: LlmTaskHarness;
beforeAll(async () => {
  h = await openLlmTaskHarness();
  const engine = h.kernel.kernel.engine;
  const handlers = h.kernel.kernel.handlers;
  withPlanTasks(handlers, {
    store: h.kernel.store,
    llm: h.llm,
    extendGraph: (patch) => engine.extendGraph(patch),
    validatePlan: (raw) => engine.validatePlan(raw),
    taskTypes: () => handlers.types(),
  });
});
afterAll(async () => h.dispose());

it('plans a goal in words through the router, repairs it, runs it and completes', async () => {
  const draft = {
    id: 'draft',
    type: 'llm',
    payload: { prompt: 'Write two lines about Lisbon.' },
    depends_on: [],
  };
  h.server.script(
    {
      json: {
        tasks: [{ id: 'look', type: 'tool', payload: { tool: 'web_search', input: {} }, depends_on: [] }],
      },
    },
    {
      json: {
        tasks: [
          draft,
          { id: 'short', type: 'summarize', payload: { from: { $from: 'draft' } }, depends_on: ['draft'] },
        ],
      },
    },
    { text: 'Lisbon climbs its seven hills.\nThe river takes the light.' },
    { text: 'Lisbon: hills and light.' },
  );
  const submitted = await h.kernel.kernel.engine.submitGoal({
    agentId: h.agentId,
    goalText: 'A short text about Lisbon',
    plan: plannedGoalPlan('A short text about Lisbon'),
  });
  const goal = await h.kernel.waitForGoal(submitted.goalId);
  const tasks = new Map(
    (await readGoalTasks(h.kernel.store, submitted.goalId)).map((task) => [task.name, task]),
  );
  expect(goal.status, JSON.stringify([...tasks.values()].map((t) => [t.name, t.status, t.error]))).toBe(
    'completed',
  );
  expect(tasks.get('plan')?.result).toMatchObject({
    planned_tasks: 2,
    plan_version: 2,
    attempts: 2,
    model: MODEL,
  });
  expect(tasks.get('short')?.status).toBe('completed');
  const [first, second] = h.server.requests.filter((request) => request.path.endsWith('/chat/completions'));
  expect(JSON.stringify(first?.body?.response_format)).toContain('"name":"plan"');
  const repair = JSON.stringify(second?.body?.messages);
  expect(repair).toContain('{\\"path\\":\\"/tasks/0/type\\"');
  expect(repair).toContain('the types you may use are code_generate, echo, llm');
});
