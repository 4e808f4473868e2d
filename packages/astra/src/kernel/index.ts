/**
 * The kernel's public interface: everything a service, the composition root, the CLI or the
 * benchmark may use. Outside `src/kernel/`, imports of the kernel name this file only
 * (tools/check-imports.mjs refuses deeper ones), so the kernel's files — its one-statement SQL,
 * the worker rows, the claim and dispatch paths — can change without touching its users.
 *
 * - the task kernel and its engine commands (submit, cancel, complete, decide approvals);
 * - the roles a node runs: executor, scheduler, worker manager, with their defaults;
 * - task handlers and the interceptors around handlers and engine commands;
 * - read queries (tasks, graphs, goals, events, approvals, stats) and the worker registry;
 * - the row decoders of the kernel's tables (a service reading one of them decodes with these);
 * - the actor runtime; the bus consumer; the kernel's types and stream names.
 */

// The actor runtime and the bus consumer.
export * from './actors/index.js';
export { type Consumer, startConsumer } from './bus-consumer.js';
export {
  BUS_CONSUMER_DEFAULTS,
  type ConsumerErrorContext,
  type ConsumerOptions,
  type ConsumerPhase,
} from './bus-consumer-options.js';
// Data between tasks: artifact references, the JSON Schemas of references for the API
// description (docs/dataflow.md).
export {
  ARTIFACT_URI_PREFIX,
  type ArtifactRef,
  artifactRef,
  isArtifactRef,
} from './dataflow/artifact-ref.js';
export { ARTIFACT_REF_SCHEMA, TASK_REFERENCE_SCHEMA } from './dataflow/schema.js';
// The roles.
export { type Executor, type ExecutorOptions, startExecutor } from './executor/executor.js';
export { EXECUTOR_DEFAULTS } from './executor/executor-defaults.js';
// Task handlers and their interceptors.
export {
  type ApprovalWait,
  awaitApproval,
  builtInHandlers,
  type Deferred,
  HandlerRegistry,
  isApprovalWait,
  isDeferred,
  type TaskContext,
  TaskError,
  type TaskHandler,
  type TaskOutcome,
} from './executor/handlers.js';
export type { PayloadCheck, PayloadIssue } from './executor/payload-checks.js';
export { resultSizeProblem } from './executor/result-limit.js';
export type { TaskInterceptor } from './executor/task-interceptor.js';
// Many callers' small writes as one batch write (the bus consumer's acks, usage rows).
export { GroupCommit, type GroupCommitOptions } from './group-commit.js';
// The one shape of every interceptor chain.
export { chain, type Interceptor, type Next } from './interceptors.js';
// Retention: partitions of events and task_history, archival of finished tasks (docs/retention.md).
export { fileExporter, type PartitionExporter } from './retention/file-archive.js';
export {
  type RetentionLoop,
  type RetentionOptions,
  type RetentionReport,
  runRetentionRound,
  startRetention,
} from './retention/retention.js';
export {
  PARTITION_ARCHIVAL_MODES,
  type PartitionArchivalMode,
  RETENTION_DEFAULTS,
} from './retention/retention-defaults.js';
export { type RelationSize, relationSizes } from './retention/sql/partitions.js';
export {
  type Scheduler,
  type SchedulerOptions,
  type SweepReport,
  startScheduler,
} from './scheduler/scheduler.js';
export { SCHEDULER_DEFAULTS } from './scheduler/scheduler-defaults.js';
// Long synchronous passes cut into slices with pauses for the event loop.
export { finishInSlices, finishNow, ITEMS_PER_SLICE, type SlicedWork } from './sliced-work.js';
// The task kernel and its engine.
export {
  createTaskKernel,
  DEFAULT_RETRY_POLICY,
  type TaskKernel,
  type TaskKernelOptions,
} from './task-kernel.js';
export type {
  AbandonReplanInput,
  ApprovalVote,
  CompletionOptions,
  EagerDispatch,
  EngineOptions,
  GraphPatchInput,
  GraphPatchResult,
  SubmitGoalInput,
  SubmittedGoal,
  TaskEngine,
} from './tasks/engine.js';
export {
  aroundEveryCommand,
  type CancelGoalCommand,
  type CancelTaskCommand,
  type ClaimCommand,
  type CommandInput,
  type CommandName,
  type CommandOutput,
  type EngineCommands,
  type EngineInterceptor,
} from './tasks/engine-interceptors.js';
export type {
  DeadLetterReport,
  GoalEndedReport,
  GoalLifecycleHooks,
  GoalStartedReport,
} from './tasks/goal-lifecycle.js';
export { MAX_PATCH_TASKS } from './tasks/graph-patch.js';
export { diffPlans, type PlanDiff } from './tasks/plan-diff.js';
// The row decoders of the kernel's tables, for services that read those tables.
export { approvalRow, eventRow, goalRow, graphRow, taskRow } from './tasks/rows.js';
export type { ApprovalWaitInput } from './tasks/sql/approval-waits.js';
// Read queries and the worker registry.
export {
  type ApprovalDecision,
  type ApprovalEvent,
  type ApprovalRecord,
  listPendingApprovals,
  readApproval,
  readApprovalEvents,
  readDecisions,
} from './tasks/sql/approvals.js';
export {
  type PlanVersion,
  type PlanVersionSummary,
  readAwaitingReplans,
  readPlanVersion,
  readPlanVersions,
} from './tasks/sql/plan-versions.js';
export {
  ATTACHED_GRAPH,
  type GraphEvent,
  type GraphEventEnds,
  listGoals,
  readAgentEvents,
  readGoal,
  readGoalPlan,
  readGoals,
  readGoalsTasks,
  readGoalTasks,
  readGraph,
  readGraphEventEnds,
  readGraphEvents,
  readGraphsEventEnds,
  readGraphTasks,
  readStats,
  readTask,
} from './tasks/sql/read.js';
// Types and stream names.
export * from './tasks/types.js';
// The whole validation of a declared plan, as the engine runs it (the planner checks models' plans with it).
export { type PlanValidation, validatePlan } from './tasks/validate-plan.js';
export {
  startWorkerManager,
  type WorkerManager,
  type WorkerManagerOptions,
} from './workers/worker-manager.js';
export { defaultCheckEveryMs, WORKER_MANAGER_DEFAULTS } from './workers/worker-manager-defaults.js';
export {
  heartbeat as heartbeatWorker,
  listWorkers,
  registerWorker,
  setWorkerStatus,
  type WorkerRecord,
  type WorkerStatus,
  workerRow,
} from './workers/worker-store.js';
