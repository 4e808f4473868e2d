import { type AstraError, isAstraError } from '../../errors/index.js';
import {
  type AbandonReplanInput,
  type DeadLetterReport,
  type GraphPatchInput,
  type GraphPatchResult,
  type Plan,
  readAwaitingReplans,
  readGoal,
  readGoalTasks,
  readPlanVersions,
  type TaskRecord,
} from '../../kernel/index.js';
import type { LlmClient } from '../../ports/llm.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { readProfile } from '../agents/index.js';
import { type ApprovalSettings, approvalPolicyFor } from '../approvals/index.js';
import { assembleContext, type MemoryRecall } from '../prompts/index.js';
import { agentTools, tiersOf } from './agent-tools.js';
import { type PlannedGoal, planGoal } from './plan-goal.js';
import { PlanRejected } from './plan-rejected.js';
import type { PlannerOptions } from './plan-task.js';
import { PLANNER_DEFAULTS } from './planner-defaults.js';
import { replanGraph } from './replan-facts.js';

/**
 * The re-planner (docs/planner.md#re-planning): a dead letter of a goal submitted with `replan`
 * waits (`awaitingReplan`, docs/plans.md); the re-planner asks the planner for the rest of the
 * work and patches the graph with it, or gives the re-plan up so the goal fails with the reasons.
 *
 * For one waiting dead letter, in order:
 * 1. still waiting, goal still active (else: skipped, someone else resolved it);
 * 2. the graph as it stands (replan-facts.ts): the completed tasks with the start of their
 *    results, the unstarted tasks below the dead letter (the affected part), the ids taken;
 * 3. planGoal with that re-plan context, the completed tasks `dependable` (new tasks may depend on
 *    them and use their results), the goal's planner options (a planned goal's `plan` task
 *    payload: model, attempts, budget), the agent's tools, context and approval policy;
 * 4. engine.extendGraph({ source: null, replanned: [taskId], add }) against the current plan
 *    version: one append-only patch, finished tasks kept, the affected part superseded by the
 *    kernel, a new plan version stored. A stale version (another patch of the goal committed in
 *    between) is retried against the new one while the dead letter still waits.
 *
 * Given up (engine.abandonReplan, the reason on TaskReplanAbandoned, the goal fails when nothing
 * else is left): the goal re-planned `maxReplansPerGoal` times already, the model's plans still broke rules after every attempt (ASTRA_PLAN_REJECTED with
 * the validator's last issues), a router error that will not pass (no provider, budget exceeded,
 * no capable model, credentials refused), the agent gone, the kernel refusing the patch, or
 * `replanTransientAttempts` transient errors in a row. A transient error below that (a provider
 * unavailable or rate limited, the database) leaves the dead letter waiting for the next sweep
 * (`deferred`), as does a re-plan cut short by close().
 *
 * Concurrency: one re-plan per dead letter at a time in a process (a second request shares the
 * first's promise) and one per goal (a goal's dead letters are re-planned in turn, each against
 * the graph the previous one left). Across processes the kernel is the guard: the patch locks the
 * dead letter and refuses one no longer waiting (ASTRA_STATE_CONFLICT), and the version check
 * refuses a patch made against a graph that changed; the loser's model call is wasted, nothing else.
 */
export interface ReplannerOptions {
  readonly store: SqlExecutor;
  readonly llm: LlmClient;
  /** The engine's patch command (TaskEngine.extendGraph). */
  readonly extendGraph: (input: GraphPatchInput) => Promise<GraphPatchResult>;
  /** The engine's give-up command (TaskEngine.abandonReplan). */
  readonly abandonReplan: (input: AbandonReplanInput) => Promise<number>;
  /** The engine's plan validation (TaskEngine.validatePlan). */
  readonly validatePlan: (raw: unknown) => Plan;
  /** The node's task types (the handler registry's). */
  readonly taskTypes: () => ReadonlySet<string>;
  /** What needs approval beyond each agent's config (default: only what the agent's config says). */
  readonly approvals?: ApprovalSettings;
  /** Tokens of assembled context (default PLANNER_DEFAULTS.contextTokens). */
  readonly contextTokens?: number;
  /** Re-plans one goal may have (default PLANNER_DEFAULTS.maxReplansPerGoal). */
  readonly maxReplansPerGoal?: number;
  /** The agent's memories recalled on the goal's text into its context (memory service). */
  readonly memories?: MemoryRecall;
  /** Each re-plan's outcome (the node logs them). */
  readonly onOutcome?: (outcome: ReplanOutcome) => void;
  /** An error the re-planner could not place (reported, never thrown into the hook). */
  readonly onError?: (error: unknown, context: string) => void;
}

interface OutcomeBase {
  readonly goalId: string;
  readonly taskId: string;
}

export type ReplanOutcome =
  | (OutcomeBase & {
      readonly kind: 'replanned';
      readonly version: number;
      readonly added: number;
      readonly superseded: number;
      readonly attempts: number;
    })
  | (OutcomeBase & { readonly kind: 'abandoned'; readonly reason: string })
  | (OutcomeBase & { readonly kind: 'skipped'; readonly why: 'not_waiting' | 'goal_not_active' | 'closed' })
  | (OutcomeBase & { readonly kind: 'deferred'; readonly error: string });

export interface Replanner {
  /** The goal lifecycle hook: starts a re-plan of an `awaitingReplan` report; never throws, never waits. */
  deadLettered(report: DeadLetterReport): void;
  /** Re-plans one waiting dead letter (or joins the re-plan of it already under way). */
  replan(report: DeadLetterReport): Promise<ReplanOutcome>;
  /** Resolves once no re-plan is under way. */
  idle(): Promise<void>;
  /** Takes no new re-plans and cuts the running ones short (their dead letters keep waiting). */
  close(): Promise<void>;
}

/** The planner options of a planned goal: those its `plan` task was submitted with. */
function plannerOptionsOf(tasks: readonly TaskRecord[]): PlannerOptions {
  const plan = tasks.find((task) => task.type === 'plan');
  const options = (plan?.payload as { options?: unknown } | null)?.options;
  return typeof options === 'object' && options !== null && !Array.isArray(options)
    ? (options as PlannerOptions)
    : {};
}

const FINAL_ROUTER_ERRORS = new Set([
  'ASTRA_LLM_NO_PROVIDER',
  'ASTRA_LLM_NO_CAPABLE_MODEL',
  'ASTRA_LLM_BUDGET_EXCEEDED',
  'ASTRA_LLM_AUTH_FAILED',
  'ASTRA_LLM_REQUEST_INVALID',
]);

const errorText = (error: unknown): string =>
  isAstraError(error)
    ? JSON.stringify({ code: error.code, message: error.message, details: error.details })
    : error instanceof Error
      ? error.message
      : String(error);

export function createReplanner(options: ReplannerOptions): Replanner {
  const running = new Map<string, Promise<ReplanOutcome>>();
  const goalTurns = new Map<string, Promise<unknown>>();
  const transient = new Map<string, number>();
  const closing = new AbortController();
  const report = (outcome: ReplanOutcome): ReplanOutcome => {
    if (outcome.kind !== 'deferred') transient.delete(outcome.taskId);
    try {
      options.onOutcome?.(outcome);
    } catch (error) {
      options.onError?.(error, 're-plan outcome report failed');
    }
    return outcome;
  };

  const abandon = async (dead: DeadLetterReport, reason: string): Promise<ReplanOutcome> => {
    const resolved = await options.abandonReplan({ taskIds: [dead.taskId], reason });
    return resolved === 0
      ? { goalId: dead.goalId, taskId: dead.taskId, kind: 'skipped', why: 'not_waiting' }
      : { goalId: dead.goalId, taskId: dead.taskId, kind: 'abandoned', reason };
  };

  const stillWaiting = async (dead: DeadLetterReport): Promise<boolean> =>
    (await readAwaitingReplans(options.store, { goalId: dead.goalId, limit: 10_000 })).some(
      (task) => task.taskId === dead.taskId,
    );

  const plan = async (dead: DeadLetterReport): Promise<ReplanOutcome> => {
    const base = { goalId: dead.goalId, taskId: dead.taskId };
    if (!(await stillWaiting(dead))) return { ...base, kind: 'skipped', why: 'not_waiting' };
    const goal = await readGoal(options.store, dead.goalId);
    if (goal?.status !== 'active') return { ...base, kind: 'skipped', why: 'goal_not_active' };
    const maxReplans = options.maxReplansPerGoal ?? PLANNER_DEFAULTS.maxReplansPerGoal;
    const replans = (await readPlanVersions(options.store, dead.goalId)).filter(
      (version) => version.replannedTasks > 0,
    ).length;
    if (replans >= maxReplans)
      return abandon(
        dead,
        `re-plan given up: the goal was re-planned ${replans} time${replans === 1 ? '' : 's'} already (at most ${maxReplans})`,
      );
    const tasks = await readGoalTasks(options.store, dead.goalId);
    const graph = replanGraph(tasks, dead.taskId);
    if (graph === null) return { ...base, kind: 'skipped', why: 'not_waiting' };
    const agent = await readProfile(options.store, dead.agentId);
    if (agent === null) return abandon(dead, `re-plan given up: agent ${dead.agentId} does not exist`);
    const planner = plannerOptionsOf(tasks);
    const { tools, registered } = await agentTools(options.store, agent.allowedTools);
    const policy = approvalPolicyFor(
      agent,
      { requireApproval: false },
      options.approvals ?? { riskyTaskTypes: [], ttlSeconds: 86_400, riskTier: null },
      tiersOf(tools),
    );
    const context = await assembleContext({
      store: options.store,
      agentId: agent.id,
      goalId: dead.goalId,
      tokenBudget: options.contextTokens ?? PLANNER_DEFAULTS.contextTokens,
      ...(options.memories === undefined
        ? {}
        : { memories: options.memories, query: goal.goalText, taskId: dead.taskId }),
    });
    const hidden = new Set(PLANNER_DEFAULTS.hiddenTaskTypes);
    let planned: PlannedGoal;
    try {
      planned = await planGoal({
        goalText: goal.goalText,
        context: context.system,
        allowedTools: tools,
        registeredTools: registered,
        taskTypes: [...options.taskTypes()].filter((type) => !hidden.has(type)).sort(),
        validatePlan: options.validatePlan,
        existingTaskIds: graph.taken,
        dependable: graph.dependable,
        replan: graph.facts,
        llm: options.llm,
        scope: {
          orgId: agent.orgId,
          agentId: agent.id,
          goalId: dead.goalId,
          taskId: null,
          purpose: 'replan',
        },
        budget: planner.budget ?? {},
        signal: closing.signal,
        ...(policy === undefined ? {} : { approval: policy }),
        ...(planner.max_attempts === undefined ? {} : { maxAttempts: planner.max_attempts }),
        ...(planner.model === undefined ? {} : { model: planner.model }),
      });
    } catch (error) {
      if (error instanceof PlanRejected) return abandon(dead, `re-plan rejected: ${error.taskError()}`);
      if (isAstraError(error) && FINAL_ROUTER_ERRORS.has(error.code))
        return abandon(dead, `re-plan failed: ${errorText(error)}`);
      throw error;
    }
    return patch(dead, planned, policy?.task);
  };

  const patch = async (
    dead: DeadLetterReport,
    planned: PlannedGoal,
    approval: GraphPatchInput['approval'],
  ): Promise<ReplanOutcome> => {
    const base = { goalId: dead.goalId, taskId: dead.taskId };
    for (let round = 0; ; round++) {
      const version = (await readPlanVersions(options.store, dead.goalId)).at(-1)?.version ?? 1;
      try {
        const result = await options.extendGraph({
          goalId: dead.goalId,
          expectedVersion: version,
          reason: `re-planned after task "${dead.name}" failed`,
          source: null,
          add: planned.tasks,
          replanned: [dead.taskId],
          ...(approval === undefined ? {} : { approval }),
        });
        return {
          ...base,
          kind: 'replanned',
          version: result.version,
          added: Object.keys(result.added).length,
          superseded: result.superseded.length,
          attempts: planned.attempts.length,
        };
      } catch (error) {
        if (isAstraError(error, 'ASTRA_NOT_FOUND'))
          return { ...base, kind: 'skipped', why: 'goal_not_active' };
        if (isAstraError(error, 'ASTRA_STATE_CONFLICT')) {
          if (!(await stillWaiting(dead))) return { ...base, kind: 'skipped', why: 'not_waiting' };
          if ((await readGoal(options.store, dead.goalId))?.status !== 'active')
            return { ...base, kind: 'skipped', why: 'goal_not_active' };
          if (round < 3 && (error as AstraError).details.current_version !== undefined) continue;
        }
        if (isAstraError(error, 'ASTRA_PLAN_INVALID') || isAstraError(error, 'ASTRA_STATE_CONFLICT'))
          return abandon(dead, `re-plan refused by the kernel: ${errorText(error)}`);
        throw error;
      }
    }
  };

  const guarded = async (dead: DeadLetterReport): Promise<ReplanOutcome> => {
    const base = { goalId: dead.goalId, taskId: dead.taskId };
    try {
      return report(await plan(dead));
    } catch (error) {
      if (closing.signal.aborted)
        return report({ ...base, kind: 'deferred', error: 'the re-planner closed' });
      const count = (transient.get(dead.taskId) ?? 0) + 1;
      transient.set(dead.taskId, count);
      if (count < PLANNER_DEFAULTS.replanTransientAttempts)
        return report({ ...base, kind: 'deferred', error: errorText(error) });
      try {
        return report(
          await abandon(
            dead,
            `re-plan given up after ${count} transient errors, the last: ${errorText(error)}`,
          ),
        );
      } catch (again) {
        options.onError?.(again, 're-plan could not be given up');
        return report({ ...base, kind: 'deferred', error: errorText(again) });
      }
    }
  };

  const replan = (dead: DeadLetterReport): Promise<ReplanOutcome> => {
    const known = running.get(dead.taskId);
    if (known !== undefined) return known;
    if (closing.signal.aborted)
      return Promise.resolve({ goalId: dead.goalId, taskId: dead.taskId, kind: 'skipped', why: 'closed' });
    const before = goalTurns.get(dead.goalId) ?? Promise.resolve();
    const turn = before.then(() => guarded(dead));
    running.set(dead.taskId, turn);
    goalTurns.set(dead.goalId, turn);
    void turn.finally(() => {
      running.delete(dead.taskId);
      if (goalTurns.get(dead.goalId) === turn) goalTurns.delete(dead.goalId);
    });
    return turn;
  };

  return {
    deadLettered: (dead) => {
      if (!dead.awaitingReplan || closing.signal.aborted) return;
      replan(dead).catch((error: unknown) => options.onError?.(error, 're-plan failed'));
    },
    replan,
    idle: async () => {
      while (running.size > 0) await Promise.allSettled([...running.values()]);
    },
    close: async () => {
      closing.abort(new Error('the re-planner closed'));
      while (running.size > 0) await Promise.allSettled([...running.values()]);
    },
  };
}
