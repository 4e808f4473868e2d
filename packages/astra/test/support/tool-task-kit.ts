import { expect } from 'vitest';
import { readGraphTasks } from '../../src/kernel/tasks/sql/read.js';
import type { TaskRecord } from '../../src/kernel/tasks/types.js';
import type { KernelHarness } from '../kernel/harness.js';

/**
 * What the tests of `tool` tasks share: a plan's tool task, the structured error a failed one ends
 * with, the result a completed one answers, and `runPlan`, which submits a plan over a kernel
 * harness and answers its tasks by plan id once the goal ends.
 */
export interface ToolError {
  readonly code: string;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

/** A task as a goal's details or the task store answer it: its status, and its error as JSON text. */
interface EndedTask {
  readonly status: string;
  readonly error: string | null;
}

export const toolTask = (
  id: string,
  name: string,
  input: unknown = {},
  more: { dependsOn?: string[]; egress?: unknown } = {},
) => ({
  id,
  type: 'tool',
  payload: { tool: name, input, ...(more.egress === undefined ? {} : { egress: more.egress }) },
  max_retries: 0,
  ...(more.dependsOn === undefined ? {} : { depends_on: more.dependsOn }),
});

export const errorOf = (task: EndedTask | undefined): ToolError => {
  expect(task?.status, task?.error ?? '').toBe('dead_letter');
  return JSON.parse(task?.error ?? 'null') as ToolError;
};

export const resultOf = (task: TaskRecord | undefined): Record<string, unknown> => {
  expect(task?.status, task?.error ?? '').toBe('completed');
  return task?.result as Record<string, unknown>;
};

export async function runPlan(
  kernel: KernelHarness,
  agentId: string,
  tasks: unknown[],
  goalText = 'tools',
): Promise<{ goalId: string; tasks: Map<string, TaskRecord> }> {
  const submitted = await kernel.kernel.engine.submitGoal({ agentId, goalText, plan: { tasks } });
  await kernel.waitForGoal(submitted.goalId);
  const rows = await readGraphTasks(kernel.store, submitted.graphId as string);
  return { goalId: submitted.goalId, tasks: new Map(rows.map((row) => [row.name, row])) };
}
