import { isAstraError } from '../../errors/index.js';
import {
  awaitApproval,
  type GraphPatchInput,
  type GraphPatchResult,
  type HandlerRegistry,
  type JsonValue,
  type PayloadIssue,
  type Plan,
  TaskError,
  type TaskHandler,
} from '../../kernel/index.js';
import type { LlmClient } from '../../ports/llm.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { readProfile } from '../agents/index.js';
import { type ApprovalSettings, approvalPolicyFor } from '../approvals/index.js';
import { assembleContext, type MemoryRecall } from '../prompts/index.js';
import { agentTools, tiersOf } from './agent-tools.js';
import { planGoal } from './plan-goal.js';
import { PlanRejected } from './plan-rejected.js';
import { PLANNER_DEFAULTS } from './planner-defaults.js';

/**
 * The `plan` task type: a goal given only in words is submitted as the one-task plan
 * `{"tasks": [{"id": "plan", "type": "plan", "payload": {"goal_text": "…", "options": {…}}}]}`
 * (plannedGoalPlan). Its handler assembles the agent's context, offers the tools the agent may use,
 * calls planGoal and, while still running, extends the graph (engine.extendGraph, docs/plans.md)
 * with the planned tasks, their roots depending on the `plan` task, so they run once it completes.
 *
 * Approval: when the approvals service says the plan needs approval (the agent's
 * `require_plan_approval`, or `require_approval` on the submission, carried in the options), the
 * task asks for it (`awaitApproval`) with the planned tasks in its checkpoint; approved, it runs
 * again and extends the graph with exactly those tasks (no second model call); denied or expired,
 * it fails and the goal with it. Tasks the policy holds (risky types, risk tiers) carry their
 * approval rule into the patch and each waits when ready, as in a declared plan.
 *
 * Idempotent on retry: a patch from the same task against the same plan version answers the
 * recorded one. A plan the model could not produce ends the task (not retried) with
 * ASTRA_PLAN_REJECTED and the last issues as its JSON error, and the goal fails; a router error
 * ends it with that error's code, retried when the error is retryable.
 */
export interface PlanTaskOptions {
  readonly store: SqlExecutor;
  readonly llm: LlmClient;
  /** The engine's patch command (TaskEngine.extendGraph). */
  readonly extendGraph: (input: GraphPatchInput) => Promise<GraphPatchResult>;
  /** The engine's plan validation (TaskEngine.validatePlan). */
  readonly validatePlan: (raw: unknown) => Plan;
  /** The node's task types (the handler registry's, read when a plan task runs). */
  readonly taskTypes: () => ReadonlySet<string>;
  /** What needs approval beyond each agent's config (default APPROVAL_DEFAULTS). */
  readonly approvals?: ApprovalSettings;
  /** Tokens of assembled context (default PLANNER_DEFAULTS.contextTokens). */
  readonly contextTokens?: number;
  /** The agent's memories recalled on the goal's text into its context (memory service). */
  readonly memories?: MemoryRecall;
}

export interface PlannerOptions {
  readonly max_attempts?: number;
  readonly model?: string;
  readonly require_approval?: boolean;
  readonly budget?: { readonly tokens?: number | null; readonly usd?: number | null };
}

/** The one-task plan a goal in words is submitted with. */
export function plannedGoalPlan(goalText: string, options: PlannerOptions = {}): JsonValue {
  return {
    tasks: [
      { id: 'plan', type: 'plan', payload: { goal_text: goalText, options: { ...options } }, max_retries: 2 },
    ],
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function checkPlanPayload(payload: JsonValue): PayloadIssue | null {
  if (!isRecord(payload) || typeof payload.goal_text !== 'string' || payload.goal_text.trim() === '')
    return { path: '.goal_text', reason: 'is the goal to plan, a non-empty string' };
  const options = payload.options ?? {};
  if (!isRecord(options)) return { path: '.options', reason: 'is an object' };
  const attempts = options.max_attempts;
  if (
    attempts !== undefined &&
    (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 1 || attempts > 10)
  )
    return { path: '.options.max_attempts', reason: 'is an integer from 1 to 10' };
  return null;
}

const taskErrorOf = (error: unknown): unknown => {
  if (error instanceof PlanRejected) return new TaskError(error.taskError(), { retryable: false });
  if (isAstraError(error))
    return new TaskError(JSON.stringify(error.toJSON()), { retryable: error.retryable });
  return error;
};

interface Checkpoint {
  readonly stage: 'awaiting_approval';
  readonly tasks: unknown[];
  readonly summary: JsonValue;
}

export function planTaskHandler(options: PlanTaskOptions): TaskHandler {
  return async ({ task, signal }) => {
    const payload = task.payload as unknown as { goal_text: string; options?: PlannerOptions };
    const planner = payload.options ?? {};
    const agent = await readProfile(options.store, task.agentId);
    if (agent === null) throw new TaskError(`agent ${task.agentId} does not exist`, { retryable: false });
    const { tools, registered } = await agentTools(options.store, agent.allowedTools);
    const policy = approvalPolicyFor(
      agent,
      { requireApproval: planner.require_approval === true },
      options.approvals ?? { riskyTaskTypes: [], ttlSeconds: 86_400, riskTier: null },
      tiersOf(tools),
    );
    const checkpoint = task.checkpoint as Checkpoint | null;
    let planned: { tasks: unknown[]; summary: JsonValue };
    if (checkpoint?.stage === 'awaiting_approval')
      planned = { tasks: checkpoint.tasks, summary: checkpoint.summary };
    else {
      try {
        const context = await assembleContext({
          store: options.store,
          agentId: agent.id,
          goalId: task.goalId,
          tokenBudget: options.contextTokens ?? PLANNER_DEFAULTS.contextTokens,
          ...(options.memories === undefined
            ? {}
            : { memories: options.memories, query: payload.goal_text, taskId: task.id }),
        });
        const hidden = new Set(PLANNER_DEFAULTS.hiddenTaskTypes);
        const result = await planGoal({
          goalText: payload.goal_text,
          context: context.system,
          allowedTools: tools,
          registeredTools: registered,
          taskTypes: [...options.taskTypes()].filter((type) => !hidden.has(type)).sort(),
          validatePlan: options.validatePlan,
          existingTaskIds: new Set([task.name]),
          llm: options.llm,
          scope: {
            orgId: agent.orgId,
            agentId: agent.id,
            goalId: task.goalId,
            taskId: task.id,
            purpose: 'plan',
          },
          budget: planner.budget ?? {},
          signal,
          ...(policy === undefined ? {} : { approval: policy }),
          ...(planner.max_attempts === undefined ? {} : { maxAttempts: planner.max_attempts }),
          ...(planner.model === undefined ? {} : { model: planner.model }),
        });
        planned = {
          tasks: result.tasks,
          summary: {
            attempts: result.attempts.length,
            model: result.attempts.at(-1)?.model ?? null,
            input_tokens: result.usage.inputTokens,
            output_tokens: result.usage.outputTokens,
            cost_usd: result.costUsd,
            estimate: { tokens: result.estimate.tokens, usd: result.estimate.usd },
            flagged_for_approval: result.flaggedForApproval.map((flag) => ({
              task: flag.taskId,
              tool: flag.tool,
              risk_tier: flag.riskTier,
            })),
          },
        };
      } catch (error) {
        throw taskErrorOf(error);
      }
      if (policy?.plan != null)
        return awaitApproval({
          rule: policy.plan,
          summary: `a plan of ${planned.tasks.length} tasks for: ${payload.goal_text.slice(0, 200)}`,
          refusalCode: 'ASTRA_PLAN_REJECTED',
          checkpoint: {
            stage: 'awaiting_approval',
            tasks: planned.tasks,
            summary: planned.summary,
          } as JsonValue,
        });
    }
    const add = planned.tasks.map((planTask) => {
      const { depends_on: dependsOn = [], ...rest } = planTask as { depends_on?: string[] };
      return { ...rest, depends_on: dependsOn.length === 0 ? [task.name] : dependsOn };
    });
    const patch = await options
      .extendGraph({
        goalId: task.goalId,
        expectedVersion: 1,
        reason: 'planned from the goal text',
        source: { taskId: task.id },
        add,
        ...(policy === undefined ? {} : { approval: policy.task }),
      })
      .catch((error: unknown) => {
        throw taskErrorOf(error);
      });
    return {
      planned_tasks: add.length,
      plan_version: patch.version,
      ...(planned.summary as Record<string, JsonValue>),
    };
  };
}

/** The registry with the `plan` task type added (unless the caller registered one of its own). */
export function withPlanTasks(handlers: HandlerRegistry, options: PlanTaskOptions): HandlerRegistry {
  if (handlers.get('plan') !== undefined) return handlers;
  return handlers.register('plan', planTaskHandler(options), { checkPayload: checkPlanPayload });
}
