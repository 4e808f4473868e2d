import {
  type ApprovalRule,
  type ApprovalWait,
  type ClaimedTask,
  type JsonValue,
  readTask,
  type TaskEngine,
} from '../../kernel/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { beginLedgered, finishLedgered, idempotencyKey, ledgered } from './effect-ledger.js';
import { checkAgainst } from './json-schema.js';
import { parseToolRef, type ToolManifest } from './manifest.js';
import {
  isRemoteToolType,
  REMOTE_TOOL_PREFIX,
  type RemoteToolInput,
  registerRemoteTools,
  remoteOrgOf,
} from './remote-tools.js';
import { ToolCallError } from './tool-errors.js';
import { awaitPolicyApproval } from './tool-policy.js';
import { readTool } from './tool-store.js';
import { checkCall, type ToolTaskOptions } from './tool-task.js';

/**
 * Astra's side of a tool call a remote worker makes (remote-tools.ts): the same checks as the
 * `tool` task type, split around the worker's run.
 * - When a worker claims a `tool:<name>` task, before it is handed out: the tool is registered and
 *   served remotely, the agent's allow-list names it, the policies permit it, the input matches its
 *   schema — a refusal fails the task with its structured error and the worker never sees it; a
 *   policy that requires approval makes it wait; the effect ledger answers a call whose success is
 *   recorded (the task completes with that result) or holds an uncertain irreversible one for
 *   approval, else records it `started`.
 * - When the worker completes it: the result must match the output schema (else the task fails
 *   with ASTRA_TOOL_OUTPUT_INVALID) and the ledger records it; a failure the worker says is final
 *   is recorded as such (a retryable one leaves the call `started`, as a crash would).
 */
export interface RemoteToolGate {
  /** Registers the manifests a worker declares (remote-tools.ts); answers the types they give it. */
  register(orgId: string, by: string, tools: readonly RemoteToolInput[]): Promise<string[]>;
  /** Of the tasks a worker just claimed, those it may be handed (remote tool tasks checked). */
  handOut(tasks: readonly ClaimedTask[]): Promise<ClaimedTask[]>;
  /** Checks a remote tool task's result; throws the ToolCallError its task must fail with. */
  completed(taskId: string, result: JsonValue): Promise<void>;
  failed(taskId: string, failure: { readonly error: string; readonly retryable: boolean }): Promise<void>;
}

export interface RemoteToolGateOptions
  extends Pick<ToolTaskOptions, 'store' | 'allowedTools' | 'policy' | 'approvalRule'> {
  readonly engine: Pick<TaskEngine, 'fail' | 'complete' | 'awaitApproval'>;
  readonly clock: Clock;
}

const ONE_APPROVAL: ApprovalRule = { required: 1, approvers: [], ttlMs: null };
const NO_RUNNERS = new Map();
const never = new AbortController().signal;

/** The manifest a remote tool task's payload names, if it is one of the type's tool. */
async function manifestOfTask(
  db: SqlExecutor,
  task: { readonly type: string; readonly payload: JsonValue },
): Promise<ToolManifest | null> {
  const tool = (task.payload as { tool?: unknown } | null)?.tool;
  const ref = typeof tool === 'string' ? parseToolRef(tool) : null;
  if (ref === null || REMOTE_TOOL_PREFIX + ref.name !== task.type) return null;
  return readTool(db, ref.name, ref.version);
}

export function remoteToolGate(options: RemoteToolGateOptions): RemoteToolGate {
  const { store, engine, clock } = options;
  const rule = (agentId: string) => (options.approvalRule ?? (async () => ONE_APPROVAL))(agentId);
  const wait = (task: ClaimedTask, approval: ApprovalWait) =>
    engine.awaitApproval([
      {
        taskId: task.id,
        attempt: task.attempt,
        rule: approval.rule,
        summary: approval.summary,
        refusalCode: approval.refusalCode,
        checkpoint: approval.checkpoint,
      },
    ]);

  /** True when the worker may run the task; otherwise the task was ended, held or answered here. */
  async function prepare(task: ClaimedTask): Promise<boolean> {
    const payload = task.payload as { tool?: unknown; input?: unknown } | null;
    const named = await manifestOfTask(store, task);
    if (named === null || remoteOrgOf(named) === null)
      throw new ToolCallError(
        'ASTRA_TOOL_NOT_FOUND',
        `no remote tool ${String(payload?.tool)} for a ${task.type} task`,
        {
          tool: typeof payload?.tool === 'string' ? payload.tool : null,
        },
      );
    const checked = await checkCall(
      { ...options, runners: NO_RUNNERS },
      {
        tool: payload?.tool as string,
        agentId: task.agentId,
        input: (payload?.input ?? {}) as Record<string, unknown>,
      },
      false,
    );
    const held = await awaitPolicyApproval(store, task, checked, () => rule(task.agentId));
    if (held !== null) {
      await wait(task, held);
      return false;
    }
    const start = await beginLedgered({
      store,
      clock,
      task,
      callIndex: 0,
      manifest: checked.manifest,
      signal: never,
      approvalRule: () => rule(task.agentId),
    });
    if (start.kind === 'answer') {
      await engine.complete([{ taskId: task.id, attempt: task.attempt, result: start.result }]);
      return false;
    }
    if (start.kind === 'wait') {
      await wait(task, start.wait);
      return false;
    }
    return true;
  }

  return {
    register: (orgId, by, tools) => registerRemoteTools(store, { orgId, by, tools }),

    async handOut(tasks) {
      const handed: ClaimedTask[] = [];
      for (const task of tasks) {
        if (!isRemoteToolType(task.type)) {
          handed.push(task);
          continue;
        }
        try {
          if (await prepare(task)) handed.push(task);
        } catch (error) {
          const refused = error instanceof ToolCallError;
          await engine.fail([
            {
              taskId: task.id,
              attempt: task.attempt,
              error: refused ? error.message : `checking the tool call failed: ${(error as Error).message}`,
              retryable: refused ? error.retryable : true,
            },
          ]);
        }
      }
      return handed;
    },

    async completed(taskId, result) {
      const task = await readTask(store, taskId);
      if (task === null || !isRemoteToolType(task.type)) return;
      const manifest = await manifestOfTask(store, task);
      if (manifest === null) return;
      const key = ledgered(manifest.sideEffect) ? idempotencyKey(task.goalId, task.id, 0) : null;
      const issues = manifest.outputSchema === null ? [] : checkAgainst(manifest.outputSchema, result);
      if (issues.length === 0) {
        await finishLedgered(store, clock, key, { ok: true, result });
        return;
      }
      const error = new ToolCallError(
        'ASTRA_TOOL_OUTPUT_INVALID',
        `the result of ${manifest.name}@${manifest.version} does not match its output schema: ${issues
          .map((issue) => `${issue.path || '(the result)'} ${issue.message}`)
          .join('; ')}`,
        { tool: `${manifest.name}@${manifest.version}`, issues },
      );
      await finishLedgered(store, clock, key, { ok: false, error: error.message, definite: true });
      throw error;
    },

    async failed(taskId, failure) {
      const task = await readTask(store, taskId);
      if (task === null || !isRemoteToolType(task.type)) return;
      const manifest = await manifestOfTask(store, task);
      if (manifest === null || !ledgered(manifest.sideEffect)) return;
      await finishLedgered(store, clock, idempotencyKey(task.goalId, task.id, 0), {
        ok: false,
        error: failure.error,
        definite: !failure.retryable,
      });
    },
  };
}
