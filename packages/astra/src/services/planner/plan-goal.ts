import { isAstraError } from '../../errors/index.js';
import type { Plan } from '../../kernel/index.js';
import type { LlmClient, LlmMessage, LlmScope, LlmUsage } from '../../ports/llm.js';
import type { PlanCostEstimate } from './cost-estimates.js';
import { PlanRejected } from './plan-rejected.js';
import { plannedPlanSchema } from './plan-schema.js';
import { PLANNER_DEFAULTS } from './planner-defaults.js';
import { planMessages, type ReplanFacts, repairMessage } from './prompt.js';
import type { FlaggedTask, PlanAttempt, PlanIssue, PlannerTool } from './types.js';
import { checkPlannedPlan, type PlanCheckEnv } from './validate.js';

/**
 * planGoal: goal text, the agent's assembled context and the tools it may use → a plan the kernel
 * takes, through the LLM router with the plan schema as structured output. Each answer is checked
 * (validate.ts); on issues the model gets them back as a follow-up message (JSON Pointer and
 * reason) and answers again, up to `maxAttempts` calls; then ASTRA_PLAN_REJECTED with the last
 * issues. There is no fallback plan: a goal the model cannot plan fails with the reasons.
 *
 * An answer that is not JSON, or that the router refused as not matching the schema
 * (ASTRA_LLM_OUTPUT_INVALID), is an issue at the answer's root like any other. Every other router
 * error (no provider, budget exceeded, every model unavailable, cancelled) is thrown as it is.
 */
export interface PlanGoalInput extends Omit<PlanCheckEnv, 'tools'> {
  readonly goalText: string;
  /** The agent's assembled context (system prompt, rules, skills, documents), cut to its budget. */
  readonly context: string;
  /** The tools the agent may use, every allowed version. */
  readonly allowedTools: readonly PlannerTool[];
  readonly llm: LlmClient;
  readonly scope: LlmScope;
  /** Model calls in all (default PLANNER_DEFAULTS.maxAttempts). */
  readonly maxAttempts?: number;
  /** A model ref for the router (absent: its routing rules decide, by task type `plan`). */
  readonly model?: string;
  /** Descriptions of task types beyond prompt.ts's TASK_TYPE_GUIDE. */
  readonly taskTypeGuide?: Readonly<Record<string, string>>;
  readonly replan?: ReplanFacts;
  readonly signal?: AbortSignal;
}

export interface PlannedGoal {
  readonly plan: Plan;
  /** The plan's tasks as the model wrote them (a declared plan's form, for a graph patch). */
  readonly tasks: unknown[];
  readonly attempts: readonly PlanAttempt[];
  /** The usage of every attempt, summed. */
  readonly usage: LlmUsage;
  readonly costUsd: number;
  readonly estimate: PlanCostEstimate;
  readonly flaggedForApproval: readonly FlaggedTask[];
}

const ZERO: LlmUsage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, estimated: false };

const add = (a: LlmUsage, b: LlmUsage): LlmUsage => ({
  inputTokens: a.inputTokens + b.inputTokens,
  outputTokens: a.outputTokens + b.outputTokens,
  cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
  estimated: a.estimated || b.estimated,
});

type Answer =
  | {
      readonly text: string;
      readonly value: unknown;
      readonly model: string;
      usage: LlmUsage;
      costUsd: number;
    }
  | {
      readonly text: string;
      readonly issues: PlanIssue[];
      readonly model: string | null;
      usage: LlmUsage;
      costUsd: number;
    };

function parsed(text: string): { value: unknown } | { issues: PlanIssue[] } {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      issues: [
        { path: '', reason: `the answer is not JSON (${reason.slice(0, 200)}): answer with one JSON object` },
      ],
    };
  }
}

async function ask(
  input: PlanGoalInput,
  messages: readonly LlmMessage[],
  schema: Record<string, unknown>,
): Promise<Answer> {
  try {
    const result = await input.llm.complete({
      messages,
      responseFormat: { type: 'json_schema', name: 'plan', schema },
      temperature: 0,
      maxOutputTokens: PLANNER_DEFAULTS.maxOutputTokens,
      scope: input.scope,
      taskType: 'plan',
      ...(input.model === undefined ? {} : { model: input.model }),
      ...(input.signal === undefined ? {} : { signal: input.signal }),
    });
    const base = { text: result.text, model: result.model, usage: result.usage, costUsd: result.costUsd };
    return result.json !== undefined ? { ...base, value: result.json } : { ...base, ...parsed(result.text) };
  } catch (error) {
    if (!isAstraError(error, 'ASTRA_LLM_OUTPUT_INVALID')) throw error;
    return {
      text: '',
      issues: routerIssues(error.details.issues, error.message, input.taskTypes),
      model: null,
      usage: ZERO,
      costUsd: 0,
    };
  }
}

/**
 * The router's schema issues (details.issues, JSON text of {path, message}) as the planner's, an
 * unknown type's naming the types there are; without them, one issue at the answer's root.
 */
function routerIssues(raw: unknown, message: string, taskTypes: readonly string[]): PlanIssue[] {
  let listed: unknown;
  try {
    listed = typeof raw === 'string' ? JSON.parse(raw) : undefined;
  } catch {
    listed = undefined;
  }
  const issues = Array.isArray(listed)
    ? listed.flatMap((item: { path?: unknown; message?: unknown }) =>
        typeof item?.path === 'string' && typeof item.message === 'string'
          ? [
              {
                path: item.path,
                reason: /^\/tasks\/\d+\/type$/.test(item.path)
                  ? `${item.message}: the types you may use are ${taskTypes.join(', ')}`
                  : item.message,
              },
            ]
          : [],
      )
    : [];
  return issues.length > 0
    ? issues
    : [{ path: '', reason: `the answer is not JSON under the plan schema: ${message}` }];
}

export async function planGoal(input: PlanGoalInput): Promise<PlannedGoal> {
  const maxAttempts = Math.max(1, input.maxAttempts ?? PLANNER_DEFAULTS.maxAttempts);
  const maxTasks = input.budget?.maxTasks ?? PLANNER_DEFAULTS.maxTasks;
  const env: PlanCheckEnv = { ...input, tools: input.allowedTools };
  const schema = plannedPlanSchema(input.taskTypes, maxTasks);
  const messages: LlmMessage[] = planMessages({
    goalText: input.goalText,
    context: input.context,
    taskTypes: input.taskTypes,
    tools: input.allowedTools,
    maxTasks,
    ...(input.budget === undefined ? {} : { budget: input.budget }),
    ...(input.taskTypeGuide === undefined ? {} : { taskTypeGuide: input.taskTypeGuide }),
    ...(input.replan === undefined ? {} : { replan: input.replan }),
  });
  const attempts: PlanAttempt[] = [];
  let usage = ZERO;
  let costUsd = 0;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const answer = await ask(input, messages, schema);
    usage = add(usage, answer.usage);
    costUsd += answer.costUsd;
    const check = 'issues' in answer ? null : checkPlannedPlan(answer.value, env);
    const issues = check === null ? (answer as { issues: PlanIssue[] }).issues : check.issues;
    attempts.push({ attempt, model: answer.model, issues, usage: answer.usage, costUsd: answer.costUsd });
    if (check?.plan != null)
      return {
        plan: check.plan,
        tasks: (answer as { value: { tasks: unknown[] } }).value.tasks,
        attempts,
        usage,
        costUsd,
        estimate: check.estimate,
        flaggedForApproval: check.flagged,
      };
    const shown = issues.slice(0, PLANNER_DEFAULTS.maxIssuesPerRepair);
    messages.push(
      { role: 'assistant', content: answer.text },
      repairMessage(shown, issues.length - shown.length),
    );
  }
  throw new PlanRejected(attempts);
}
