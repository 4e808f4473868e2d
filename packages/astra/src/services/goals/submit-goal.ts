import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import type { SubmittedGoal } from '../../kernel/index.js';
import type { LlmClient } from '../../ports/llm.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import type { AccessControl } from '../access/index.js';
import {
  ADMITS_UNCOUNTED,
  type AgentActors,
  admissionFor,
  countCall,
  GoalDocument,
  insertGoalDocuments,
  readAgent,
} from '../agents/index.js';
import { describedAs, isUuid, Plan, parseInput } from '../api/index.js';
import { type ApprovalSettings, approvalInput } from '../approvals/index.js';
import type { Principal } from '../identity/index.js';
import { plannedGoalPlan, replanPolicy } from '../planner/index.js';
import type { ReadModel } from '../reads/index.js';
import { routeRemoteTools, toolRiskTiers } from '../tools/index.js';
import { requireVisibleGoalDependencies } from './goal-dependencies.js';
import { GOALS_DEFAULTS } from './goals-defaults.js';

/** The body every goal submission route takes (`POST /internal/goals` and `POST /goals` add the agent). */
export const SubmitGoal = z.object({
  goal_text: z.string().trim().min(1).max(100_000),
  priority: z.number().int().min(-1_000_000).max(1_000_000).optional(),
  /** The declared plan, validated by the kernel (ASTRA_PLAN_INVALID naming the field); documented as Plan. */
  plan: describedAs(z.unknown(), Plan).optional(),
  depends_on_goal_ids: z.array(z.string().refine(isUuid, 'must be a UUID')).max(100).optional(),
  cascade_id: z.string().refine(isUuid, 'must be a UUID').nullable().optional(),
  workspace: z.string().max(500).optional(),
  /** The plan waits for approval (`pending_approval`, 202) even when the agent does not require it. */
  require_approval: z.boolean().optional(),
  replan: z.boolean().optional().meta({
    description:
      "A dead-lettered task waits for a re-plan instead of failing what depends on it and the goal, and the node's re-planner plans the rest (docs/planner.md). Default: the agent's config.planner.replan, else false.",
  }),
  /** Documents for this goal only (rules, skills, context, references), stored with the goal. */
  documents: z.array(GoalDocument).max(50).optional(),
});

const IdempotencyKey = z.string().trim().min(1).max(200).optional();

/** What a goal submission needs, on every route that submits one. */
export interface GoalSubmissionOptions {
  readonly store: SqlStore;
  /** The agents' actors: each submits its agent's goals in order. */
  readonly actors: Pick<AgentActors, 'ensure' | 'submitGoal'>;
  /** Decides which goals a submission may depend on (goal-dependencies.ts). */
  readonly access: Pick<AccessControl, 'filterAgents'>;
  readonly clock: Clock;
  /** What needs approval beyond each agent's own config (services/approvals/policy.ts); default APPROVAL_DEFAULTS. */
  readonly approvals?: ApprovalSettings;
  /** The node's LLM client: a goal without a plan is planned only when it has a provider. */
  readonly llm?: Pick<LlmClient, 'providers'>;
  /** Goals one agent may send per minute with its service tokens, on every goal route; default GOALS_DEFAULTS. */
  readonly agentGoalsPerMinute?: number;
  /**
   * The agent read through the read model's cache (its writers forget it before they answer), so a
   * submission reads no agent row; the admission check reads the row it locks. Default: from SQL.
   */
  readonly agentViews?: Pick<ReadModel, 'agent'>;
}

export interface GoalSubmission {
  readonly principal: Principal;
  readonly agentId: string;
  readonly body: z.output<typeof SubmitGoal>;
  /** The Idempotency-Key header as sent. */
  readonly idempotencyKey: unknown;
}

/**
 * Admission and submission, shared by `POST /agents/{id}/goals`, `POST /goals` and
 * `POST /internal/goals`. An agent calling with its service token is recorded as the goal's
 * `source_agent_id` and held to `agentGoalsPerMinute` on every one of these routes, counted per
 * source agent across gateway processes (in the SQL store); refused calls count too.
 */
export async function submitGoalTo(
  deps: GoalSubmissionOptions,
  submission: GoalSubmission,
): Promise<SubmittedGoal> {
  const { actors } = deps;
  const { principal, agentId, body } = submission;
  const sourceAgentId = principal.kind === 'agent' ? principal.agentId : null;
  if (sourceAgentId !== null)
    await countCall(
      deps.store,
      `agent-goals:${sourceAgentId}`,
      deps.agentGoalsPerMinute ?? GOALS_DEFAULTS.agentGoalsPerMinute,
      deps.clock.now(),
    );
  const key = parseInput(IdempotencyKey, submission.idempotencyKey, 'header.idempotency-key');
  const planned = body.plan === undefined;
  if (planned && (deps.llm?.providers().length ?? 0) === 0)
    throw new AstraError(
      'ASTRA_LLM_NO_PROVIDER',
      'a goal without a plan is planned by a model, and no LLM provider is configured on this node: set OPENAI_API_KEY (with OPENAI_BASE_URL for a compatible server such as vLLM or llama.cpp), ANTHROPIC_API_KEY, OLLAMA_HOST, or llm.providers in the config file; or submit the goal with a declared plan',
      { details: { path: 'plan', reason: 'required when no LLM provider is configured' } },
    );
  // A goal in words runs the planner's one `plan` task; plan approval is asked by that task once
  // the plan exists (services/planner/plan-task.ts), so the submission itself waits for nothing.
  const plan =
    body.plan ??
    plannedGoalPlan(body.goal_text, body.require_approval === true ? { require_approval: true } : {});
  const agent = await (deps.agentViews?.agent(agentId) ?? readAgent(deps.store, agentId));
  if (agent === null) throw new AstraError('ASTRA_NOT_FOUND', 'agent does not exist');
  if (agent.status !== 'active')
    throw new AstraError('ASTRA_STATE_CONFLICT', `agent is ${agent.status}`, {
      details: { status: agent.status },
    });
  await requireVisibleGoalDependencies(deps, principal, agent, body.depends_on_goal_ids ?? []);
  actors.ensure(agentId);
  return actors.submitGoal({
    agentId,
    goalText: body.goal_text,
    // Tool tasks of a tool the agent's organization's workers serve go to those workers.
    plan: await routeRemoteTools(deps.store, plan, agent.orgId),
    ...(body.priority === undefined ? {} : { priority: body.priority }),
    ...(body.depends_on_goal_ids === undefined ? {} : { dependsOnGoalIds: body.depends_on_goal_ids }),
    ...(body.cascade_id === undefined ? {} : { cascadeId: body.cascade_id }),
    ...(key === undefined ? {} : { idempotencyKey: key }),
    ...(sourceAgentId === null ? {} : { sourceAgentId }),
    ...(replanPolicy(body.replan, agent.config) ? { replan: true } : {}),
    ...(planned
      ? {}
      : approvalInput(
          agent,
          { requireApproval: body.require_approval === true },
          deps.approvals,
          await toolRiskTiers(deps.store, toolRefsOf(plan)),
        )),
    admit: admissionFor(agentId, () => new Date(deps.clock.now())),
    admitWhen: ADMITS_UNCOUNTED,
    ...(body.documents === undefined || body.documents.length === 0
      ? {}
      : { withGoal: (tx, goalId) => insertGoalDocuments(tx, agentId, goalId, body.documents ?? []) }),
  });
}

/** The tool references of a plan's tool tasks (the plan is checked fully by the engine). */
function toolRefsOf(plan: unknown): string[] {
  const tasks = (plan as { tasks?: unknown } | null)?.tasks;
  if (!Array.isArray(tasks)) return [];
  return tasks.flatMap((task: unknown) => {
    const { type, payload } = (task ?? {}) as { type?: unknown; payload?: { tool?: unknown } | null };
    return type === 'tool' && typeof payload?.tool === 'string' ? [payload.tool] : [];
  });
}

/** 200 for a goal an idempotency key found again, 202 while its plan waits for approval, else 201. */
export const submittedStatus = (goal: SubmittedGoal): 200 | 201 | 202 =>
  goal.existing ? 200 : goal.status === 'pending_approval' ? 202 : 201;

export const goalAnswer = (goal: SubmittedGoal) => ({
  goal_id: goal.goalId,
  graph_id: goal.graphId,
  task_count: goal.taskCount,
  status: goal.status,
  ...(goal.approvalId === null ? {} : { approval_id: goal.approvalId, approval_request_id: goal.approvalId }),
});
