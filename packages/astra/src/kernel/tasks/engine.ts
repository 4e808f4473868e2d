import { randomUUID } from 'node:crypto';
import { AstraError } from '../../errors/index.js';
import type { Bus } from '../../ports/bus.js';
import type { SqlExecutor, SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { finishInSlices } from '../sliced-work.js';
import {
  type DeadLetterReport,
  endedReport,
  type GoalEndCounts,
  type GoalLifecycleHooks,
} from './goal-lifecycle.js';
import { isUnstarted, parsePatch } from './graph-patch.js';
import {
  DEFAULT_PLAN_LIMITS,
  dependencyRows,
  type PlanLimits,
  parsePlan,
  planSteps,
  planToJson,
} from './plan.js';
import { resolveClaimed } from './resolve-claimed.js';
import { ruleFromJson, ruleToJson } from './sql/approval-requests.js';
import { type ApprovalWaitInput, awaitTaskApproval } from './sql/approval-waits.js';
import {
  type ApprovalRecord,
  blockApprovedGoal,
  cancelPlanApproval,
  countApproval,
  endApproval,
  expiredApprovals,
  failPendingGoal,
  insertPlanApproval,
  lockSubject,
  planApprovalId,
  queueApprovedTask,
  readApproval,
  readPendingGoal,
  recordVote,
  refuseTask,
} from './sql/approvals.js';
import { claimTasks } from './sql/claim-tasks.js';
import { type Completion, completeTasks, type EagerClaim } from './sql/complete-tasks.js';
import { type CreatedGraph, createGraph } from './sql/create-graph.js';
import {
  type Deferral,
  deferTasks,
  dispatchDue,
  expiredLeases,
  nextDueAt,
  type RunningAttempt,
  republishQueued,
  workerTasks,
} from './sql/dispatch.js';
import { cancelTasks, endDescendants } from './sql/end-tasks.js';
import {
  awaitingReplanOf,
  insertPatchTasks,
  lockGraph,
  lockTasks,
  type PatchTaskRow,
  planAt,
  readGraphState,
  readPatchGoal,
  recordedPatch,
  recordPlanVersion,
  recountPending,
  resolveReplans,
  supersedeTasks,
} from './sql/extend-graph.js';
import { type AttemptFailure, failTasks, type RetryPolicy } from './sql/fail-tasks.js';
import {
  appendGoalEvent,
  attachGraph,
  endedDependencies,
  existingGoal,
  failDependentGoals,
  finalizeGraphs,
  goalStatuses,
  insertGoal,
  insertGoalDependencies,
  unblockableGoals,
} from './sql/goals.js';
import { goalTaskIds, readGoal, readGraph } from './sql/read.js';
import { readyChildren, stalledReadying } from './sql/ready-children.js';
import { stageGoal, stageGraph } from './sql/stage-graph.js';
import { newTaskIds, recoverStagedGraphs, type StagedGraph, writeStagedGraph } from './staged-graph.js';
import {
  type ApprovalRule,
  type ClaimedTask,
  type Decision,
  type Dispatch,
  GOALS_COMPLETED_STREAM,
  type GoalStatus,
  type JsonValue,
  type Plan,
  type PlanTask,
  shardOf,
  taskStream,
} from './types.js';
import { checkTaskPayloads, payloadCheckSteps } from './validate-plan.js';

/**
 * The task graph engine: every task and goal state change, each one a transaction of conditional
 * statements with their events, followed (after commit) by publishing what became ready.
 *
 * After-commit effects: tasks that became `queued` are published to their shard stream, highest
 * priority first, in one pipelined call; finished goals are published to `astra:goals:completed`;
 * retries and deferrals report their due time to `onDue` (a timer may dispatch them early; the
 * scheduler's sweep dispatches them regardless). A publish that fails after commit loses nothing:
 * the task is `queued` in Postgres and the recovery sweep publishes it again.
 */
export interface EngineOptions {
  readonly store: SqlStore;
  readonly bus: Bus;
  readonly clock: Clock;
  readonly shardCount: number;
  readonly retry: RetryPolicy;
  /** Task types some registered handler runs; plans naming others are refused. */
  readonly knownTypes: () => ReadonlySet<string>;
  /** What is wrong with a task's payload for its type (the handler's rules); null: nothing. */
  readonly checkPayload?: (type: string, payload: JsonValue) => { path: string; reason: string } | null;
  readonly planLimits?: Partial<Omit<PlanLimits, 'knownTypes'>>;
  /** Called after commit with tasks waiting for a time (retry backoff, durable sleep). */
  readonly onDue?: (due: readonly { taskId: string; dueAt: number; shard: number }[]) => void;
  /** Failures that could not be raised to a caller (a publish after commit). */
  readonly onError?: (error: unknown, context: string) => void;
  /**
   * Called after commit, once per statement or transaction, with the goals whose tasks, graph or
   * own row it changed; awaited before the write's promise resolves (read caches forget them).
   * A rejection goes to onError: the write stands. Default: nothing.
   */
  readonly onChanged?: (changed: { readonly goals: ReadonlySet<string> }) => Promise<void>;
  /** Told of each goal's submission and end after commit (goal-lifecycle.ts). Default: nothing. */
  readonly goalLifecycle?: GoalLifecycleHooks;
  /**
   * Plans of more tasks than this are written in chunks (staged-graph.ts). Default: 500 on PGlite,
   * whose one session a long statement would hold; never on Postgres, where it holds one connection.
   */
  readonly stagedGraphMinTasks?: number;
  /**
   * Most children one completion statement readies; a batch with more readies them after commit,
   * in chunks of this many (sql/ready-children.ts). Default: 500 on PGlite, no limit on Postgres.
   */
  readonly readyChildrenPerStatement?: number;
}

/** Default of EngineOptions.stagedGraphMinTasks on PGlite. */
export const STAGED_GRAPH_MIN_TASKS = 500;
/** Default of EngineOptions.readyChildrenPerStatement on PGlite. */
export const READY_CHILDREN_PER_STATEMENT = 500;

export interface SubmitGoalInput {
  readonly agentId: string;
  readonly goalText: string;
  readonly priority?: number;
  /** The declared plan, unvalidated (as received). */
  readonly plan: unknown;
  readonly dependsOnGoalIds?: readonly string[];
  readonly cascadeId?: string | null;
  readonly sourceAgentId?: string | null;
  readonly idempotencyKey?: string | null;
  /**
   * Runs first inside the goal's transaction (admission: it may lock rows and throw to refuse);
   * an idempotent repeat of an existing goal is answered before it runs.
   */
  readonly admit?: (tx: SqlExecutor) => Promise<void>;
  /**
   * A SQL condition on the agent's row (alias `agent`) under which `admit` would admit the goal
   * without reading anything else (no limit to count against). A goal written by one statement is
   * then written by that statement alone, which checks the condition on the row's newest committed
   * version and writes nothing when it does not hold; `admit` then decides, in a transaction, as
   * without it. One round trip instead of BEGIN, check, write, COMMIT.
   */
  readonly admitWhen?: string;
  /** Runs inside the goal's transaction once its row is written (goal-scoped documents). */
  readonly withGoal?: (tx: SqlExecutor, goalId: string) => Promise<void>;
  /**
   * What needs people's approval (services/approvals/policy.ts decides): the plan itself (the goal
   * waits `pending_approval` with no graph) and each risky task (it waits `waiting_approval` once
   * ready). Absent: nothing does.
   */
  readonly approval?: {
    readonly plan: ApprovalRule | null;
    readonly task: (task: PlanTask) => ApprovalRule | null;
  };
  /**
   * A dead-lettered task waits for a re-plan (its dependents stay `created`, the goal active)
   * instead of failing its dependents and the goal (docs/plans.md). Default false.
   */
  readonly replan?: boolean;
  /**
   * An opaque value stored with the goal (goals.trace_context): the host's trace context, a W3C
   * traceparent, so every process working on the goal continues its trace (docs/tracing.md).
   */
  readonly traceContext?: string | null;
}

/**
 * A patch to a goal's live graph (docs/plans.md): tasks added, unstarted tasks superseded, dead
 * letters re-planned, in one transaction, recorded as plan version `expectedVersion + 1`.
 */
export interface GraphPatchInput {
  readonly goalId: string;
  /** The goal's plan version the patch was made against (1: as submitted); else ASTRA_STATE_CONFLICT. */
  readonly expectedVersion: number;
  readonly reason: string;
  /**
   * The running task that makes the patch (a `plan` task); null: the host's own (a re-plan decided
   * outside a task). The same source and version again answers the recorded patch.
   */
  readonly source: { readonly taskId: string } | null;
  /** Tasks in a declared plan's form (unvalidated): `depends_on` may name tasks of the graph. */
  readonly add: unknown;
  /** Ids of unstarted tasks to cancel; every unfinished task below them goes with them. */
  readonly supersede?: readonly string[];
  /** Ids of dead letters waiting for a re-plan that this patch replaces; their unfinished dependents are superseded. */
  readonly replanned?: readonly string[];
  /** The approval rule of each added task that needs one (as at submission); absent: none. */
  readonly approval?: (task: PlanTask) => ApprovalRule | null;
}

export interface GraphPatchResult {
  /** The plan version the patch made. */
  readonly version: number;
  /** Task ids of the added tasks, by plan id. */
  readonly added: Readonly<Record<string, string>>;
  /** Ids of the tasks superseded. */
  readonly superseded: readonly string[];
  /** True when this source's patch of this version was already recorded: nothing was written. */
  readonly existing: boolean;
}

export interface AbandonReplanInput {
  /** Dead letters waiting for a re-plan. */
  readonly taskIds: readonly string[];
  readonly reason?: string;
}

/** One vote on an approval request. */
export interface ApprovalVote {
  readonly approvalId: string;
  /** A user id, or `admin-token`. */
  readonly approver: string;
  readonly decision: Decision;
  readonly reason?: string | null;
  /** Throws when this approver may not vote on the request (read under its lock). */
  readonly authorize?: (approval: ApprovalRecord) => void;
}

export interface SubmittedGoal {
  readonly goalId: string;
  readonly graphId: string | null;
  readonly taskCount: number;
  readonly status: GoalStatus;
  /** True when an idempotency key matched an existing goal and nothing was written. */
  readonly existing: boolean;
  /** The plan approval request when the goal waits for one (or was submitted waiting for one). */
  readonly approvalId: string | null;
}

interface Effects {
  dispatch: Dispatch[];
  deadLetters: DeadLetterReport[];
  finishedGoals: { goalId: string; agentId: string; status: GoalStatus; counts?: GoalEndCounts }[];
  due: { taskId: string; dueAt: number; shard: number }[];
  /** Goals changed (beyond those named in dispatch and finishedGoals), for onChanged. */
  goals: Set<string>;
}

const newEffects = (): Effects => ({
  dispatch: [],
  deadLetters: [],
  finishedGoals: [],
  due: [],
  goals: new Set(),
});

export class TaskEngine {
  readonly #options: EngineOptions;

  constructor(options: EngineOptions) {
    this.#options = options;
  }

  get shardCount(): number {
    return this.#options.shardCount;
  }

  #now(): Date {
    return new Date(this.#options.clock.now());
  }

  #staged(plan: Plan): boolean {
    const min =
      this.#options.stagedGraphMinTasks ??
      (this.#options.store.kind === 'pglite' ? STAGED_GRAPH_MIN_TASKS : Number.POSITIVE_INFINITY);
    return plan.tasks.length > min;
  }

  #readyLimit(): number | undefined {
    return (
      this.#options.readyChildrenPerStatement ??
      (this.#options.store.kind === 'pglite' ? READY_CHILDREN_PER_STATEMENT : undefined)
    );
  }

  /** Readies a completed task's children chunk by chunk, publishing each chunk after its commit. */
  async #readyChildren(parentId: string): Promise<void> {
    const limit = this.#readyLimit() ?? READY_CHILDREN_PER_STATEMENT;
    for (;;) {
      const chunk = await readyChildren(this.#options.store, parentId, limit, this.#now());
      await this.#publish({ ...newEffects(), dispatch: chunk.dispatch });
      if (!chunk.more) return;
    }
  }

  /**
   * Recovery: completed tasks whose chunked readying has not moved for `staleAfterMs` (the process
   * died after the completion) get their remaining children readied. Returns how many.
   */
  async resumeReadying(staleAfterMs: number, limit = 10): Promise<number> {
    const stalled = await stalledReadying(
      this.#options.store,
      new Date(this.#options.clock.now() - staleAfterMs),
      limit,
    );
    for (const parentId of stalled) await this.#readyChildren(parentId);
    return stalled.length;
  }

  /** Writes a staged graph's tasks, activates and announces it, publishing after each step. */
  async #writeStaged(graph: StagedGraph): Promise<void> {
    await writeStagedGraph(this.#options.store, graph, newTaskIds(graph.plan), () => this.#now(), {
      published: (dispatch, goalId) => this.#publish({ ...newEffects(), dispatch, goals: new Set([goalId]) }),
    });
  }

  /**
   * Recovery: graphs whose chunked writing stalled (the process died) are deleted when never
   * activated and untouched for `abandonAfterMs`, or finished when activated and untouched for
   * `resumeAfterMs`. Returns how many.
   */
  recoverStagedGraphs(abandonAfterMs: number, resumeAfterMs = abandonAfterMs): Promise<number> {
    const now = this.#options.clock.now();
    const stalled = {
      abandonBefore: new Date(now - abandonAfterMs),
      resumeBefore: new Date(now - resumeAfterMs),
    };
    return recoverStagedGraphs(this.#options.store, stalled, () => this.#now(), {
      published: (dispatch, goalId) => this.#publish({ ...newEffects(), dispatch, goals: new Set([goalId]) }),
    });
  }

  #planLimits(): PlanLimits {
    return { ...DEFAULT_PLAN_LIMITS, ...this.#options.planLimits, knownTypes: this.#options.knownTypes() };
  }

  validatePlan(raw: unknown): Plan {
    const plan = parsePlan(raw, this.#planLimits());
    this.#checkPayloads(plan.tasks, 'tasks');
    return plan;
  }

  /**
   * `validatePlan` with pauses for the event loop between slices (sliced-work.ts): checking a
   * 10,000-task plan takes tens of milliseconds of CPU, a hundred on a cold process, and in embedded
   * mode every API answer would wait for it. Same result, same errors.
   */
  async #validatePlanInSlices(raw: unknown): Promise<Plan> {
    const plan = await finishInSlices(planSteps(raw, this.#planLimits()));
    await finishInSlices(payloadCheckSteps(plan.tasks, 'tasks', this.#options.checkPayload));
    return plan;
  }

  /** Each task's payload against its type's rules; `list` names the array in errors. */
  #checkPayloads(tasks: readonly PlanTask[], list: string): void {
    checkTaskPayloads(tasks, list, this.#options.checkPayload);
  }

  async submitGoal(input: SubmitGoalInput): Promise<SubmittedGoal> {
    const submitted = await this.#submit(input);
    if (!submitted.existing)
      this.#report(() =>
        this.#options.goalLifecycle?.started?.({
          goalId: submitted.goalId,
          agentId: input.agentId,
          status: submitted.status,
          taskCount: submitted.taskCount,
        }),
      );
    return submitted;
  }

  /** A hook's failure is reported, never raised: the write it reports has committed. */
  #report(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.#options.onError?.(error, 'goal lifecycle hook');
    }
  }

  async #submit(input: SubmitGoalInput): Promise<SubmittedGoal> {
    const plan = await this.#validatePlanInSlices(input.plan);
    const dependsOn = [...new Set(input.dependsOnGoalIds ?? [])];
    const planRule = input.approval?.plan ?? null;
    const taskRules = new Map<string, ApprovalRule>();
    for (const task of input.approval === undefined ? [] : plan.tasks) {
      const rule = input.approval?.task(task) ?? null;
      if (rule !== null) taskRules.set(task.id, rule);
    }
    if (
      dependsOn.length === 0 &&
      (input.idempotencyKey ?? null) === null &&
      (input.admit === undefined || !this.#staged(plan)) &&
      input.withGoal === undefined &&
      planRule === null &&
      input.replan !== true
    )
      return this.#submitSimple(input, plan, taskRules);
    let staged: StagedGraph | null = null;
    const submitted = await this.#run(async (tx, fx) => {
      staged = null; // a retried transaction decides again
      const now = this.#now();
      const key = input.idempotencyKey ?? null;
      const repeated = key === null ? null : await existingGoal(tx, input.agentId, key, now);
      if (repeated !== null) return this.#existing(tx, repeated);
      await input.admit?.(tx);
      const statuses = await goalStatuses(tx, dependsOn);
      // Their rows may now say has_dependents (a new updated_at): cached views of them are dropped.
      for (const id of statuses.keys()) fx.goals.add(id);
      const missing = dependsOn.find((id) => !statuses.has(id));
      if (missing !== undefined)
        throw new AstraError('ASTRA_VALIDATION_FAILED', `depends_on_goal_ids names unknown goal ${missing}`, {
          details: { field: 'depends_on_goal_ids', goal_id: missing },
        });
      const values = [...statuses.values()];
      const doomed = values.some((s) => s === 'failed' || s === 'cancelled');
      const status: GoalStatus = doomed
        ? 'failed'
        : planRule !== null
          ? 'pending_approval'
          : values.every((s) => s === 'completed')
            ? 'active'
            : 'blocked';
      const goalId = randomUUID();
      // A large graph is written after this transaction, in chunks: the goal waits `pending` meanwhile.
      const stages = status === 'active' && this.#staged(plan);
      const inserted = await insertGoal(tx, {
        id: goalId,
        agentId: input.agentId,
        goalText: input.goalText,
        priority: input.priority ?? 100,
        status: stages ? 'pending' : status,
        cascadeId: input.cascadeId ?? null,
        sourceAgentId: input.sourceAgentId ?? null,
        idempotencyKey: input.idempotencyKey ?? null,
        plan: planToJson(plan),
        error: doomed ? 'a goal it depends on did not complete' : null,
        now,
        taskApprovals:
          taskRules.size === 0
            ? null
            : Object.fromEntries([...taskRules].map(([name, rule]) => [name, ruleToJson(rule)])),
        replan: input.replan === true,
        traceContext: input.traceContext ?? null,
      });
      if (inserted === null)
        return this.#existing(tx, (await existingGoal(tx, input.agentId, key as string, now)) as string);
      await insertGoalDependencies(tx, goalId, dependsOn);
      await input.withGoal?.(tx, goalId);
      if (doomed) fx.finishedGoals.push({ goalId, agentId: input.agentId, status });
      const goalEvent = { to: status, depends_on_goal_ids: dependsOn, task_count: plan.tasks.length };
      if (stages) {
        const scope = { graphId: randomUUID(), goalId, agentId: input.agentId };
        await stageGraph(tx, scope, plan.tasks.length, now);
        staged = {
          scope: { ...scope, shard: shardOf(input.agentId, this.#options.shardCount) },
          plan,
          approvals: taskRules,
          goalEvent,
        };
        return {
          goalId,
          graphId: scope.graphId,
          taskCount: plan.tasks.length,
          status,
          existing: false,
          approvalId: null,
        };
      }
      await appendGoalEvent(tx, {
        type: 'GoalCreated',
        agentId: input.agentId,
        goalId,
        graphId: null,
        payload: goalEvent,
        now,
      });
      let graphId: string | null = null;
      if (status === 'active')
        graphId = await this.#startGoal(tx, fx, goalId, input.agentId, plan, now, taskRules);
      const approvalId =
        status === 'pending_approval' && planRule !== null
          ? await insertPlanApproval(tx, {
              goalId,
              agentId: input.agentId,
              rule: planRule,
              summary: `plan of ${plan.tasks.length} tasks: ${input.goalText}`,
              now,
            })
          : null;
      return { goalId, graphId, taskCount: plan.tasks.length, status, existing: false, approvalId };
    });
    if (staged !== null) await this.#writeStaged(staged);
    return submitted;
  }

  async #existing(tx: SqlExecutor, goalId: string): Promise<SubmittedGoal> {
    const goal = await readGoal(tx, goalId);
    return {
      goalId,
      graphId: goal?.graphId ?? null,
      taskCount: goal === null ? 0 : (await goalTaskIds(tx, goalId)).length,
      status: goal?.status ?? 'pending',
      existing: true,
      approvalId: await planApprovalId(tx, goalId),
    };
  }

  /**
   * A goal with nothing to wait for and no key to check: one autocommitted statement writes it all;
   * with an admission check, that statement follows the check in its transaction, unless the
   * agent's row satisfies `admitWhen`, which the one statement checks itself.
   */
  async #submitSimple(
    input: SubmitGoalInput,
    plan: Plan,
    approvals: ReadonlyMap<string, ApprovalRule>,
  ): Promise<SubmittedGoal> {
    const goalId = randomUUID();
    const graphId = randomUUID();
    const active: SubmittedGoal = {
      goalId,
      graphId,
      taskCount: plan.tasks.length,
      status: 'active',
      existing: false,
      approvalId: null,
    };
    if (this.#staged(plan)) {
      const scope = {
        graphId,
        goalId,
        agentId: input.agentId,
        shard: shardOf(input.agentId, this.#options.shardCount),
      };
      await stageGoal(this.#options.store, {
        ...scope,
        goalText: input.goalText,
        priority: input.priority ?? 100,
        cascadeId: input.cascadeId ?? null,
        sourceAgentId: input.sourceAgentId ?? null,
        plan: planToJson(plan),
        taskCount: plan.tasks.length,
        now: this.#now(),
        traceContext: input.traceContext ?? null,
      });
      await this.#writeStaged({
        scope,
        plan,
        approvals,
        goalEvent: { to: 'active', task_count: plan.tasks.length },
      });
      return active;
    }
    const fx = newEffects();
    const write = (tx: SqlExecutor, admitWhen?: string): Promise<CreatedGraph> =>
      createGraph(
        tx,
        {
          graphId,
          goalId,
          agentId: input.agentId,
          shard: shardOf(input.agentId, this.#options.shardCount),
          plan,
          now: this.#now(),
          approvals,
        },
        {
          goalText: input.goalText,
          priority: input.priority ?? 100,
          cascadeId: input.cascadeId ?? null,
          sourceAgentId: input.sourceAgentId ?? null,
          plan: planToJson(plan),
          traceContext: input.traceContext ?? null,
          ...(admitWhen === undefined ? {} : { admitWhen }),
        },
      );
    const { admit, admitWhen } = input;
    const guarded =
      admit !== undefined && admitWhen !== undefined ? await write(this.#options.store, admitWhen) : null;
    const created =
      guarded?.admitted === true
        ? guarded
        : admit === undefined
          ? await write(this.#options.store)
          : await this.#options.store.transaction(async (tx) => {
              await admit(tx);
              return write(tx);
            });
    fx.dispatch.push(...created.dispatch);
    await this.#publish(fx);
    return active;
  }

  async #startGoal(
    tx: SqlExecutor,
    fx: Effects,
    goalId: string,
    agentId: string,
    plan: Plan,
    now: Date,
    approvals?: ReadonlyMap<string, ApprovalRule>,
  ): Promise<string> {
    const graphId = randomUUID();
    const shard = shardOf(agentId, this.#options.shardCount);
    fx.goals.add(goalId);
    const created = await createGraph(tx, {
      graphId,
      goalId,
      agentId,
      shard,
      plan,
      now,
      ...(approvals === undefined ? {} : { approvals }),
    });
    await attachGraph(tx, goalId, graphId, now);
    fx.dispatch.push(...created.dispatch);
    return graphId;
  }

  /**
   * Claims the tasks for a worker, their `$from` references resolved; ids not returned were not
   * claimable and their messages are dropped. A claimed task whose references cannot resolve is
   * failed without retry and not returned (resolve-claimed.ts). `types`: only tasks of these types
   * are claimed (the types the worker runs); absent: any.
   */
  async claim(
    workerId: string,
    taskIds: readonly string[],
    leaseMs: number,
    types?: readonly string[],
  ): Promise<ClaimedTask[]> {
    const now = this.#options.clock.now();
    // One statement, autocommitted: it is atomic on its own, and a transaction would add two round trips.
    const claimed = await claimTasks(this.#options.store, {
      taskIds,
      workerId,
      leaseExpiresAt: new Date(now + leaseMs),
      now: new Date(now),
      types: types ?? null,
    });
    await this.#changed(new Set(claimed.map((task) => task.goalId)));
    return this.#resolveClaimed(claimed);
  }

  /** Claimed tasks with their `$from` references resolved; those that cannot resolve are failed. */
  async #resolveClaimed(claimed: readonly ClaimedTask[]): Promise<ClaimedTask[]> {
    const { ready, unresolvable } = await resolveClaimed(
      this.#options.store,
      claimed,
      this.#options.checkPayload,
    );
    if (unresolvable.length > 0) await this.#run((tx, fx) => this.#failIn(tx, fx, unresolvable, this.#now()));
    return ready;
  }

  /**
   * Completes attempts; returns the ids accepted (the rest were stale). One autocommitted statement
   * completes, readies children and ends finished graphs and goals; goals that others wait on get
   * their cascade (start or fail the waiting goals) in a transaction right after. Should the process
   * die between the two, the scheduler's sweep runs the cascade (`cascadeStrandedGoals`).
   */
  async complete(completions: readonly Completion[]): Promise<ReadonlySet<string>> {
    return (await this.#completeAndClaim(completions)).accepted;
  }

  /**
   * `complete`, with eager dispatch: the children it readies, up to `eager.limit` of the worker's
   * types and shards, are claimed for that worker in the same statement (a lease in Postgres, as a
   * claim's) and returned with their `$from` references resolved, instead of being published —
   * no bus round trip and no claim statement. The rest are published as usual. Should the worker
   * die, its leases expire and the lease sweep queues those tasks again.
   */
  completeAndClaim(
    completions: readonly Completion[],
    options: CompletionOptions = {},
  ): Promise<{ readonly accepted: ReadonlySet<string>; readonly claimed: ClaimedTask[] }> {
    return this.#completeAndClaim(completions, options);
  }

  async #completeAndClaim(
    completions: readonly Completion[],
    { eager, unobserved = false }: CompletionOptions = {},
  ): Promise<{ readonly accepted: ReadonlySet<string>; readonly claimed: ClaimedTask[] }> {
    const now = this.#now();
    const batch = await completeTasks(
      this.#options.store,
      completions,
      now,
      this.#readyLimit(),
      eager === undefined ? undefined : { ...eager, leaseExpiresAt: new Date(now.getTime() + eager.leaseMs) },
    );
    const fx = newEffects();
    fx.dispatch.push(...batch.dispatch);
    fx.finishedGoals.push(...batch.finishedGoals);
    fx.goals = new Set(batch.goalIds);
    await this.#publish(fx, unobserved);
    for (const parentId of batch.deferred) await this.#readyChildren(parentId);
    // The statement said which ended goals others wait on (goals.has_dependents as of its own row
    // lock, so a dependent submitted meanwhile counts: sql/goals.ts).
    const cascading = batch.finishedGoals.filter((goal) => batch.waitedOn.has(goal.goalId));
    if (cascading.length > 0) await this.#run((tx, more) => this.#cascadeGoals(tx, more, cascading, now));
    const claimed = batch.claimed.length === 0 ? [] : await this.#resolveClaimed(batch.claimed);
    return { accepted: batch.completed, claimed };
  }

  /**
   * Recovery: blocked goals whose dependencies have all ended but that were never started or
   * failed (the process died between a goal's end and its cascade). Returns how many moved.
   */
  cascadeStrandedGoals(): Promise<number> {
    return this.#run(async (tx, fx) => {
      const ended = await endedDependencies(tx);
      await this.#cascadeGoals(tx, fx, ended, this.#now());
      return ended.length;
    });
  }

  /** Ends failed attempts: retried after backoff while retries last, else dead-lettered with their dependents. */
  fail(failures: readonly AttemptFailure[]): Promise<void> {
    return this.#run(async (tx, fx) => {
      const now = this.#now();
      await this.#failIn(tx, fx, failures, now);
    });
  }

  async #failIn(tx: SqlExecutor, fx: Effects, failures: readonly AttemptFailure[], now: Date): Promise<void> {
    if (failures.length === 0) return;
    const batch = await failTasks(tx, failures, this.#options.retry, now);
    for (const retry of batch.retried)
      fx.due.push({ taskId: retry.taskId, dueAt: retry.dueAt, shard: retry.dispatch.shard });
    const below = await endDescendants(tx, batch.deadLettered, now);
    fx.deadLetters.push(...batch.deadLetters);
    for (const goalId of batch.goalIds) fx.goals.add(goalId);
    const unfinished = new Map([...batch.graphUnfinished, ...below.graphUnfinished]);
    await this.#settle(tx, fx, finished(unfinished), now);
  }

  /**
   * Running attempts that ask for people's approval before they run again (sql/approval-waits.ts):
   * each waits `waiting_approval` with its request; an attempt no longer running changes nothing.
   */
  awaitApproval(waits: readonly ApprovalWaitInput[]): Promise<void> {
    return this.#run(async (tx, fx) => {
      const now = this.#now();
      for (const wait of waits) {
        const waiting = await awaitTaskApproval(tx, wait, now);
        if (waiting !== null) fx.goals.add(waiting.goalId);
      }
    });
  }

  defer(deferrals: readonly Deferral[]): Promise<void> {
    return this.#run(async (tx, fx) => {
      const deferred = await deferTasks(tx, deferrals, this.#now());
      for (const d of deferred) {
        fx.due.push({ taskId: d.taskId, dueAt: d.dueAt, shard: d.dispatch.shard });
        if (d.dispatch.goalId !== undefined) fx.goals.add(d.dispatch.goalId);
      }
    });
  }

  /** Dispatches pending tasks of these shards whose time has come; returns how many. */
  dispatchDue(shards: readonly number[], limit = 1000): Promise<number> {
    return this.#run(async (tx, fx) => {
      const dispatch = await dispatchDue(tx, shards, this.#now(), limit);
      fx.dispatch.push(...dispatch);
      return dispatch.length;
    });
  }

  nextDueAt(shards: readonly number[]): Promise<number | null> {
    return nextDueAt(this.#options.store, shards);
  }

  /** Publishes again `queued` tasks untouched for olderThanMs (their message may be lost); returns how many. */
  republishQueued(shards: readonly number[], olderThanMs: number, limit = 5000): Promise<number> {
    return this.#run(async (tx, fx) => {
      const now = this.#options.clock.now();
      const dispatch = await republishQueued(tx, {
        shards,
        cutoff: new Date(now - olderThanMs),
        now: new Date(now),
        limit,
      });
      fx.dispatch.push(...dispatch);
      return dispatch.length;
    });
  }

  /** Fails (retryably) running attempts whose lease expired on these shards; returns how many. */
  releaseExpiredLeases(shards: readonly number[], limit = 1000): Promise<number> {
    return this.#release((tx) => expiredLeases(tx, shards, this.#now(), limit), 'lease expired');
  }

  /** Fails (retryably) the running attempts of workers declared dead; returns how many. */
  releaseWorkerTasks(workerIds: readonly string[], reason = 'worker lost'): Promise<number> {
    if (workerIds.length === 0) return Promise.resolve(0);
    return this.#release((tx) => workerTasks(tx, workerIds), reason);
  }

  #release(select: (tx: SqlExecutor) => Promise<RunningAttempt[]>, reason: string): Promise<number> {
    return this.#run(async (tx, fx) => {
      const attempts = await select(tx);
      const failures = attempts.map((a) => ({ ...a, error: reason, retryable: true }));
      await this.#failIn(tx, fx, failures, this.#now());
      return attempts.length;
    });
  }

  /**
   * Patches a goal's live graph (docs/plans.md): validates the added tasks against the graph,
   * then in one transaction writes them (readied and published like a new graph's when nothing they
   * depend on is unfinished; failed or skipped at once when one ended without completing), cancels
   * the superseded unstarted tasks, re-plans the named dead letters and records plan version
   * `expectedVersion + 1`. Refused: an unknown goal (404); a goal not active, a graph that ended, a
   * stale `expectedVersion`, a source task not running, a superseded task that has started (409);
   * an invalid task (400 ASTRA_PLAN_INVALID, `add[i]…` paths). The same source and version again
   * (a retried plan task) answers the recorded patch without writing.
   */
  async extendGraph(input: GraphPatchInput): Promise<GraphPatchResult> {
    if (!Number.isInteger(input.expectedVersion) || input.expectedVersion < 1)
      throw new AstraError('ASTRA_VALIDATION_FAILED', 'expectedVersion must be an integer from 1', {
        details: { field: 'expectedVersion' },
      });
    let repair: { taskIds: string[]; parents: string[] } | null = null;
    const result = await this.#run(async (tx, fx) => {
      repair = null; // a retried transaction decides again
      const patched = await this.#extendIn(tx, fx, input);
      repair = patched.repair;
      return patched.result;
    });
    const pending = repair as { taskIds: string[]; parents: string[] } | null;
    if (pending !== null)
      await this.#run(async (tx, fx) => {
        fx.dispatch.push(...(await recountPending(tx, pending.taskIds, pending.parents, this.#now())));
        fx.goals.add(input.goalId);
      });
    return result;
  }

  async #extendIn(
    tx: SqlExecutor,
    fx: Effects,
    input: GraphPatchInput,
  ): Promise<{ result: GraphPatchResult; repair: { taskIds: string[]; parents: string[] } | null }> {
    const { goalId } = input;
    const now = this.#now();
    const version = input.expectedVersion + 1;
    const seen = await readPatchGoal(tx, goalId);
    if (seen === null) throw new AstraError('ASTRA_NOT_FOUND', `goal ${goalId} does not exist`);
    if (input.source !== null) {
      const prior = await recordedPatch(tx, goalId, version);
      if (prior !== null && prior.sourceTaskId === input.source.taskId)
        return {
          result: {
            version,
            added: (prior.taskIds ?? {}) as Record<string, string>,
            superseded: prior.superseded,
            existing: true,
          },
          repair: null,
        };
    }
    const ended = (status: string): AstraError =>
      new AstraError(
        'ASTRA_STATE_CONFLICT',
        status === 'pending'
          ? `goal ${goalId} is still being written; try again`
          : `goal ${goalId} is ${status}: only an active goal's graph can be extended`,
        { details: { status } },
      );
    if (seen.status !== 'active' || seen.graphId === null) throw ended(seen.status);
    const graphId = seen.graphId;
    const state = await readGraphState(tx, graphId);
    const patch = parsePatch(
      { add: input.add, supersede: input.supersede ?? [], replanned: input.replanned ?? [] },
      state,
      this.#planLimits(),
    );
    this.#checkPayloads(patch.tasks, 'add');
    const byName = new Map(state.map((task) => [task.name, task]));
    const newNames = new Set(patch.tasks.map((task) => task.id));
    const parentIds = new Set<string>();
    for (const task of patch.tasks)
      for (const name of task.dependsOn)
        if (!newNames.has(name)) parentIds.add(byName.get(name)?.id as string);
    const sourceId = input.source?.taskId ?? null;
    const locked = await lockTasks(tx, [
      ...new Set([
        ...parentIds,
        ...patch.superseded.map((task) => task.id),
        ...patch.replanned.map((task) => task.id),
        ...(sourceId === null ? [] : [sourceId]),
      ]),
    ]);
    if (sourceId !== null) {
      const source = locked.get(sourceId);
      if (source === undefined || source.graphId !== graphId)
        throw new AstraError(
          'ASTRA_VALIDATION_FAILED',
          `source task ${sourceId} is not a task of goal ${goalId}`,
          {
            details: { field: 'source.task_id' },
          },
        );
      if (source.status !== 'running')
        throw new AstraError(
          'ASTRA_STATE_CONFLICT',
          `source task ${sourceId} is ${source.status}, not running`,
          {
            details: { task_id: sourceId, status: source.status },
          },
        );
    }
    for (const task of patch.superseded) {
      const now = locked.get(task.id);
      if (now === undefined || !isUnstarted(now))
        throw new AstraError('ASTRA_STATE_CONFLICT', `task ${task.name} (${task.id}) has started`, {
          details: { task_id: task.id, status: now?.status ?? null },
        });
    }
    for (const task of patch.replanned)
      if (locked.get(task.id)?.awaitingReplan !== true)
        throw new AstraError('ASTRA_STATE_CONFLICT', `task ${task.id} is not waiting for a re-plan`, {
          details: { task_id: task.id },
        });
    const graph = await lockGraph(tx, graphId);
    if (graph?.status !== 'active') throw ended(graph?.status ?? 'gone');
    const goal = await readPatchGoal(tx, goalId, { forUpdate: true });
    if (goal?.status !== 'active' || goal.graphId !== graphId) throw ended(goal?.status ?? 'gone');
    if (goal.planVersion !== input.expectedVersion)
      throw new AstraError(
        'ASTRA_STATE_CONFLICT',
        `goal ${goalId} is at plan version ${goal.planVersion}, not ${input.expectedVersion}`,
        { details: { expected_version: input.expectedVersion, current_version: goal.planVersion } },
      );
    const ids = new Map(patch.tasks.map((task) => [task.id, randomUUID()]));
    const idOf = (name: string): string => ids.get(name) ?? (byName.get(name)?.id as string);
    const statusOf = (name: string) => locked.get(idOf(name));
    const doomedParents = new Set<string>();
    const raceParents = new Set<string>();
    const raced: string[] = [];
    const rows: PatchTaskRow[] = patch.tasks.map((task) => {
      let pending = 0;
      let mayRace = false;
      for (const name of task.dependsOn) {
        if (ids.has(name)) {
          pending += 1;
          continue;
        }
        const parent = statusOf(name);
        if (parent?.status === 'completed') continue;
        pending += 1;
        const parentId = idOf(name);
        if (parent !== undefined && ['failed', 'cancelled'].includes(parent.status))
          doomedParents.add(parentId);
        else if (parent?.status === 'dead_letter' && !parent.awaitingReplan) doomedParents.add(parentId);
        else if (parentId !== sourceId && parent?.status !== 'dead_letter') {
          mayRace = true;
          raceParents.add(parentId);
        }
      }
      const rule = input.approval?.(task) ?? null;
      if (mayRace) raced.push(idOf(task.id));
      return {
        id: idOf(task.id),
        name: task.id,
        type: task.type,
        status: pending > 0 ? 'created' : rule === null ? 'queued' : 'waiting_approval',
        payload: task.payload,
        priority: task.priority,
        maxRetries: task.maxRetries,
        timeoutMs: task.timeoutMs,
        pending,
        onDependencyFailure: task.onDependencyFailure,
        approval: rule === null ? null : ruleToJson(rule),
      };
    });
    fx.goals.add(goalId);
    const shard = shardOf(goal.agentId, this.#options.shardCount);
    if (rows.length > 0)
      fx.dispatch.push(
        ...(await insertPatchTasks(tx, {
          graphId,
          goalId,
          agentId: goal.agentId,
          shard,
          version,
          reason: input.reason,
          tasks: rows,
          dependencies: dependencyRows(patch.tasks, idOf),
          now,
        })),
      );
    const superseded = patch.superseded.map((task) => task.id);
    await supersedeTasks(tx, superseded, version, now);
    const replanned = patch.replanned.map((task) => task.id);
    await resolveReplans(tx, replanned, { replanned: true, version, reason: input.reason }, now);
    // New tasks under a parent that ended without completing end as its dependents did.
    await endDescendants(tx, [...doomedParents], now);
    const gone = new Set(patch.superseded.map((task) => task.name));
    const before = await planAt(tx, goalId, input.expectedVersion);
    const kept =
      (before as { tasks?: { id: string }[] } | null)?.tasks?.filter((task) => !gone.has(task.id)) ?? [];
    const added = planToJson({ tasks: patch.tasks }) as { tasks: JsonValue[] };
    const taskIds = Object.fromEntries(patch.tasks.map((task) => [task.id, idOf(task.id)]));
    await recordPlanVersion(tx, {
      goalId,
      version,
      sourceTaskId: sourceId,
      reason: input.reason,
      added: added.tasks,
      taskIds,
      superseded,
      replanned,
      plan: { tasks: [...(kept as JsonValue[]), ...added.tasks] },
      now,
    });
    const after = await lockGraph(tx, graphId);
    if (after?.unfinishedTasks === 0) await this.#settle(tx, fx, [graphId], now);
    return {
      result: { version, added: taskIds, superseded, existing: false },
      repair: raced.length === 0 ? null : { taskIds: raced, parents: [...raceParents] },
    };
  }

  /**
   * Gives up re-planning dead letters waiting for one: each counts as failed now and the tasks
   * below it end as below any dead letter (failed, or skipped under `skip`); a graph with nothing
   * left ends (failed). Returns how many stopped waiting.
   */
  abandonReplan(input: AbandonReplanInput): Promise<number> {
    return this.#run(async (tx, fx) => {
      const now = this.#now();
      const reason = input.reason ?? 're-plan given up';
      const resolved = await resolveReplans(
        tx,
        input.taskIds,
        { replanned: false, version: null, reason },
        now,
      );
      for (const goalId of resolved.goalIds) fx.goals.add(goalId);
      const below = await endDescendants(tx, resolved.taskIds, now);
      const unfinished = new Map([...resolved.graphUnfinished, ...below.graphUnfinished]);
      await this.#settle(tx, fx, finished(unfinished), now);
      return resolved.taskIds.length;
    });
  }

  /** Cancels one task (and fails or skips what depends on it). */
  cancelTask(taskId: string, reason = 'cancelled by request'): Promise<boolean> {
    return this.#run(async (tx, fx) => {
      const now = this.#now();
      const ended = await cancelTasks(tx, [taskId], reason, now);
      fx.goals = new Set(ended.goalIds);
      const below = await endDescendants(tx, ended.ended, now);
      await this.#settle(
        tx,
        fx,
        finished(new Map([...ended.graphUnfinished, ...below.graphUnfinished])),
        now,
      );
      return ended.ended.length > 0;
    });
  }

  /** Cancels a goal that has not ended: every unfinished task, the graph, the goal; blocked dependents fail. */
  cancelGoal(goalId: string, reason = 'cancelled by request'): Promise<GoalStatus> {
    return this.#run(async (tx, fx) => {
      const now = this.#now();
      const goal = await readGoal(tx, goalId, { forUpdate: true });
      if (goal === null) throw new AstraError('ASTRA_NOT_FOUND', `goal ${goalId} does not exist`);
      if (goal.status === 'pending')
        throw new AstraError('ASTRA_STATE_CONFLICT', `goal ${goalId} is still being written; try again`, {
          details: { status: goal.status },
        });
      if (goal.status === 'completed' || goal.status === 'failed' || goal.status === 'cancelled')
        throw new AstraError('ASTRA_STATE_CONFLICT', `goal ${goalId} already ended (${goal.status})`, {
          details: { status: goal.status },
        });
      await tx.query(
        `UPDATE goals SET status = 'cancelled', error = $2, completed_at = $3, updated_at = $3 WHERE id = $1`,
        [goalId, reason, now],
      );
      await cancelPlanApproval(tx, goalId, reason, now);
      // Dead letters waiting for a re-plan wait no more: they count as failed, as without re-planning.
      const gaveUp = await resolveReplans(
        tx,
        await awaitingReplanOf(tx, goalId),
        { replanned: false, version: null, reason },
        now,
      );
      const cancelled = { goalId, agentId: goal.agentId, status: 'cancelled' as const };
      // The goal is no longer active, so finalizing its graph leaves the goal's status as it is.
      const ended = await cancelTasks(tx, await goalTaskIds(tx, goalId), reason, now);
      const graph = goal.graphId === null ? null : await readGraph(tx, goal.graphId);
      fx.finishedGoals.push({
        ...cancelled,
        counts: {
          taskCount: graph?.taskCount ?? 0,
          failedTasks: graph?.failedTasks ?? 0,
          cancelledTasks: graph?.cancelledTasks ?? 0,
          createdAtMs: Date.parse(goal.createdAt),
        },
      });
      await finalizeGraphs(tx, finished(new Map([...gaveUp.graphUnfinished, ...ended.graphUnfinished])), now);
      // Logged last: a goal's end comes after every event of its tasks and its graph.
      await appendGoalEvent(tx, {
        type: 'GoalCancelled',
        agentId: goal.agentId,
        goalId,
        graphId: goal.graphId,
        payload: { to: 'cancelled', reason },
        now,
      });
      await this.#cascadeGoals(tx, fx, [cancelled], now);
      return 'cancelled' as const;
    });
  }

  /**
   * Records one vote on a pending approval request and, when it decides the request, applies the
   * outcome in the same transaction: any deny ends it `denied`; the `required_approvals`-th approve
   * ends it `approved`. A plan approved builds the goal's graph (or blocks the goal on its
   * unfinished dependencies); denied, the goal fails with the reason. A risky task approved is
   * queued and published; denied, it fails and its dependents end as after a dead letter.
   * Refused: unknown request (404), not pending or expired (409), a second vote by the same
   * approver (409), `authorize` throwing.
   */
  decideApproval(vote: ApprovalVote): Promise<ApprovalRecord> {
    return this.#run(async (tx, fx) => {
      const now = this.#now();
      const approval = await this.#lockApproval(tx, vote.approvalId);
      if (approval === null)
        throw new AstraError('ASTRA_NOT_FOUND', `approval ${vote.approvalId} does not exist`);
      if (approval.status !== 'pending')
        throw new AstraError(
          'ASTRA_STATE_CONFLICT',
          `approval ${approval.id} is already ${approval.status}`,
          {
            details: { status: approval.status },
          },
        );
      if (approval.expiresAt !== null && Date.parse(approval.expiresAt) <= now.getTime())
        throw new AstraError('ASTRA_STATE_CONFLICT', `approval ${approval.id} expired`, {
          details: { status: 'expired' },
        });
      vote.authorize?.(approval);
      fx.goals.add(approval.goalId);
      const reason = vote.reason ?? null;
      const counted = await recordVote(tx, approval, { ...vote, reason, now });
      if (!counted)
        throw new AstraError(
          'ASTRA_STATE_CONFLICT',
          `${vote.approver} already voted on approval ${approval.id}`,
          {
            details: { reason: 'already_voted', approver: vote.approver },
          },
        );
      const received = approval.approvalsReceived + (vote.decision === 'approve' ? 1 : 0);
      if (vote.decision === 'deny')
        await this.#endApproval(tx, fx, approval, { status: 'denied', received, reason, now });
      else if (received >= approval.requiredApprovals)
        await this.#endApproval(tx, fx, approval, { status: 'approved', received, reason, now });
      else await countApproval(tx, approval.id);
      return (await readApproval(tx, approval.id)) as ApprovalRecord;
    });
  }

  /**
   * Ends pending requests whose expiry passed (the scheduler's sweep): each `expired`, its goal or
   * task failed with "approval expired". One transaction per request; returns how many ended.
   */
  async expireApprovals(limit = 100): Promise<number> {
    let expired = 0;
    for (const id of await expiredApprovals(this.#options.store, this.#now(), limit))
      expired += await this.#run(async (tx, fx) => {
        const now = this.#now();
        const approval = await this.#lockApproval(tx, id);
        if (approval?.status !== 'pending' || approval.expiresAt === null) return 0;
        if (Date.parse(approval.expiresAt) > now.getTime()) return 0;
        fx.goals.add(approval.goalId);
        const outcome = { status: 'expired', received: approval.approvalsReceived, now } as const;
        await this.#endApproval(tx, fx, approval, { ...outcome, reason: 'approval expired' });
        return 1;
      });
    return expired;
  }

  /** The request locked after its subject (goal or task), the order cancellation takes them in. */
  async #lockApproval(tx: SqlExecutor, id: string): Promise<ApprovalRecord | null> {
    const seen = await readApproval(tx, id);
    if (seen === null) return null;
    await lockSubject(tx, seen);
    return readApproval(tx, id, { forUpdate: true });
  }

  async #endApproval(
    tx: SqlExecutor,
    fx: Effects,
    approval: ApprovalRecord,
    outcome: {
      status: 'approved' | 'denied' | 'expired';
      received: number;
      reason: string | null;
      now: Date;
    },
  ): Promise<void> {
    const { now } = outcome;
    await endApproval(tx, approval, outcome);
    const refused =
      outcome.status === 'expired'
        ? 'approval expired'
        : `approval denied${outcome.reason === null ? '' : `: ${outcome.reason}`}`;
    // A running task's wait may name the code its refusal ends it with (sql/approval-waits.ts).
    const error =
      approval.refusalCode === null
        ? refused
        : JSON.stringify({
            code: approval.refusalCode,
            message: `${approval.actionSummary}: ${refused}`,
            details: { approval_id: approval.id, approval_status: outcome.status },
          });
    if (approval.taskId !== null) {
      if (outcome.status === 'approved') {
        const queued = await queueApprovedTask(tx, approval.taskId, approval.id, now);
        if (queued !== null) fx.dispatch.push(queued);
        return;
      }
      const refused = await refuseTask(tx, approval.taskId, { approvalId: approval.id, error, now });
      const below = await endDescendants(tx, refused.ended, now);
      await this.#settle(
        tx,
        fx,
        finished(new Map([...refused.graphUnfinished, ...below.graphUnfinished])),
        now,
      );
      return;
    }
    if (outcome.status === 'approved') await this.#startApproved(tx, fx, approval, now);
    else await this.#failPending(tx, fx, approval.goalId, approval.id, error, now);
  }

  async #failPending(
    tx: SqlExecutor,
    fx: Effects,
    goalId: string,
    approvalId: string | null,
    error: string,
    now: Date,
  ): Promise<void> {
    const failed = await failPendingGoal(tx, goalId, { approvalId, error, now });
    if (failed === null) return;
    const ended = { goalId, agentId: failed.agentId, status: 'failed' as const };
    fx.finishedGoals.push(ended);
    await this.#cascadeGoals(tx, fx, [ended], now);
  }

  /** An approved plan: the graph now, or blocked until its goal dependencies complete, or failed. */
  async #startApproved(tx: SqlExecutor, fx: Effects, approval: ApprovalRecord, now: Date): Promise<void> {
    const goal = await readPendingGoal(tx, approval.goalId);
    if (goal?.status !== 'pending_approval') return;
    const statuses = [...(await goalStatuses(tx, goal.dependsOn)).values()];
    if (statuses.some((s) => s === 'failed' || s === 'cancelled'))
      return this.#failPending(tx, fx, approval.goalId, null, 'a goal it depends on did not complete', now);
    let graphId: string | null = null;
    if (statuses.every((s) => s === 'completed')) {
      const plan = this.validatePlan(goal.plan);
      const rules = rulesFromJson(goal.taskApprovals);
      graphId = await this.#startGoal(tx, fx, approval.goalId, goal.agentId, plan, now, rules);
    } else await blockApprovedGoal(tx, approval.goalId, now);
    await appendGoalEvent(tx, {
      type: 'GoalApproved',
      agentId: goal.agentId,
      goalId: approval.goalId,
      graphId,
      payload: { to: graphId === null ? 'blocked' : 'active', approval_id: approval.id },
      now,
    });
  }

  /** Finalizes finished graphs and their goals, then starts or fails the goals that waited on them. */
  async #settle(tx: SqlExecutor, fx: Effects, graphIds: readonly string[], now: Date): Promise<void> {
    const goals = await finalizeGraphs(tx, graphIds, now);
    fx.finishedGoals.push(...goals);
    await this.#cascadeGoals(tx, fx, goals, now);
  }

  async #cascadeGoals(
    tx: SqlExecutor,
    fx: Effects,
    goals: readonly { goalId: string; status: GoalStatus }[],
    now: Date,
  ): Promise<void> {
    let ended = goals.filter((g) => g.status !== 'completed').map((g) => g.goalId);
    while (ended.length > 0) {
      const failed = await failDependentGoals(tx, ended, now);
      fx.finishedGoals.push(...failed.map((g) => ({ ...g, status: 'failed' as const })));
      ended = failed.map((g) => g.goalId);
    }
    const completed = goals.filter((g) => g.status === 'completed').map((g) => g.goalId);
    if (completed.length === 0) return;
    for (const blocked of await unblockableGoals(tx, completed)) {
      const plan = this.validatePlan(blocked.plan);
      const rules = rulesFromJson(blocked.taskApprovals);
      const graphId = await this.#startGoal(tx, fx, blocked.goalId, blocked.agentId, plan, now, rules);
      await appendGoalEvent(tx, {
        type: 'GoalUnblocked',
        agentId: blocked.agentId,
        goalId: blocked.goalId,
        graphId,
        payload: { to: 'active' },
        now,
      });
    }
  }

  async #run<T>(work: (tx: SqlExecutor, fx: Effects) => Promise<T>): Promise<T> {
    let fx = newEffects();
    const result = await this.#options.store.transaction((tx) => {
      fx = newEffects(); // a retried transaction starts its effects again
      return work(tx, fx);
    });
    await this.#publish(fx);
    return result;
  }

  /** Tells onChanged which goals a committed write changed; its failure cannot undo the write. */
  async #changed(goals: Set<string>): Promise<void> {
    if (goals.size === 0 || this.#options.onChanged === undefined) return;
    try {
      await this.#options.onChanged({ goals });
    } catch (error) {
      this.#options.onError?.(error, 'read cache invalidation after commit');
    }
  }

  /**
   * After-commit effects. `unobserved`: no caller reads what this write changed through the API
   * once it resolves (the executor's own completions), so it resolves without waiting for the read
   * caches to forget it — unless it ended a goal: a goal's end is published only after they did.
   */
  async #publish(fx: Effects, unobserved = false): Promise<void> {
    const { onDue } = this.#options;
    let changed: Promise<void> = Promise.resolve();
    if (this.#options.onChanged !== undefined) {
      for (const d of fx.dispatch) if (d.goalId !== undefined) fx.goals.add(d.goalId);
      for (const g of fx.finishedGoals) fx.goals.add(g.goalId);
      changed = this.#changed(fx.goals);
    }
    if (fx.due.length > 0) onDue?.(fx.due);
    // Ready tasks go out while the caches forget what this write changed (the write resolves once
    // both are done); finished goals only after: whoever hears of one must read it finished.
    const dispatched = this.#send(
      fx.dispatch
        .sort((a, b) => b.priority - a.priority)
        .map((d) => ({
          stream: taskStream(d.shard),
          fields: { task_id: d.taskId, priority: String(d.priority) },
        })),
    );
    if (!unobserved || fx.finishedGoals.length > 0) await changed;
    const { goalLifecycle } = this.#options;
    if (goalLifecycle?.deadLettered !== undefined)
      for (const report of fx.deadLetters) this.#report(() => goalLifecycle.deadLettered?.(report));
    if (goalLifecycle?.ended !== undefined) {
      const nowMs = this.#options.clock.now();
      for (const goal of fx.finishedGoals)
        this.#report(() => goalLifecycle.ended?.(endedReport(goal, nowMs)));
    }
    await Promise.all([
      dispatched,
      this.#send(
        fx.finishedGoals.map((g) => ({
          stream: GOALS_COMPLETED_STREAM,
          fields: { goal_id: g.goalId, agent_id: g.agentId, status: g.status },
        })),
      ),
    ]);
  }

  async #send(messages: { stream: string; fields: Record<string, string> }[]): Promise<void> {
    if (messages.length === 0) return;
    try {
      await this.#options.bus.publishMany(messages);
    } catch (error) {
      this.#options.onError?.(error, 'publish after commit (the recovery sweep publishes these tasks again)');
    }
  }
}

/** How completeAndClaim completes: with eager dispatch, and whether an API caller waits on it. */
export interface CompletionOptions {
  readonly eager?: EagerDispatch;
  /**
   * No API caller observes this write (the executor's own completions): it resolves without
   * waiting for the read caches to forget it, except when it ends a goal. Default false.
   */
  readonly unobserved?: boolean;
}

/**
 * Who may take the children a completion readies, and how many (completeAndClaim): the statement's
 * eager claim (sql/complete-tasks.ts) with the lease given as its length.
 */
export interface EagerDispatch extends Omit<EagerClaim, 'leaseExpiresAt'> {
  readonly leaseMs: number;
}

/** goals.task_approvals back into rules by plan task id. */
function rulesFromJson(value: JsonValue | null): Map<string, ApprovalRule> {
  const rules = new Map<string, ApprovalRule>();
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return rules;
  for (const [name, raw] of Object.entries(value)) {
    const rule = ruleFromJson(raw);
    if (rule !== null) rules.set(name, rule);
  }
  return rules;
}

function finished(unfinished: ReadonlyMap<string, number>): string[] {
  return [...unfinished].filter(([, count]) => count === 0).map(([id]) => id);
}

export type { ApprovalRecord, AttemptFailure, Completion, Deferral, JsonValue, RetryPolicy };
