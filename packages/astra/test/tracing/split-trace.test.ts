import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AstraClient } from '@astra/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AstraProcess, goalEnded, runAstra } from '../e2e/astra-process.js';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.js';
import {
  freePort,
  type PrivateServer,
  privateServerAvailable,
  startPrivateServer,
} from '../support/private-server.js';
import { testServices } from '../support/services.js';
import { createTestPostgresStore, type TestPostgresStore } from '../support/sql.js';

/**
 * A goal's trace across processes: `astra serve gateway scheduler worker-manager` and `astra serve
 * executor` on one Postgres database (cloned for this file) and a private Redis, each configured
 * only by the standard OTEL_* variables with its own service name. The gateway's process records the
 * submission; the executor's, which gets the tasks over the Redis bus and the trace context from
 * Postgres, records the task and tool spans under the goal's span and, having ended the goal, the
 * goal's span with the ids the gateway's process stored.
 */
const canRun = testServices().postgresUrl !== null && (await privateServerAvailable('redis'));
const token = 'split-trace-test-token-0123456789abcdef';

describe.skipIf(!canRun)('a goal traced across a gateway process and an executor process', () => {
  let postgres: TestPostgresStore;
  let redis: PrivateServer;
  let receiver: OtlpReceiver;
  let url: string;
  const processes: AstraProcess[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'astra-split-trace-'));

  const stopAll = async (): Promise<void> => {
    for (const astra of processes.splice(0).reverse()) {
      astra.child.kill('SIGTERM');
      await astra.exited;
    }
  };

  beforeAll(async () => {
    [postgres, redis, receiver] = await Promise.all([
      createTestPostgresStore({ maxConnections: 2 }),
      startPrivateServer('redis'),
      startOtlpReceiver(),
    ]);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const env = {
      ASTRA_POSTGRES_URL: postgres.url,
      ASTRA_REDIS_URL: redis.address,
      ASTRA_ADMIN_TOKEN: token,
      ASTRA_PORT: String(port),
      ASTRA_DATA_DIR: dir,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    };
    const serve = (roles: string[], service: string): AstraProcess => {
      const astra = runAstra(['serve', ...roles, '--log-level', 'warn'], {
        ...env,
        OTEL_SERVICE_NAME: service,
      });
      processes.push(astra);
      return astra;
    };
    // The gateway's process migrates first; the executor's starts on the migrated database.
    await serve(['gateway', 'scheduler', 'worker-manager'], 'astra-gateway').waitForLine(
      /ready \(single-node\)/,
    );
    await serve(['executor'], 'astra-executor').waitForLine(/ready \(single-node\)/);
  }, 120_000);

  afterAll(async () => {
    await stopAll();
    await Promise.all([redis?.stop(), postgres?.drop(), receiver?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("continues the goal's trace in the executor's process", async () => {
    const client = new AstraClient({ baseUrl: url, token });
    const { actor_id: agentId } = await client.createAgent({ name: 'split-traced' });
    await client.updateAgentPlatform(agentId, { allowed_tools: ['js_eval'] });
    const submitted = await client.submitGoal(agentId, {
      goal_text: 'echo, then compute',
      plan: {
        tasks: [
          { id: 'say', type: 'echo', payload: { said: 'hi' }, depends_on: [] },
          {
            id: 'compute',
            type: 'tool',
            payload: { tool: 'js_eval', input: { code: '6 * 7' } },
            depends_on: ['say'],
          },
        ],
      },
    });
    expect(await goalEnded(client, submitted.goal_id)).toBe('GoalCompleted');
    // SIGTERM stops each node, which exports the spans it still holds.
    await stopAll();

    const service = (span: ReceivedSpan): unknown => span.resource['service.name'];
    const goals = receiver.spans.filter(
      (span) => span.name === 'goal' && span.attributes['astra.goal.id'] === submitted.goal_id,
    );
    expect(goals).toHaveLength(1);
    const goal = goals[0] as ReceivedSpan;
    expect(service(goal)).toBe('astra-executor');
    expect(goal.parentSpanId).toBe('');
    const trace = receiver.spans.filter((span) => span.traceId === goal.traceId);
    const named = (name: string): ReceivedSpan[] => trace.filter((span) => span.name === name);

    const [submit] = named('goal submit');
    expect(service(submit as ReceivedSpan)).toBe('astra-gateway');
    expect(submit?.parentSpanId).toBe(goal.spanId);

    const tasks = [...named('task echo'), ...named('task tool')];
    expect(tasks.map((span) => span.attributes['astra.task.name']).sort()).toEqual(['compute', 'say']);
    for (const task of tasks) {
      expect(service(task)).toBe('astra-executor');
      expect(task.parentSpanId).toBe(goal.spanId);
      expect(task.attributes['astra.task.outcome']).toBe('completed');
    }
    const [run] = named('tool js_eval');
    expect(run?.parentSpanId).toBe(named('task tool')[0]?.spanId);
    expect(receiver.refused).toEqual([]);
  }, 60_000);
});
