import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach } from 'vitest';
import { resolveBusOptions } from '../../src/adapters/bus/bus-options.js';
import { MemoryBus } from '../../src/adapters/bus/memory/memory-bus.js';
import { createLruCache } from '../../src/adapters/cache/lru-cache.js';
import { createLexicalEmbedder } from '../../src/adapters/embedder/index.js';
import { createMemoryWorkingMemory } from '../../src/adapters/working-memory/index.js';
import { wireApi } from '../../src/app/api-wiring.js';
import { remoteWorkersOf } from '../../src/app/remote-workers.js';
import { loadConfig } from '../../src/config/index.js';
import { builtInHandlers } from '../../src/kernel/index.js';
import { createTaskKernel, type TaskKernel } from '../../src/kernel/task-kernel.js';
import { createLogger } from '../../src/log/logger.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import type { WorkingMemory } from '../../src/ports/working-memory.js';
import { AccessControl } from '../../src/services/access/access-control.js';
import { AdmissionGate } from '../../src/services/agents/admission-gate.js';
import { type AgentActors, createAgentActors } from '../../src/services/agents/agent-actors.js';
import { createGateway } from '../../src/services/gateway/server.js';
import { Identity } from '../../src/services/identity/identity.js';
import { KeySealer } from '../../src/services/identity/key-sealer.js';
import { accountedEmbedder, SemanticMemory } from '../../src/services/memory/index.js';
import { ReadModel } from '../../src/services/reads/read-model.js';
import { type ToolTaskOptions, Workspaces, withToolTasks } from '../../src/services/tools/index.js';
import { startRemoteWorkerHub } from '../../src/services/workers/remote-types.js';
import { type Clock, ManualClock } from '../../src/time/clock.js';
import { TEST_PASSWORD_COST } from '../support/password-cost.js';
import { createTestPgliteStore, type TestPgliteStore } from '../support/sql.js';
import { openTestToolRuntime } from '../support/tool-runtime.js';

/**
 * A gateway in this process over a given store (each test brings its own database), driven with
 * Fastify's `inject`: the real routes, authentication, error handling and logger, with the clock
 * the test controls and every log line kept in `logs`. Two of these over one Postgres behave as
 * two gateway processes (separate kernels, actors and token caches).
 */
/** One key-encryption key for every gateway of the test process: gateways over one database share it. */
export const TEST_KEY_SEALER = KeySealer.random();
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const ADMIN_EMAIL = 'admin@test.example';
export const ADMIN_PASSWORD = 'admin-password-0123';

export interface TestGateway {
  readonly app: FastifyInstance;
  readonly identity: Identity;
  /** Seals the signing keys in this gateway's database. */
  readonly keySealer: KeySealer;
  readonly kernel: TaskKernel;
  readonly actors: AgentActors;
  /** Semantic memory (offline embedder, exact vectors) and in-process working memory. */
  readonly memory: { readonly semantic: SemanticMemory; readonly working: WorkingMemory };
  /** Every log line written so far, raw JSON. */
  readonly logs: string[];
  call(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function openGateway(
  store: SqlStore,
  clock: Clock,
  options: {
    agentGoalsPerMinute?: number;
    /** The tool runners `POST /execute` finds (default none) and the allow-lists it applies (default none set). */
    tools?: Partial<Pick<ToolTaskOptions, 'runners' | 'allowedTools'>>;
  } = {},
): Promise<TestGateway> {
  const logs: string[] = [];
  const logger = createLogger({ level: 'trace', destination: { write: (line: string) => logs.push(line) } });
  const tools = await openTestToolRuntime({ clock });
  const toolTasks: ToolTaskOptions = {
    store,
    workspaces: new Workspaces(path.join(tools.dir, 'workspaces')),
    allowedTools: options.tools?.allowedTools ?? (async () => null),
    runners: options.tools?.runners ?? new Map(),
    runtime: tools.runtime,
  };
  const reads = new ReadModel({
    store,
    cache: createLruCache({ clock, maxEntries: 1000, defaultTtlMs: 60_000 }),
    ttlMs: 60_000,
  });
  const kernel = createTaskKernel({
    store,
    onChanged: ({ goals }) => reads.forgetGoals(goals),
    bus: new MemoryBus(clock, resolveBusOptions()),
    clock,
    shardCount: 2,
    retry: { baseMs: 5, maxMs: 20 },
    // As a node has: plans may hold tool tasks (this gateway runs none).
    handlers: withToolTasks(builtInHandlers(), toolTasks),
  });
  const actors = createAgentActors({ engine: kernel.engine, clock, mailboxCapacity: 1024 });
  const keySealer = TEST_KEY_SEALER;
  const identity = new Identity({ store, clock, keySealer, passwordCost: TEST_PASSWORD_COST });
  await identity.bootstrap({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  // The access facts are cached as in a node, so every change that must apply at once is seen to.
  const access = new AccessControl({
    store,
    clock,
    onAuditError: () => undefined,
    cache: { cache: createLruCache({ clock, maxEntries: 1000, defaultTtlMs: 60_000 }), ttlMs: 60_000 },
  });
  await access.start();
  const memory = {
    semantic: new SemanticMemory({
      store,
      clock,
      embedder: accountedEmbedder(createLexicalEmbedder(), { interceptors: [], clock }),
    }),
    working: createMemoryWorkingMemory({ ttlMs: 3_600_000, clock }),
  };
  const app = await createGateway({
    logger,
    readiness: [],
    info: { mode: 'test', version: 'test' },
    checkResponses: true,
    api: wireApi(
      {
        store,
        engine: kernel.engine,
        reads,
        actors,
        // Not under test here: a gate that never sheds, however slow the machine.
        admission: new AdmissionGate(clock, { maxWaitMs: 600_000 }),
        identity,
        access,
        clock,
        remoteWorkers: remoteWorkersOf({
          config: loadConfig({ env: {} }).config,
          store,
          kernel,
          hub: startRemoteWorkerHub({ store, clock, refreshMs: null }),
          clock,
          tools: toolTasks,
        }),
        tools: toolTasks,
        memory,
      },
      {
        adminToken: ADMIN_TOKEN,
        corsOrigins: [],
        version: 'test',
        ...(options.agentGoalsPerMinute === undefined
          ? {}
          : { agentGoalsPerMinute: options.agentGoalsPerMinute }),
      },
    ),
  });
  return {
    app,
    identity,
    keySealer,
    kernel,
    actors,
    memory,
    logs,
    call: (method, url, { token, body, headers } = {}) =>
      app.inject({
        method,
        url,
        headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers },
        ...(body === undefined ? {} : { payload: body as object }),
      }),
    close: async () => {
      await app.close();
      await actors.stop();
      await access.close();
      kernel.close();
      await tools.dispose();
    },
  };
}

export interface GatewayPerTest {
  db: TestPgliteStore;
  clock: ManualClock;
  gw: TestGateway;
}

/** A fresh store, manual clock and gateway for each test of the calling describe block, closed after it. */
export function gatewayPerTest(): GatewayPerTest {
  const context = {} as GatewayPerTest;
  beforeEach(async () => {
    context.db = await createTestPgliteStore();
    context.clock = new ManualClock(Date.now());
    context.gw = await openGateway(context.db.store, context.clock);
  });
  afterEach(async () => {
    await context.gw.close();
    await context.db.drop();
  });
  return context;
}
