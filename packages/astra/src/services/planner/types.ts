import type { ApprovalRule, PlanTask } from '../../kernel/index.js';
import type { LlmUsage } from '../../ports/llm.js';

/**
 * The planner's vocabulary.
 *
 * - planned plan: the JSON a model answered under the plan schema (plan-schema.ts), before it is
 *   checked; once every check passes it is the kernel's `Plan`.
 * - issue: one broken rule, as a JSON Pointer into the model's answer (`/tasks/3/payload/input/url`)
 *   and what is wrong; the repair loop sends issues back to the model verbatim.
 * - attempt: one model call and the checks of its answer; a plan is accepted on the first attempt
 *   without issues, or rejected after the last (ASTRA_PLAN_REJECTED).
 */
export interface PlanIssue {
  /** JSON Pointer into the model's answer (`""`: the whole answer). */
  readonly path: string;
  readonly reason: string;
}

/** A tool the agent may use, as the planner offers it to the model (a ToolRecord fits). */
export interface PlannerTool {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
  readonly riskTier: string;
}

/** What the planned tasks may cost; each limit absent or null: none. */
export interface PlanBudget {
  /** Estimated LLM tokens of the planned tasks (cost-estimates.ts). */
  readonly tokens?: number | null;
  /** Estimated dollars of the planned tasks. */
  readonly usd?: number | null;
  /** Most tasks in a planned plan (default PLANNER_DEFAULTS.maxTasks). */
  readonly maxTasks?: number;
}

/**
 * What needs approval, as services/approvals decides it for the goal's agent (approvalPolicyFor):
 * the plan as a whole, and each task.
 */
export interface PlanApprovalPolicy {
  readonly plan: ApprovalRule | null;
  readonly task: (task: PlanTask) => ApprovalRule | null;
}

/** A planned task that will wait for people's approval when it is ready. */
export interface FlaggedTask {
  readonly taskId: string;
  /** JSON Pointer of the task in the plan. */
  readonly path: string;
  /** The tool it calls (tool tasks) and that tool's risk tier, when known. */
  readonly tool: string | null;
  readonly riskTier: string | null;
  readonly rule: ApprovalRule;
}

/** One model call of a plan and what the validator found in its answer. */
export interface PlanAttempt {
  readonly attempt: number;
  /** `provider/model` that answered; null when the router refused the answer. */
  readonly model: string | null;
  readonly issues: readonly PlanIssue[];
  readonly usage: LlmUsage;
  readonly costUsd: number;
}
