import { afterEach, describe, expect, it } from 'vitest';
import { AstraError, isAstraError } from '../../src/errors/index.js';
import { builtInHandlers, type HandlerRegistry, TaskError } from '../../src/kernel/executor/handlers.js';
import type { TaskInterceptor } from '../../src/kernel/executor/task-interceptor.js';
import { aroundEveryCommand, type EngineInterceptor } from '../../src/kernel/tasks/engine-interceptors.js';
import { replayGraph } from '../../src/kernel/tasks/replay.js';
import { readGraphEvents, readGraphTasks } from '../../src/kernel/tasks/sql/read.js';
import type { JsonValue, TaskRecord } from '../../src/kernel/tasks/types.js';
import { type HarnessOptions, type KernelBackend, type KernelHarness, openKernel } from './harness.js';

/**
 * Data between tasks and interceptors, on both backends: `$from` resolution at claim time, the
 * dependencies' results handed to handlers, refusals at submission, the result limit, and the
 * interceptor chains around handlers and engine commands. Every test runs a real executor.
 */
interface Seen {
  readonly name: string;
  readonly attempt: number;
  readonly payload: JsonValue;
  readonly dependencies: Readonly<Record<string, JsonValue>>;
}

export function describeDataflow(backend: KernelBackend): void {
  let h: KernelHarness | undefined;
  let seen: Seen[];
  afterEach(async () => h?.dispose());

  /** The built-ins plus `capture` (records what it was handed, returns its payload) and `big`. */
  function handlers(): HandlerRegistry {
    seen = [];
    return builtInHandlers()
      .register('capture', async ({ task }) => {
        seen.push({
          name: task.name,
          attempt: task.attempt,
          payload: task.payload,
          dependencies: task.dependencies,
        });
        return task.payload;
      })
      .register('big', async () => ({ body: 'x'.repeat(300 * 1024) }));
  }

  async function open(
    options: Omit<HarnessOptions, 'handlers'> = {},
  ): Promise<{ harness: KernelHarness; agentId: string }> {
    h = await openKernel(backend, { ...options, handlers: handlers() });
    return { harness: h, agentId: await h.createAgent() };
  }

  async function run(
    harness: KernelHarness,
    agentId: string,
    tasks: unknown[],
  ): Promise<Map<string, TaskRecord>> {
    const submitted = await harness.kernel.engine.submitGoal({
      agentId,
      goalText: 'dataflow',
      plan: { tasks },
    });
    await harness.waitForGoal(submitted.goalId);
    const graphId = submitted.graphId as string;
    const rows = await readGraphTasks(harness.store, graphId);
    const replayed = replayGraph(await readGraphEvents(harness.store, graphId));
    for (const row of rows)
      expect(replayed.tasks.get(row.id)).toMatchObject({ status: row.status, result: row.result });
    return new Map(rows.map((row) => [row.name, row]));
  }

  describe('results flowing between tasks', () => {
    it('hands a task its dependencies’ results and resolves whole, pointed and farther-ancestor references', async () => {
      const { harness, agentId } = await open();
      await harness.startExecutor();
      const tasks = await run(harness, agentId, [
        { id: 'fetch', type: 'echo', payload: { status: 200, body: { items: [10, 20] } } },
        { id: 'other', type: 'noop' },
        {
          id: 'parse',
          type: 'capture',
          payload: { raw: { $from: 'fetch' }, second: [{ $from: 'fetch', pointer: '/body/items/1' }] },
          depends_on: ['fetch', 'other'],
        },
        {
          id: 'report',
          type: 'echo',
          payload: {
            second: { $from: 'parse', pointer: '/second/0' },
            status: { $from: 'fetch', pointer: '/status' },
          },
          depends_on: ['parse'],
        },
      ]);
      expect(tasks.get('report')).toMatchObject({ status: 'completed', result: { second: 20, status: 200 } });
      expect(seen).toEqual([
        {
          name: 'parse',
          attempt: 1,
          payload: { raw: { status: 200, body: { items: [10, 20] } }, second: [20] },
          dependencies: { fetch: { status: 200, body: { items: [10, 20] } }, other: null },
        },
      ]);
      // The stored payloads keep their references; only the claimed copy is resolved.
      expect(tasks.get('report')?.payload).toEqual({
        second: { $from: 'parse', pointer: '/second/0' },
        status: { $from: 'fetch', pointer: '/status' },
      });
    });

    it('gives a task without dependencies an empty dependencies record and its payload as stored', async () => {
      const { harness, agentId } = await open();
      await harness.startExecutor();
      await run(harness, agentId, [{ id: 'alone', type: 'capture', payload: { n: 1 } }]);
      expect(seen).toEqual([{ name: 'alone', attempt: 1, payload: { n: 1 }, dependencies: {} }]);
    });

    it('resolves again on a retry: the stored payload keeps its references', async () => {
      const { harness, agentId } = await open();
      await harness.startExecutor();
      // `fail` reads `times` and `message`: unresolved on the retry, `times` would not be a number
      // and the task would fail on every attempt.
      const tasks = await run(harness, agentId, [
        { id: 'config', type: 'echo', payload: { times: 1, message: 'first attempt fails' } },
        {
          id: 'flaky',
          type: 'fail',
          payload: {
            times: { $from: 'config', pointer: '/times' },
            message: { $from: 'config', pointer: '/message' },
          },
          depends_on: ['config'],
          max_retries: 2,
        },
      ]);
      expect(tasks.get('flaky')).toMatchObject({
        status: 'completed',
        attempt: 2,
        result: { failed_attempts: 1 },
        payload: {
          times: { $from: 'config', pointer: '/times' },
          message: { $from: 'config', pointer: '/message' },
        },
      });
      const events = await readGraphEvents(harness.store, tasks.get('flaky')?.graphId as string);
      const failed = events.filter((e) => e.type === 'TaskFailed' && e.taskId === tasks.get('flaky')?.id);
      expect(failed.map((e) => e.payload.error)).toEqual(['first attempt fails']);
    });

    it('fails a task whose pointer does not resolve, without retry, and its dependents after it', async () => {
      const { harness, agentId } = await open();
      await harness.startExecutor();
      const tasks = await run(harness, agentId, [
        { id: 'fetch', type: 'echo', payload: { body: {} } },
        {
          id: 'use',
          type: 'capture',
          payload: { v: { $from: 'fetch', pointer: '/body/missing' } },
          depends_on: ['fetch'],
          max_retries: 3,
        },
        { id: 'after', type: 'noop', depends_on: ['use'] },
      ]);
      expect(tasks.get('use')).toMatchObject({ status: 'dead_letter', attempt: 1 });
      expect(tasks.get('use')?.error).toBe(
        `the payload's references cannot resolve: payload.v: pointer "/body/missing" does not resolve in the result of task "fetch" (nothing at "/body/missing")`,
      );
      expect(tasks.get('after')?.status).toBe('failed');
      expect(seen).toEqual([]);
    });

    it('checks a built-in payload field given by a reference once resolved, failing the task without retry', async () => {
      const { harness, agentId } = await open();
      await harness.startExecutor();
      const tasks = await run(harness, agentId, [
        { id: 'config', type: 'echo', payload: { short: 1, huge: 1e300 } },
        {
          id: 'ok',
          type: 'sleep',
          payload: { ms: { $from: 'config', pointer: '/short' } },
          depends_on: ['config'],
        },
        {
          id: 'bad',
          type: 'sleep',
          payload: { ms: { $from: 'config', pointer: '/huge' } },
          depends_on: ['config'],
          max_retries: 3,
        },
      ]);
      expect(tasks.get('ok')).toMatchObject({ status: 'completed', result: { slept_ms: 1 } });
      expect(tasks.get('bad')).toMatchObject({ status: 'dead_letter', attempt: 1 });
      expect(tasks.get('bad')?.error).toMatch(
        /^the resolved payload is invalid: payload\.ms must be a number from 0 to/,
      );
    });

    it('refuses at submission a reference to a task that is not an ancestor, writing nothing', async () => {
      const { harness, agentId } = await open();
      const error = await harness.kernel.engine
        .submitGoal({
          agentId,
          goalText: 'bad',
          plan: {
            tasks: [
              { id: 'a', type: 'noop' },
              { id: 'b', type: 'echo', payload: { x: { $from: 'a' } } },
            ],
          },
        })
        .catch((e: unknown) => e);
      expect(isAstraError(error, 'ASTRA_PLAN_INVALID')).toBe(true);
      expect((error as AstraError).details).toMatchObject({ path: 'tasks[1].payload.x' });
      const { rows } = await harness.store.query<{ n: number }>('SELECT count(*)::int AS n FROM goals');
      expect(rows[0]?.n).toBe(0);
    });

    it('dead-letters a result over the limit with a message that points to artifacts', async () => {
      const { harness, agentId } = await open();
      await harness.startExecutor();
      const tasks = await run(harness, agentId, [{ id: 'huge', type: 'big', max_retries: 3 }]);
      expect(tasks.get('huge')).toMatchObject({ status: 'dead_letter', attempt: 1, result: null });
      expect(tasks.get('huge')?.error).toMatch(/result limit: store the value as an artifact/);
    });
  });

  describe('interceptors', () => {
    it('run around every handler in order, may answer without it, and see its errors', async () => {
      const log: string[] = [];
      const outer: TaskInterceptor = async (ctx, next) => {
        log.push(`outer>${ctx.task.name}`);
        try {
          const outcome = await next(ctx);
          log.push(`outer<${ctx.task.name}`);
          return outcome;
        } catch (error) {
          log.push(`outer!${ctx.task.name}:${(error as Error).message}`);
          throw error;
        }
      };
      const inner: TaskInterceptor = async (ctx, next) => {
        log.push(`inner>${ctx.task.name}`);
        if (ctx.task.name === 'cached') return { cached: true };
        if (ctx.task.name === 'refused') throw new TaskError('refused by policy', { retryable: false });
        const outcome = await next({ ...ctx, task: { ...ctx.task, payload: { wrapped: ctx.task.payload } } });
        log.push(`inner<${ctx.task.name}`);
        return outcome;
      };
      const { harness, agentId } = await open({ taskInterceptors: [outer, inner] });
      await harness.startExecutor({ concurrency: 1 });
      const tasks = await run(harness, agentId, [
        { id: 'plain', type: 'echo', payload: { v: 1 } },
        { id: 'cached', type: 'fail', depends_on: ['plain'] },
        { id: 'refused', type: 'noop', depends_on: ['cached'], max_retries: 3 },
      ]);
      expect(tasks.get('plain')).toMatchObject({ status: 'completed', result: { wrapped: { v: 1 } } });
      expect(tasks.get('cached')).toMatchObject({
        status: 'completed',
        result: { cached: true },
        attempt: 1,
      });
      expect(tasks.get('refused')).toMatchObject({
        status: 'dead_letter',
        attempt: 1,
        error: 'refused by policy',
      });
      expect(log).toEqual([
        'outer>plain',
        'inner>plain',
        'inner<plain',
        'outer<plain',
        'outer>cached',
        'inner>cached',
        'outer<cached',
        'outer>refused',
        'inner>refused',
        'outer!refused:refused by policy',
      ]);
    });

    it('run around engine commands: typed per command or around all, short-circuiting and passing errors', async () => {
      const commands: string[] = [];
      const tracing = aroundEveryCommand(async (command, input, next) => {
        commands.push(command);
        try {
          return await next(input);
        } catch (error) {
          commands.push(`${command} failed: ${(error as AstraError).code}`);
          throw error;
        }
      });
      const policy: EngineInterceptor = {
        submitGoal: async (input, next) => {
          if (input.goalText === 'forbidden')
            throw new AstraError('ASTRA_FORBIDDEN', 'goals of this text are refused by policy');
          return next({ ...input, goalText: `${input.goalText} (checked)` });
        },
      };
      const { harness, agentId } = await open({ engineInterceptors: [tracing, policy] });
      const refused = await harness.kernel.engine
        .submitGoal({ agentId, goalText: 'forbidden', plan: { tasks: [{ id: 'a', type: 'noop' }] } })
        .catch((e: unknown) => e);
      expect(isAstraError(refused, 'ASTRA_FORBIDDEN')).toBe(true);
      const invalid = await harness.kernel.engine
        .submitGoal({ agentId, goalText: 'bad', plan: { tasks: [] } })
        .catch((e: unknown) => e);
      expect(isAstraError(invalid, 'ASTRA_PLAN_INVALID')).toBe(true);
      const { rows } = await harness.store.query<{ n: number }>('SELECT count(*)::int AS n FROM goals');
      expect(rows[0]?.n).toBe(0);

      await harness.startExecutor();
      const submitted = await harness.kernel.engine.submitGoal({
        agentId,
        goalText: 'fine',
        plan: { tasks: [{ id: 'a', type: 'noop' }] },
      });
      const goal = await harness.waitForGoal(submitted.goalId);
      expect(goal).toMatchObject({ status: 'completed', goalText: 'fine (checked)' });
      expect(commands).toEqual([
        'submitGoal',
        'submitGoal failed: ASTRA_FORBIDDEN',
        'submitGoal',
        'submitGoal failed: ASTRA_PLAN_INVALID',
        'submitGoal',
        'claim',
        'complete',
      ]);
    });
  });
}
