import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import { deferred } from '../support/waiting.js';
import {
  type AstraNode,
  type CrashCluster,
  crashSkipNote,
  crashSkipReason,
  goalStatus,
  goalTasks,
  startCrashCluster,
  waitUntil,
  workerOf,
} from './crash-harness.js';

/**
 * The effect ledger under kill -9 (docs/tools.md, "The effect ledger"). A real executor process
 * (test/fixtures/astra-with-probe.mjs: `astra` with one more tool, `ledger_probe`) runs a tool task
 * whose side effect is seen from outside: each call POSTs to a loopback server here, which counts
 * the calls. The kill lands at a point the test holds the process at, never by timing:
 *
 * - after the effect, before the completion: when the first call arrives the test locks the task's
 *   row (FOR NO KEY UPDATE: the ledger's writes, on its own table, pass; the completion, an UPDATE
 *   of that row, waits), then answers; once the process is seen waiting on that lock the test kills
 *   it (and its backends, so the completion it sent never lands). Another executor takes the task over. With the ledger (an `idempotent` tool) the server saw
 *   one call and the task's result is the recorded one; the same run with a `read_only` tool, which
 *   the ledger leaves alone, acts twice — so the test can fail.
 * - mid-effect, for an `irreversible` tool: the server never answers the first call; the process
 *   is killed with the ledger row `started`. The executor taking over does not call again: the task
 *   waits for approval; denied, it fails with ASTRA_TOOL_EFFECT_UNCERTAIN, and the server saw one
 *   call; approved, the call runs once more (two calls, the second's result recorded).
 */
const PROBE_BIN = fileURLToPath(new URL('../fixtures/astra-with-probe.mjs', import.meta.url));
/** Only the worker manager's fast path brings the task back (as in executor-kill.test.ts). */
const SLOW_PATHS_OFF = { ASTRA_BUS_MIN_IDLE_MS: '600000', ASTRA_REPUBLISH_AFTER_MS: '600000' };

interface ProbeServer {
  readonly url: string;
  /** The calls received, in order. */
  readonly calls: { task_id: string; attempt: number }[];
  close(): Promise<void>;
}

/** Counts POSTs; `onCall` decides when (and whether) each is answered with `{call, ...body}`. */
async function startProbeServer(
  onCall: (n: number, body: { task_id: string; attempt: number }, answer: () => void) => void,
): Promise<ProbeServer> {
  const calls: { task_id: string; attempt: number }[] = [];
  const held: ServerResponse[] = [];
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let text = '';
    request.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    request.on('end', () => {
      const body = JSON.parse(text) as { task_id: string; attempt: number };
      calls.push(body);
      const n = calls.length;
      held.push(response);
      onCall(n, body, () => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ call: n, attempt: body.attempt }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/effect`,
    calls,
    close: async () => {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.skipIf(crashSkipReason !== null)(`crash: the effect ledger under kill -9${crashSkipNote}`, () => {
  let cluster: CrashCluster | undefined;
  let probe: ProbeServer | undefined;
  /** Ends a test's lock on a task row, should the test fail while holding it. */
  let unlock: (() => void) | undefined;
  afterEach(async () => {
    unlock?.();
    unlock = undefined;
    await probe?.close();
    probe = undefined;
    await cluster?.dispose();
    cluster = undefined;
  });

  async function setUp(sideEffect: string): Promise<{
    c: CrashCluster;
    control: AstraNode;
    victim: AstraNode;
    agentId: string;
  }> {
    const c = await startCrashCluster();
    cluster = c;
    onTestFailed(() => console.error(c.logs()));
    const [control, victim] = await Promise.all([
      c.start('control', ['serve', 'gateway', 'scheduler', 'worker-manager'], SLOW_PATHS_OFF),
      c.start('victim', ['serve', 'executor'], SLOW_PATHS_OFF, { bin: PROBE_BIN }),
    ]);
    const client = c.client(control);
    await client.request('POST', '/tools', {
      body: {
        name: 'ledger_probe',
        version: '1.0.0',
        description: 'POSTs to a loopback server that counts its calls',
        input_schema: {
          type: 'object',
          properties: { url: { type: 'string' } },
          required: ['url'],
          additionalProperties: false,
        },
        risk_tier: 'low',
        sandbox: 'none',
        side_effect: sideEffect,
      },
    });
    const { actor_id: agentId } = await client.createAgent({ name: `ledger-${sideEffect}` });
    return { c, control, victim, agentId };
  }

  const submit = async (c: CrashCluster, control: AstraNode, agentId: string, url: string) => {
    const { goal_id: goalId } = await c.client(control).submitGoal(agentId, {
      goal_text: 'act once',
      plan: {
        tasks: [
          { id: 'act', type: 'tool', payload: { tool: 'ledger_probe', input: { url } }, max_retries: 3 },
        ],
      },
    });
    return goalId;
  };

  const ledgerRows = async (c: CrashCluster, taskId: string) =>
    (
      await c.store.query<{ status: string; attempt: number; runs: number; result: unknown }>(
        `SELECT status, attempt, runs, result FROM tool_effects WHERE task_id = $1`,
        [taskId],
      )
    ).rows;

  /** True once one of the node's sessions waits on a lock. */
  const waitsOnLock = async (c: CrashCluster, node: AstraNode): Promise<boolean> => {
    const { rows } = await c.store.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
      [node.appName],
    );
    return (rows[0]?.n ?? 0) > 0;
  };

  for (const [sideEffect, expectedCalls] of [
    ['idempotent', 1],
    ['read_only', 2],
  ] as const)
    it(`killed between the effect and the completion, a ${sideEffect} tool acts ${expectedCalls === 1 ? 'once' : 'twice'}`, async () => {
      const { c, control, victim, agentId } = await setUp(sideEffect);
      const victimId = await workerOf(c.store, victim);
      const locked = deferred();
      const release = deferred();
      unlock = release.resolve;
      let holding: Promise<void> | undefined;
      probe = await startProbeServer((n, body, answer) => {
        if (n > 1) return answer();
        // Lock the task's row before answering: the completion of this call must wait for it.
        holding = c.store.transaction(async (tx) => {
          await tx.query(`SELECT id FROM tasks WHERE id = $1 FOR NO KEY UPDATE`, [body.task_id]);
          locked.resolve();
          await release.promise;
        });
        void locked.promise.then(answer);
      });
      const goalId = await submit(c, control, agentId, probe.url);
      await locked.promise;
      const [task] = await goalTasks(c.store, goalId);
      const taskId = task?.id as string;
      // The effect happened and its answer was taken (recorded, with the ledger); the completion waits.
      await waitUntil('the victim to wait on the task row', async () => {
        if (!(await waitsOnLock(c, victim))) return false;
        if (sideEffect === 'read_only') return true;
        return (await ledgerRows(c, taskId))[0]?.status === 'succeeded';
      });
      expect(probe.calls).toHaveLength(1);
      // kill -9, and the completion it left waiting dies with it: a backend blocked on a lock does not
      // notice its client is gone, and would commit the dead worker's completion once the lock is free.
      victim.process.child.kill('SIGKILL');
      await victim.exited;
      await c.store.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`,
        [victim.appName],
      );
      await c.kill(victim);
      release.resolve();
      await holding;

      await c.start('survivor', ['serve', 'executor'], SLOW_PATHS_OFF, { bin: PROBE_BIN });
      await waitUntil('the goal to end', async () => (await goalStatus(c.store, goalId)) !== 'active', {
        timeoutMs: 30_000,
      });
      const [done] = await goalTasks(c.store, goalId);
      expect(done).toMatchObject({ status: 'completed', attempt: 2 });
      expect(done?.worker_id).not.toBe(victimId);
      expect(probe.calls).toHaveLength(expectedCalls);
      if (sideEffect === 'read_only') {
        expect(done?.result).toEqual({ call: 2, attempt: 2 });
        expect(await ledgerRows(c, taskId)).toEqual([]);
      } else {
        // The recorded result of the first call, not a second call's.
        expect(done?.result).toEqual({ call: 1, attempt: 1 });
        expect(await ledgerRows(c, taskId)).toEqual([
          { status: 'succeeded', attempt: 1, runs: 1, result: { call: 1, attempt: 1 } },
        ]);
      }
    }, 90_000);

  for (const decision of ['deny', 'approve'] as const)
    it(`killed mid-effect, an irreversible tool does not act again: its task waits for approval, and ${decision === 'deny' ? 'a denial fails it' : 'approved it runs once more'}`, async () => {
      const { c, control, victim, agentId } = await setUp('irreversible');
      const first = deferred();
      // The first call is never answered: the process dies inside it.
      probe = await startProbeServer((n, _body, answer) => (n === 1 ? first.resolve() : answer()));
      const goalId = await submit(c, control, agentId, probe.url);
      await first.promise;
      const [task] = await goalTasks(c.store, goalId);
      const taskId = task?.id as string;
      expect(await ledgerRows(c, taskId)).toEqual([{ status: 'started', attempt: 1, runs: 1, result: null }]);
      await c.kill(victim);

      await c.start('survivor', ['serve', 'executor'], SLOW_PATHS_OFF, { bin: PROBE_BIN });
      const client = c.client(control);
      const pending = await waitUntil('the approval request of the uncertain call', async () => {
        const { approvals } = await client.listPendingApprovals({
          agent_id: agentId,
          request_type: 'risky_task',
        });
        return approvals.find((approval) => approval.task_id === taskId);
      });
      expect((await client.getTask(taskId)).status).toBe('waiting_approval');
      expect(probe.calls).toHaveLength(1);

      await client.decideApproval(pending.id, { decision, reason: 'people decided' });
      await waitUntil('the goal to end', async () => (await goalStatus(c.store, goalId)) !== 'active');
      const [ended] = await goalTasks(c.store, goalId);
      if (decision === 'approve') {
        // Once more, under the approval: the second call is answered and its result is the task's.
        expect(ended).toMatchObject({ status: 'completed', attempt: 3, result: { call: 2, attempt: 3 } });
        expect(probe.calls).toHaveLength(2);
        expect(await ledgerRows(c, taskId)).toEqual([
          { status: 'succeeded', attempt: 3, runs: 2, result: { call: 2, attempt: 3 } },
        ]);
        return;
      }
      expect(ended?.status).toBe('failed');
      const { rows } = await c.store.query<{ error: string }>(`SELECT error FROM tasks WHERE id = $1`, [
        taskId,
      ]);
      expect(JSON.parse(rows[0]?.error ?? 'null')).toMatchObject({
        code: 'ASTRA_TOOL_EFFECT_UNCERTAIN',
        details: { approval_id: pending.id, approval_status: 'denied' },
      });
      expect(probe.calls).toHaveLength(1);
      expect(await ledgerRows(c, taskId)).toEqual([{ status: 'started', attempt: 1, runs: 1, result: null }]);
    }, 90_000);
});
