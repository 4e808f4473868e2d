import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  builtInHandlers,
  type EngineInterceptor,
  isApprovalWait,
  type JsonValue,
  type TaskInterceptor,
} from '../../src/kernel/index.js';
import { readGraphTasks } from '../../src/kernel/tasks/sql/read.js';
import type { TaskRecord } from '../../src/kernel/tasks/types.js';
import {
  DEFAULT_TOOL_LIMITS,
  type EffectRecord,
  effectRow,
  idempotencyKey,
  type SideEffect,
  ToolCallError,
  type ToolManifest,
  type ToolRunner,
  throughLedger,
  Workspaces,
  withToolTasks,
} from '../../src/services/tools/index.js';
import { readTool, registerTool } from '../../src/services/tools/tool-store.js';
import { type KernelHarness, openKernel } from '../kernel/harness.js';
import { openTestToolRuntime, type TestToolRuntime } from '../support/tool-runtime.js';
import { recorder } from '../support/waiting.js';

/**
 * The effect ledger over a real kernel and executor (docs/tools.md): a probe tool counts how often
 * it acts. A completion lost after the tool acted (a task interceptor throws once the handler
 * answered, as a worker dying before its completion is written would) retries the task: the
 * recorded result answers and the probe acts once — while a read_only probe, which the ledger
 * leaves alone, acts twice. A call that started and never finished (the probe throws an error
 * that is not a ToolCallError, as a crash mid-effect leaves it) runs again when idempotent, and
 * when irreversible waits for an approval: approved, it runs once more; denied, the task fails
 * with ASTRA_TOOL_EFFECT_UNCERTAIN.
 */
describe('the effect ledger', () => {
  let h: KernelHarness;
  let tools: TestToolRuntime;
  let agentId: string;
  let acts: number;
  /** How the probe's calls go, in order; past the end, it succeeds. */
  let script: ('crash' | 'refuse' | undefined)[];
  /** The attempts whose completion is lost after the handler answered. */
  let loseCompletionOf: Set<number>;
  /** The expiry of the requests the ledger makes. */
  let ttlMs: number | null;
  const waits = recorder<string>();

  const probe: ToolRunner = async ({ task }) => {
    acts += 1;
    const step = script.shift();
    if (step === 'crash') throw new Error('the worker died mid-effect');
    if (step === 'refuse') throw new ToolCallError('ASTRA_TOOL_FAILED', 'the probe refused');
    return { act: acts, attempt: task.attempt };
  };
  const loseCompletion: TaskInterceptor = async (context, next) => {
    const outcome = await next(context);
    if (loseCompletionOf.has(context.task.attempt)) throw new Error('completion lost');
    return outcome;
  };
  const watchWaits: EngineInterceptor = {
    awaitApproval: async (input, next) => {
      await next(input);
      for (const wait of input) waits.push(wait.taskId);
    },
  };

  beforeEach(async () => {
    acts = 0;
    script = [];
    loseCompletionOf = new Set();
    ttlMs = null;
    waits.items.length = 0;
    tools = await openTestToolRuntime();
    const handlers = builtInHandlers();
    h = await openKernel('embedded', {
      handlers,
      taskInterceptors: [loseCompletion],
      engineInterceptors: [watchWaits],
    });
    // A task making two calls, as a model's tool loop would: each through the ledger by its index.
    handlers.register('two_calls', async ({ task, signal, clock }) => {
      const results: JsonValue[] = [];
      for (const [callIndex, name] of ['probe_idempotent', 'probe_irreversible'].entries()) {
        const manifest = (await readTool(h.store, name, null)) as ToolManifest;
        const outcome = await throughLedger(
          {
            store: h.store,
            clock,
            task,
            callIndex,
            manifest,
            signal,
            approvalRule: async () => ({ required: 1, approvers: [], ttlMs: null }),
          },
          () => probe({ input: {}, manifest, task, signal } as Parameters<ToolRunner>[0]),
        );
        if (isApprovalWait(outcome)) return outcome;
        results.push(outcome);
      }
      return results;
    });
    withToolTasks(handlers, {
      store: h.store,
      workspaces: new Workspaces(tools.dir),
      allowedTools: async () => null,
      runners: new Map([
        ['probe_idempotent', probe],
        ['probe_irreversible', probe],
        ['probe_read', probe],
      ]),
      runtime: tools.runtime,
      approvalRule: async () => ({ required: 1, approvers: [], ttlMs }),
    });
    for (const [name, sideEffect] of [
      ['probe_idempotent', 'idempotent'],
      ['probe_irreversible', 'irreversible'],
      ['probe_read', 'read_only'],
    ] as const)
      await register(name, sideEffect);
    agentId = await h.createAgent();
    await h.startExecutor();
  });
  afterEach(async () => {
    await h.dispose();
    await tools.dispose();
  });

  async function register(name: string, sideEffect: SideEffect): Promise<void> {
    await registerTool(
      h.store,
      {
        name,
        version: '1.0.0',
        description: 'counts its calls',
        inputSchema: { type: 'object' },
        outputSchema: null,
        riskTier: 'low',
        sandbox: 'none',
        egress: [],
        filesystem: 'none',
        limits: DEFAULT_TOOL_LIMITS,
        sideEffect,
        secrets: [],
        metadata: {},
      },
      'test',
    );
  }

  async function submit(tool: string): Promise<{ goalId: string; graphId: string }> {
    const goal = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'act once',
      plan: { tasks: [{ id: 'act', type: 'tool', payload: { tool, input: {} }, max_retries: 2 }] },
    });
    return { goalId: goal.goalId, graphId: goal.graphId as string };
  }
  async function taskOf(graphId: string): Promise<TaskRecord> {
    const [task] = await readGraphTasks(h.store, graphId);
    return task as TaskRecord;
  }
  async function ledgerOf(taskId: string): Promise<EffectRecord[]> {
    const { rows } = await h.store.query(
      `SELECT ${effectRow.columns()} FROM tool_effects WHERE task_id = $1`,
      [taskId],
    );
    return rows.map(effectRow.decode);
  }
  const uncertainApproval = async (taskId: string): Promise<{ id: string; refusal_code: string }> => {
    const { rows } = await h.store.query<{ id: string; refusal_code: string }>(
      `SELECT id::text, refusal_code FROM approvals WHERE task_id = $1 AND status = 'pending'`,
      [taskId],
    );
    expect(rows).toHaveLength(1);
    return rows[0] as { id: string; refusal_code: string };
  };

  it('answers a retried call whose success is recorded with the recorded result, acting once', async () => {
    loseCompletionOf = new Set([1]);
    const { goalId, graphId } = await submit('probe_idempotent');
    await h.waitForGoal(goalId);
    const task = await taskOf(graphId);
    expect(task).toMatchObject({ status: 'completed', attempt: 2, result: { act: 1, attempt: 1 } });
    expect(acts).toBe(1);
    const [entry] = await ledgerOf(task.id);
    expect(entry).toMatchObject({
      idempotencyKey: idempotencyKey(goalId, task.id, 0),
      callIndex: 0,
      toolName: 'probe_idempotent',
      sideEffect: 'idempotent',
      status: 'succeeded',
      attempt: 1,
      runs: 1,
      result: { act: 1, attempt: 1 },
    });
  });

  it('leaves read_only tools alone: the same lost completion acts twice', async () => {
    loseCompletionOf = new Set([1]);
    const { goalId, graphId } = await submit('probe_read');
    await h.waitForGoal(goalId);
    const task = await taskOf(graphId);
    expect(task).toMatchObject({ status: 'completed', attempt: 2, result: { act: 2, attempt: 2 } });
    expect(acts).toBe(2);
    expect(await ledgerOf(task.id)).toEqual([]);
  });

  it('runs an idempotent call that started and never finished again', async () => {
    script = ['crash'];
    const { goalId, graphId } = await submit('probe_idempotent');
    await h.waitForGoal(goalId);
    const task = await taskOf(graphId);
    expect(task).toMatchObject({ status: 'completed', attempt: 2, result: { act: 2, attempt: 2 } });
    expect(await ledgerOf(task.id)).toMatchObject([{ status: 'succeeded', attempt: 2, runs: 2 }]);
  });

  it('records a failure the tool reports, and the task ends with its error', async () => {
    script = ['refuse'];
    const { goalId, graphId } = await submit('probe_irreversible');
    await h.waitForGoal(goalId);
    const task = await taskOf(graphId);
    expect(task.status).toBe('dead_letter');
    expect(JSON.parse(task.error ?? 'null')).toMatchObject({ code: 'ASTRA_TOOL_FAILED' });
    expect(await ledgerOf(task.id)).toMatchObject([{ status: 'failed', runs: 1, result: null }]);
  });

  it('holds an uncertain irreversible call for a new approval; approved, it runs once more', async () => {
    script = ['crash'];
    const { goalId, graphId } = await submit('probe_irreversible');
    await waits.when(1);
    const waiting = await taskOf(graphId);
    expect(waiting).toMatchObject({ status: 'waiting_approval', attempt: 2 });
    expect(acts).toBe(1);
    const approval = await uncertainApproval(waiting.id);
    expect(approval.refusal_code).toBe('ASTRA_TOOL_EFFECT_UNCERTAIN');
    expect(await ledgerOf(waiting.id)).toMatchObject([{ status: 'started', runs: 1, attempt: 1 }]);

    await h.kernel.engine.decideApproval({
      approvalId: approval.id,
      approver: 'admin-token',
      decision: 'approve',
    });
    await h.waitForGoal(goalId);
    const task = await taskOf(graphId);
    expect(task).toMatchObject({ status: 'completed', attempt: 3, result: { act: 2, attempt: 3 } });
    expect(acts).toBe(2);
    expect(await ledgerOf(task.id)).toMatchObject([
      { status: 'succeeded', runs: 2, attempt: 3, approvalId: approval.id },
    ]);
  });

  it('asks again when the approved run dies mid-effect too', async () => {
    script = ['crash', 'crash'];
    const { graphId } = await submit('probe_irreversible');
    await waits.when(1);
    const first = await uncertainApproval((await taskOf(graphId)).id);
    await h.kernel.engine.decideApproval({
      approvalId: first.id,
      approver: 'admin-token',
      decision: 'approve',
    });
    await waits.when(2);
    const task = await taskOf(graphId);
    expect(task.status).toBe('waiting_approval');
    expect(acts).toBe(2);
    expect((await uncertainApproval(task.id)).id).not.toBe(first.id);
    expect(await ledgerOf(task.id)).toMatchObject([{ status: 'started', runs: 2, approvalId: first.id }]);
  });

  it('fails the task with ASTRA_TOOL_EFFECT_UNCERTAIN when the approval is denied, acting once', async () => {
    script = ['crash'];
    const { goalId, graphId } = await submit('probe_irreversible');
    await waits.when(1);
    const approval = await uncertainApproval((await taskOf(graphId)).id);
    await h.kernel.engine.decideApproval({
      approvalId: approval.id,
      approver: 'admin-token',
      decision: 'deny',
      reason: 'it already ran',
    });
    await h.waitForGoal(goalId);
    const task = await taskOf(graphId);
    expect(task.status).toBe('failed');
    const error = JSON.parse(task.error ?? 'null') as { code: string; message: string; details: JsonValue };
    expect(error).toMatchObject({
      code: 'ASTRA_TOOL_EFFECT_UNCERTAIN',
      details: { approval_id: approval.id, approval_status: 'denied' },
    });
    expect(error.message).toContain('probe_irreversible@1.0.0');
    expect(error.message).toContain('approval denied: it already ran');
    expect(acts).toBe(1);
    expect(await ledgerOf(task.id)).toMatchObject([{ status: 'started', runs: 1 }]);
  });

  it('fails the task with ASTRA_TOOL_EFFECT_UNCERTAIN when the approval expires', async () => {
    script = ['crash'];
    ttlMs = 1;
    const { goalId, graphId } = await submit('probe_irreversible');
    await waits.when(1);
    // The scheduler's sweep does this; here the test runs it until the 1 ms request is overdue.
    while ((await h.kernel.engine.expireApprovals()) === 0) await new Promise((r) => setImmediate(r));
    await h.waitForGoal(goalId);
    const task = await taskOf(graphId);
    expect(task.status).toBe('failed');
    expect(JSON.parse(task.error ?? 'null')).toMatchObject({
      code: 'ASTRA_TOOL_EFFECT_UNCERTAIN',
      details: { approval_status: 'expired' },
    });
    expect(acts).toBe(1);
  });

  it('keeps each call of a multi-call task apart: a replayed first call, an uncertain second one', async () => {
    script = [undefined, 'crash']; // call 0 succeeds, call 1 dies mid-effect
    const submitted = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'two calls',
      plan: { tasks: [{ id: 'loop', type: 'two_calls', max_retries: 2 }] },
    });
    await waits.when(1);
    const waiting = await taskOf(submitted.graphId as string);
    expect(waiting.status).toBe('waiting_approval');
    // Call 0 acted once and was answered from the ledger on the retry; call 1 is uncertain.
    expect(acts).toBe(2);
    const approval = await uncertainApproval(waiting.id);
    await h.kernel.engine.decideApproval({
      approvalId: approval.id,
      approver: 'admin-token',
      decision: 'approve',
    });
    await h.waitForGoal(submitted.goalId);
    const task = await taskOf(submitted.graphId as string);
    expect(task).toMatchObject({
      status: 'completed',
      result: [
        { act: 1, attempt: 1 },
        { act: 3, attempt: 3 },
      ],
    });
    expect(acts).toBe(3);
    const rows = (await ledgerOf(task.id)).sort((a, b) => a.callIndex - b.callIndex);
    expect(rows).toMatchObject([
      {
        callIndex: 0,
        idempotencyKey: idempotencyKey(submitted.goalId, task.id, 0),
        status: 'succeeded',
        runs: 1,
      },
      {
        callIndex: 1,
        idempotencyKey: idempotencyKey(submitted.goalId, task.id, 1),
        status: 'succeeded',
        runs: 2,
        approvalId: approval.id,
      },
    ]);
  });

  it('keys each call of a task apart', () => {
    const goal = '00000000-0000-4000-8000-000000000001';
    const task = '00000000-0000-4000-8000-000000000002';
    expect(idempotencyKey(goal, task, 0)).toMatch(/^[0-9a-f]{64}$/);
    expect(idempotencyKey(goal, task, 0)).toBe(idempotencyKey(goal, task, 0));
    expect(idempotencyKey(goal, task, 1)).not.toBe(idempotencyKey(goal, task, 0));
  });
});
