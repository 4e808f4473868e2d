import { isDeepStrictEqual } from 'node:util';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AstraError, type ErrorDetails } from '../../errors/index.js';
import { type ClaimedTask, isApprovalWait, readTask, type TaskRecord } from '../../kernel/index.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { onBody } from '../access/index.js';
import { defineRoutes, parseInput, principalOf } from '../api/index.js';
import type { Principal } from '../identity/index.js';
import { ExecuteAnswer, ExecutePending } from './api-schemas.js';
import { callArtifacts } from './call-artifacts.js';
import { throughLedger } from './effect-ledger.js';
import { narrowedLimits, parseCallLimits, parseExecuteInput } from './execute-input.js';
import { readTaskApproval } from './execute-store.js';
import type { ToolManifest } from './manifest.js';
import type { ToolRunner } from './tool-call.js';
import { ToolCallError } from './tool-errors.js';
import { checkCall, type ToolTaskOptions } from './tool-task.js';

/**
 * Upstream's tool-runtime call, `POST /execute`, served by the tools service: the named
 * registered tool runs once, as part of the task `task_id` names, through the checks of the
 * `tool` task type (tool-task.ts) — registry, the task's agent's allow-list, the input schema,
 * a runner on this node — and the same approval rule by risk tier. Who may call: whoever may use
 * the task (`agent.use` on it: the task's agent's owners and collaborators, or the agent itself
 * with a service token where the policies allow). `task_id` is required, unlike upstream, which
 * skipped the allow-list without it: a call always has an agent whose allow-list applies, a goal
 * whose workspace it works in, and a task its artifacts belong to.
 *
 * - `input` is base64 of the tool's input as JSON (an object; empty: `{}`); `timeout_seconds`
 *   and `memory_limit` narrow the manifest's wall time and memory (never widen them);
 *   `cpu_limit` and `worker_id` are accepted and checked, not used (limits are the manifest's).
 * - A call that needs approval and is not covered by one is not run: it is held as a goal of one
 *   `tool` task for the same agent, created waiting with its approval request, and answered 202
 *   `{status: "pending_approval", approval_request_id, goal_id, task_id}` (`queued`, without a
 *   request yet, when only a policy holds it: the task asks when it runs); once approved, that
 *   task runs on an executor and its result and artifacts are read as any task's. The task's own
 *   call (the tool and input its payload names), once its approval was granted, is covered; it
 *   runs under the effect ledger as the task's call 0, so it acts once whoever makes it.
 * - `dry_run: true` runs every check and answers what would happen (`approval_required`), without
 *   running, holding or storing anything.
 * - The answer: `output` (base64 of the result's JSON), `exit_code` (the result's own `exit_code`
 *   when it has one, else 0), `duration_ms`, `artifacts` (URIs of what the call stored).
 */
export interface ExecuteApprovals {
  /** Whether this agent's call of this tool waits for approval (the tool task's rule, services/approvals). */
  needed(agentId: string, manifest: ToolManifest): Promise<boolean>;
  /** Holds the call for approval: a goal of one tool task, created waiting with its request. */
  hold(
    principal: Principal,
    agentId: string,
    call: { readonly tool: string; readonly input: Record<string, unknown> },
  ): Promise<{ readonly approvalId: string | null; readonly goalId: string; readonly taskId: string | null }>;
}

export interface ExecuteRoutesOptions {
  readonly store: SqlStore;
  readonly clock: Clock;
  /** The node's runners, runtime, workspaces and allow-lists (read when a request is served). */
  readonly tools: Pick<
    ToolTaskOptions,
    'runners' | 'runtime' | 'workspaces' | 'allowedTools' | 'approvalRule' | 'policy'
  >;
  readonly approvals: ExecuteApprovals;
}

const ExecuteBody = z.object({
  name: z.string().min(1).max(200),
  input: z
    .string()
    .max(16 * 1024 * 1024)
    .optional(),
  timeout_seconds: z.number().int().positive().max(86_400).optional(),
  memory_limit: z.union([z.string().max(32), z.number().int().positive()]).optional(),
  cpu_limit: z.union([z.string().max(32), z.number().positive()]).optional(),
  task_id: z.uuid(),
  worker_id: z.string().max(200).optional(),
  dry_run: z.boolean().optional(),
});

/** A tool refusal as an API error: its code and message, its details flattened to JSON values. */
function apiError(error: unknown): unknown {
  if (!(error instanceof ToolCallError)) return error;
  let message = error.message;
  try {
    message = (JSON.parse(error.message) as { message: string }).message;
  } catch {}
  const details: Record<string, string | number | boolean | null> = {};
  for (const [key, value] of Object.entries(error.details))
    details[key] =
      value === null || ['string', 'number', 'boolean'].includes(typeof value)
        ? (value as string | number | boolean | null)
        : JSON.stringify(value);
  return new AstraError(error.code, message, { details: details as ErrorDetails });
}

/** The task a call runs as, in the shape runners receive (no dependency results: it was not claimed). */
const callingTask = (task: TaskRecord): ClaimedTask => ({
  id: task.id,
  graphId: task.graphId,
  goalId: task.goalId,
  agentId: task.agentId,
  name: task.name,
  type: task.type,
  payload: task.payload,
  dependencies: {},
  attempt: task.attempt,
  retries: task.retries,
  maxRetries: task.maxRetries,
  timeoutMs: task.timeoutMs,
  priority: task.priority,
  checkpoint: null,
});

/** Whether this call is the task's own: a tool task whose payload names this tool and this input. */
function isOwnCall(task: TaskRecord, name: string, input: Record<string, unknown>): boolean {
  const payload = task.payload as { tool?: unknown; input?: unknown } | null;
  const tool = typeof payload?.tool === 'string' ? payload.tool.split('@')[0] : undefined;
  return task.type === 'tool' && tool === name && isDeepStrictEqual(payload?.input ?? {}, input);
}

const exitCodeOf = (result: unknown): number => {
  const code = (result as { exit_code?: unknown } | null)?.exit_code;
  return typeof result === 'object' && Number.isInteger(code) ? (code as number) : 0;
};

export const executeRoutes: FastifyPluginAsync<ExecuteRoutesOptions> = async (app, deps) => {
  const define = defineRoutes(app);
  define(
    {
      method: 'POST',
      path: '/execute',
      operationId: 'executeTool',
      access: { action: 'agent.use', resource: onBody('task', 'task_id') },
      tag: 'tools',
      summary:
        "Run a registered tool once as part of a task (upstream's tool-runtime call): the task's agent's allow-list, the input schema and approvals by risk tier apply; `dry_run` checks only.",
      body: ExecuteBody,
      responses: {
        200: {
          description: '`{output (base64), exit_code, duration_ms, artifacts, tool, task_id, dry_run}`',
          body: ExecuteAnswer,
        },
        202: {
          description: 'The call waits for approval, held as a goal of one tool task.',
          body: ExecutePending,
        },
      },
      errors: {
        400: 'ASTRA_VALIDATION_FAILED (`input` not base64 of a JSON object, a bad limit) or ASTRA_TOOL_INPUT_INVALID',
        403: "ASTRA_TOOL_NOT_ALLOWED (not in the task's agent's allowed_tools) or ASTRA_FORBIDDEN",
        404: 'ASTRA_NOT_FOUND (the task) or ASTRA_TOOL_NOT_FOUND',
        422: 'ASTRA_TOOL_FAILED',
        503: 'ASTRA_TOOL_UNAVAILABLE: no runner for the tool on this node',
      },
    },
    async (request, reply) => {
      const body = parseInput(ExecuteBody, request.body ?? {}, 'body');
      const input = parseExecuteInput(body.input);
      const asked = parseCallLimits(body);
      const task = await readTask(deps.store, body.task_id.toLowerCase());
      if (task === null) throw new AstraError('ASTRA_NOT_FOUND', 'task does not exist');
      const { tools } = deps;
      const checked = await checkCall(
        { ...tools, store: deps.store },
        { tool: body.name, agentId: task.agentId, input },
        !body.dry_run,
      ).catch((error: unknown) => {
        throw apiError(error);
      });
      const { manifest, runner } = checked;
      const tool = `${manifest.name}@${manifest.version}`;
      // The task's own call, once its approval was granted, is not asked again.
      const own = isOwnCall(task, manifest.name, input);
      const needed =
        !(own && (await readTaskApproval(deps.store, task.id))?.status === 'approved') &&
        (checked.approvalPolicies.length > 0 || (await deps.approvals.needed(task.agentId, manifest)));
      const limits = narrowedLimits(manifest.limits, asked);
      if (body.dry_run === true)
        return {
          output: '',
          exit_code: 0,
          duration_ms: 0,
          artifacts: [],
          tool,
          task_id: task.id,
          dry_run: true,
          approval_required: needed,
        };
      if (needed) {
        const held = await deps.approvals.hold(principalOf(request), task.agentId, { tool, input });
        return reply.status(202).send({
          // Queued: the agent's approval settings changed between the check and the submission.
          status: held.approvalId === null ? ('queued' as const) : ('pending_approval' as const),
          approval_request_id: held.approvalId,
          approval_id: held.approvalId,
          goal_id: held.goalId,
          task_id: held.taskId,
          tool,
        });
      }
      if (runner === undefined) throw new Error('checkCall: a runner was required');
      const stop = new AbortController();
      let timedOut = false;
      const onClose = (): void => stop.abort(new Error('the caller went away'));
      reply.raw.once('close', onClose);
      deps.clock.sleep(limits.wallMs, stop.signal).then(
        () => {
          timedOut = true;
          stop.abort(new Error('timed out'));
        },
        () => undefined,
      );
      const artifacts = callArtifacts(
        { store: tools.runtime.artifacts, db: deps.store, clock: deps.clock },
        { taskId: task.id, goalId: task.goalId, agentId: task.agentId },
        tool,
      );
      const started = deps.clock.now();
      let result: Awaited<ReturnType<ToolRunner>>;
      try {
        const claimed = callingTask(task);
        const act = () =>
          runner({
            input,
            manifest: { ...manifest, limits },
            task: claimed,
            workspace: () => tools.workspaces.of(task.goalId),
            runtime: tools.runtime,
            storeArtifact: artifacts.storeArtifact,
            signal: stop.signal,
          });
        // The task's own call is its call 0 in the effect ledger, whoever makes it; other calls have no place there.
        const answer = own
          ? await throughLedger(
              {
                store: deps.store,
                clock: deps.clock,
                task: claimed,
                callIndex: 0,
                manifest,
                signal: stop.signal,
                approvalRule: () =>
                  tools.approvalRule?.(task.agentId) ??
                  Promise.resolve({ required: 1, approvers: [], ttlMs: null }),
              },
              act,
            )
          : await act();
        if (isApprovalWait(answer))
          throw new AstraError(
            'ASTRA_TOOL_EFFECT_UNCERTAIN',
            `${tool}: this task's call may have acted already and never finished; it runs again only as the task, after a new approval`,
            { details: { tool, task_id: task.id } },
          );
        result = answer;
      } catch (error) {
        if (error instanceof AstraError) throw error;
        if (timedOut)
          throw new AstraError('ASTRA_TOOL_FAILED', `${tool}: did not finish within ${limits.wallMs} ms`, {
            details: { tool, wall_ms: limits.wallMs },
          });
        throw apiError(error);
      } finally {
        reply.raw.off('close', onClose);
        if (!timedOut) stop.abort(new Error('done'));
      }
      return {
        output: Buffer.from(JSON.stringify(result), 'utf8').toString('base64'),
        exit_code: exitCodeOf(result),
        duration_ms: Math.max(0, Math.round(deps.clock.now() - started)),
        artifacts: artifacts.stored.map((meta) => meta.uri),
        tool,
        task_id: task.id,
        dry_run: false,
      };
    },
  );
};
