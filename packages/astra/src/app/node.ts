import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { migrate } from '../adapters/sql/migrate.js';
import type { AstraConfig, SecretEnvEntry } from '../config/index.js';
import { AstraError } from '../errors/index.js';
import {
  builtInHandlers,
  createTaskKernel,
  type EngineInterceptor,
  type Executor,
  type HandlerRegistry,
  type Scheduler,
  startExecutor,
  startScheduler,
  startWorkerManager,
  type TaskInterceptor,
  type TaskKernel,
  type WorkerManager,
} from '../kernel/index.js';
import type { Logger } from '../log/logger.js';
import type { RecentLines } from '../log/recent-lines.js';
import { AccessControl } from '../services/access/access-control.js';
import { AdmissionGate } from '../services/agents/admission-gate.js';
import { type AgentActors, createAgentActors } from '../services/agents/agent-actors.js';
import { activeAgentIds, readAgent, readProfile } from '../services/agents/agent-store.js';
import { type ApprovalSettings, approvalRuleFor } from '../services/approvals/index.js';
import type { EndedChat } from '../services/chat/index.js';
import { evaluationInterceptor, evaluationPlanInterceptor } from '../services/evaluation/index.js';
import { CircuitBreaker } from '../services/gateway/circuit-breaker.js';
import { guardStore } from '../services/gateway/guarded-store.js';
import { LoopDelay } from '../services/gateway/loop-delay.js';
import { createGateway } from '../services/gateway/server.js';
import { Identity } from '../services/identity/identity.js';
import { withLlmTasks } from '../services/llm-tasks/index.js';
import {
  createEpisodeRecorder,
  type EpisodeRecorder,
  startMemoryJanitor,
  withMemoryTasks,
} from '../services/memory/index.js';
import { createReplanner, startReplanSweeps, withPlanTasks } from '../services/planner/index.js';
import { assembleContext, PromptLibrary } from '../services/prompts/index.js';
import { ReadModel } from '../services/reads/read-model.js';
import {
  startArtifactRetention,
  type ToolRunner,
  Workspaces,
  withToolTasks,
} from '../services/tools/index.js';
import { startRemoteWorkerHub } from '../services/workers/remote-types.js';
import type { Clock } from '../time/clock.js';
import { writeAdminPassword } from './admin-password.js';
import { wireApi } from './api-wiring.js';
import { type Backends, openBackends, type RunMode } from './backends.js';
import { goalLogs, replanLog } from './goal-logs.js';
import { loadKeySealer } from './key-encryption-key.js';
import { listenError } from './listen-error.js';
import type { OpenedLlmProviders } from './llm-providers.js';
import { type LlmRuntime, openLlmRuntime } from './llm-runtime.js';
import { openMcp } from './mcp-wiring.js';
import { type MemoryRuntime, openMemoryRuntime } from './memory-runtime.js';
import { openNodeMetrics } from './node-metrics.js';
import { remoteWorkersOf } from './remote-workers.js';
import { startNodeRetention } from './retention-wiring.js';
import { ROLES, type Role } from './roles.js';
import { toolPolicyOf } from './tool-policy.js';
import { openToolRuntime } from './tool-runtime.js';
import { allGoalHooks, openTracing } from './tracing.js';
import { ASTRA_VERSION } from './version.js';

/**
 * A node: one process running some or all of Astra's roles over one set of backends.
 *
 * Roles: `gateway` (HTTP API, agent actors), `scheduler` (shard leases, recovery sweeps),
 * `executor` (runs tasks), `worker-manager` (failure detection), `browser` (an executor that also
 * has the browser tools' runners, docs/browser.md). `astra up` runs them all (the browser role when
 * Chromium is present);
 * `astra serve <roles…>` runs a subset, so several processes share one Postgres + Redis.
 * Stop order: the gateway stops taking requests, actors stop, the executor drains, then the
 * scheduler and worker manager stop and the backends close.
 */
export { ASTRA_VERSION, ROLES, type Role };

export interface RunningNode {
  readonly url: string | null;
  readonly mode: RunMode;
  readonly roles: readonly Role[];
  readonly backends: Backends;
  readonly kernel: TaskKernel;
  readonly workerId: string | null;
  /** The LLM router every model call of this node goes through (llm-runtime.ts). */
  readonly llm: LlmRuntime['router'];
  /** Semantic and working memory (memory-runtime.ts). */
  readonly memory: MemoryRuntime;
  /** Where `/metrics` is served on a port of its own (ASTRA_METRICS_PORT); null: none. */
  readonly metricsUrl: string | null;
  /** Episodic memory's recorder: a chat session's end is handed to `chatEnded` (docs/memory.md). */
  readonly episodes: EpisodeRecorder;
  stop(): Promise<void>;
}

export interface NodeDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** The ring `logger` also writes to (createLogger's `recent`), served at GET /logs/recent; default none. */
  readonly recentLogs?: RecentLines;
  /** Default: every role. */
  readonly roles?: readonly Role[];
  /** Required when the gateway role runs. */
  readonly adminToken?: string;
  /** Handlers beyond the built-ins' registry (default: the built-ins). */
  readonly handlers?: HandlerRegistry;
  /**
   * Cross-cutting concerns (tool policy, ledger, limits, audit, tracing): around the engine's
   * commands and around every task handler this node's executor runs, the first outermost.
   */
  readonly interceptors?: {
    readonly engine?: readonly EngineInterceptor[];
    readonly task?: readonly TaskInterceptor[];
  };
  /** Tool runners beyond the node's own, by tool name (a test's probe tools); default none. */
  readonly toolRunners?: ReadonlyMap<string, ToolRunner>;
  /** `ASTRA_SECRET_<NAME>[_FILE]` entries from the environment, for the env secret store. */
  readonly secretEnv?: readonly SecretEnvEntry[];
  /** LLM providers opened already (`astra up` prints them first); default: found from the config. */
  readonly llmProviders?: OpenedLlmProviders;
  /** Called with each migration file as it is applied, for progress output. */
  readonly onMigration?: (name: string) => void;
  /**
   * Called once, on the first start, when the super-admin was created with a generated password,
   * with the 0600 file in the data dir that holds it.
   */
  readonly onAdminCreated?: (email: string, passwordFile: string) => void;
  /** scrypt's N for new password hashes (Identity's `passwordCost`); default the production cost. A test seam. */
  readonly passwordCost?: number;
}

export async function startNode(config: AstraConfig, deps: NodeDeps): Promise<RunningNode> {
  const roles = deps.roles ?? ROLES;
  const outside = config.executorShards?.filter((shard) => shard >= config.taskShardCount) ?? [];
  if (outside.length > 0)
    throw new AstraError(
      'ASTRA_CONFIG_INVALID',
      `executorShards names shard ${outside.join(', ')}, but ASTRA_TASK_SHARD_COUNT is ${config.taskShardCount}`,
    );
  const has = (role: Role): boolean => roles.includes(role);
  const metrics = openNodeMetrics(config, deps.clock);
  const opened = await openBackends(config, deps);
  const backends = metrics?.meterBackends(opened) ?? opened;
  const log = deps.logger;
  const onError = (error: unknown, context: string): void => log.warn({ err: error }, context);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => onError(error, 'stop failed'));
  };
  let kernel: TaskKernel | undefined;
  try {
    await migrate(backends.store, deps.onMigration === undefined ? {} : { onProgress: deps.onMigration });
    const reads = new ReadModel({
      store: backends.store,
      cache: backends.cache,
      ttlMs: config.cacheTtlMs,
      onError,
    });
    // Off unless an OTLP endpoint is configured (docs/tracing.md); closed before the store.
    const tracing = await openTracing(config, { db: backends.store, version: ASTRA_VERSION, onError });
    const tools = await openToolRuntime(config, {
      clock: deps.clock,
      logger: log,
      secretEnv: deps.secretEnv ?? [],
      store: backends.store,
      browser: has('browser'),
      ...(tracing === null ? {} : { egressSink: tracing.tools.egressSink }),
      ...(metrics === null ? {} : { metrics: metrics.tools }),
    });
    stops.push(() => tools.close());
    const llm = await openLlmRuntime(config, {
      clock: deps.clock,
      logger: log,
      store: backends.store,
      bus: backends.bus,
      cache: backends.cache,
      ...(deps.llmProviders === undefined ? {} : { providers: deps.llmProviders }),
      agentModel: async (agentId) => {
        const model = (await readAgent(backends.store, agentId))?.config.llm;
        return typeof model === 'string' && model.length > 0 ? model : null;
      },
      consume: has('executor'),
      ...(metrics === null ? {} : { attemptMetrics: metrics.llmAttempts }),
      consumer: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      ...(tracing === null ? {} : { attemptInterceptors: (priceOf) => [tracing.llmAttempts(priceOf)] }),
    });
    stops.push(() => llm.close());
    const memory = await openMemoryRuntime(config, {
      mode: backends.mode,
      store: backends.store,
      clock: deps.clock,
      logger: log,
      interceptors: llm.attemptInterceptors,
      llm: llm.found.length === 0 ? null : llm.router,
    });
    stops.push(() => memory.close());
    const approvalSettings: ApprovalSettings = {
      riskyTaskTypes: config.riskyTaskTypes,
      ttlSeconds: config.approvalTtlSeconds,
      riskTier: config.approvalRiskTier === 'none' ? null : config.approvalRiskTier,
    };
    // Remote workers' types and claim wake-ups (docs/workers.md); reread where plans are admitted.
    const remote = startRemoteWorkerHub({
      store: backends.store,
      clock: deps.clock,
      ...(has('gateway') ? {} : { refreshMs: null }),
      onError,
    });
    stops.push(() => remote.stop());
    const mcp = openMcp(config, {
      store: backends.store,
      secrets: tools.runtime.secrets,
      logger: log,
      version: ASTRA_VERSION,
    });
    stops.push(() => mcp.close());
    // What requests read and write (credentials, access facts, the API's own statements) goes
    // through a breaker: a dead database costs callers a fast 503, not a connect timeout each.
    const sqlBreaker = new CircuitBreaker(
      'sql',
      {
        threshold: config.breakerThreshold,
        windowMs: config.breakerWindowMs,
        cooldownMs: config.breakerCooldownMs,
      },
      deps.clock,
    );
    const requestStore = guardStore(backends.store, sqlBreaker);
    // Who may do what: the API's requests, and the policies on tool calls (docs/tools.md) wherever
    // tasks run, so an activated policy set holds for both at once.
    const access = new AccessControl({
      store: requestStore,
      clock: deps.clock,
      onAuditError: (error) => log.error({ err: error }, 'could not write access decisions'),
      cache: { cache: backends.cache, ttlMs: config.cacheTtlMs, onError },
    });
    await access.start();
    const traced = (runners: ReadonlyMap<string, ToolRunner>): ReadonlyMap<string, ToolRunner> =>
      tracing === null ? runners : tracing.tools.runners(runners);
    const toolTasks = {
      store: backends.store,
      workspaces: new Workspaces(config.workspaceRoot ?? path.join(config.dataDir, 'workspaces')),
      allowedTools: async (agentId: string) =>
        (await readProfile(backends.store, agentId))?.allowedTools ?? null,
      runners: traced(
        mcp.runners(
          deps.toolRunners === undefined ? tools.runners : new Map([...tools.runners, ...deps.toolRunners]),
        ),
      ),
      codeRunners: tracing === null ? tools.codeRunners : tracing.tools.codeRunners(tools.codeRunners),
      runtime: tools.runtime,
      policy: toolPolicyOf(access),
      approvalRule: async (agentId: string) =>
        approvalRuleFor((await readProfile(backends.store, agentId)) ?? { config: {} }, approvalSettings),
    };
    // The `plan` task type: goals given only in words are planned through the router (docs/planner.md).
    const handlers = withToolTasks(deps.handlers ?? builtInHandlers(), toolTasks);
    withPlanTasks(handlers, {
      store: backends.store,
      llm: llm.router,
      extendGraph: (patch) => kernelNow.engine.extendGraph(patch),
      validatePlan: (raw) => kernelNow.engine.validatePlan(raw),
      taskTypes: () => handlers.types(),
      approvals: approvalSettings,
      memories: memory.recall,
    });
    // The re-planner: a dead letter of a `replan` goal is re-planned through the router, here
    // whichever role committed it; the scheduler role also sweeps for those whose report was lost.
    const replanner = createReplanner({
      store: backends.store,
      llm: llm.router,
      extendGraph: (patch) => kernelNow.engine.extendGraph(patch),
      abandonReplan: (input) => kernelNow.engine.abandonReplan(input),
      validatePlan: (raw) => kernelNow.engine.validatePlan(raw),
      taskTypes: () => handlers.types(),
      approvals: approvalSettings,
      memories: memory.recall,
      onOutcome: (outcome) => replanLog(log, outcome),
      onError,
    });
    // Episodic memory and reflect (docs/memory.md): ended goals are batched into background
    // `memory_episode` tasks; `reflect` writes facts to semantic memory.
    const episodes = createEpisodeRecorder({
      store: backends.store,
      submit: (input) => kernelNow.engine.submitGoal(input),
      clock: deps.clock,
      onError,
    });
    withMemoryTasks(handlers, {
      store: backends.store,
      clock: deps.clock,
      llm: llm.router,
      orgOf: async (agentId) => (await readAgent(backends.store, agentId))?.orgId ?? null,
      memory: memory.semantic,
    });
    const kernelNow = createTaskKernel({
      store: backends.store,
      bus: backends.bus,
      clock: deps.clock,
      shardCount: config.taskShardCount,
      retry: { baseMs: config.retryBaseMs, maxMs: config.retryMaxMs },
      handlers: withLlmTasks(handlers, {
        llm: llm.router,
        orgOf: async (agentId) => (await readAgent(backends.store, agentId))?.orgId ?? null,
        context: async (agentId, goalId) =>
          (
            await assembleContext({
              store: backends.store,
              agentId,
              goalId,
              tokenBudget: config.llmContextTokens,
              memories: memory.recall,
            })
          ).system,
        workspaces: toolTasks.workspaces,
        artifacts: { store: tools.runtime.artifacts, db: backends.store, clock: deps.clock },
        prompts: {
          db: backends.store,
          library: new PromptLibrary({ store: backends.store, cache: backends.cache }),
        },
      }),
      // Tasks' `evaluate` specs leave the plan here, checked, and are stored with the goal (docs/evaluation.md).
      interceptors: [
        ...(metrics === null ? [] : [metrics.engineInterceptor]),
        ...(tracing?.engine ?? []),
        ...(deps.interceptors?.engine ?? []),
        evaluationPlanInterceptor(backends.store),
      ],
      onError,
      remoteTypes: () => remote.types(),
      onChanged: ({ goals }) => {
        remote.wake();
        return reads.forgetGoals(goals);
      },
      goalLifecycle: allGoalHooks(
        { ...goalLogs(log), deadLettered: (report) => replanner.deadLettered(report) },
        config.memoryEpisodes ? { ended: (report) => episodes.goalEnded(report) } : {},
        ...(tracing === null ? [] : [tracing.goalHooks]),
        ...(metrics === null ? [] : [metrics.goalHooks]),
      ),
    });
    kernel = kernelNow;
    stops.push(async () => {
      kernelNow.close();
      await backends.close();
    });
    // After the executor has stopped, before the store closes: the last goal spans read it.
    if (tracing !== null) stops.push(() => tracing.close());
    // Before the store closes: the egress log writes its last records (closing twice is harmless),
    // and so do the tool calls' decisions and the LLM usage consumer.
    stops.push(() => tools.close());
    stops.push(() => access.close());
    stops.push(() => llm.close());
    // First of these to stop: a re-plan under way is cut short (its dead letter keeps waiting).
    stops.push(() => replanner.close());
    // Before the kernel closes: ended goals still waiting are submitted (their episodes run later).
    stops.push(() => episodes.close());
    let manager: WorkerManager | undefined;
    if (has('worker-manager')) {
      manager = startWorkerManager({
        store: backends.store,
        engine: kernelNow.engine,
        clock: deps.clock,
        deadlineMs: config.workerDeadlineMs,
        onError,
        onWorkersLost: (ids, counts) => {
          metrics?.workers.lost(ids.length, counts.released);
          log.warn({ workers: ids, ...counts }, 'workers lost; their tasks were released and republished');
        },
      });
      const running = manager;
      stops.push(() => running.stop());
    }
    let scheduler: Scheduler | undefined;
    if (has('scheduler')) {
      scheduler = startScheduler({
        store: backends.store,
        bus: backends.bus,
        engine: kernelNow.engine,
        clock: deps.clock,
        owner: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
        sweepMs: config.schedulerSweepMs,
        republishAfterMs: config.republishAfterMs,
        onError,
      });
      const running = scheduler;
      stops.push(() => running.stop());
      const partitions = startNodeRetention(
        {
          store: backends.store,
          clock: deps.clock,
          isLeader: () => running.shards().includes(0),
          forgetGoals: (goals) => reads.forgetGoals(goals),
          onError,
        },
        config,
      );
      stops.push(() => partitions.stop());
      const retention = startArtifactRetention(
        { store: tools.runtime.artifacts, db: backends.store, clock: deps.clock },
        { everyMs: config.artifactsSweepMs, onError },
      );
      stops.push(() => retention.stop());
      // The memory janitor: a round per period submits one memory_janitor task per agent with work.
      if (config.memoryJanitorEveryMs > 0) {
        const janitor = startMemoryJanitor({
          store: backends.store,
          submit: (input) => kernelNow.engine.submitGoal(input),
          clock: deps.clock,
          everyMs: config.memoryJanitorEveryMs,
          onError,
        });
        stops.push(() => janitor.stop());
      }
      const replans = startReplanSweeps(
        { store: backends.store, replanner, clock: deps.clock },
        { everyMs: config.replanSweepMs, onError },
      );
      stops.push(() => replans.stop());
    }
    let executor: Executor | undefined;
    if (has('executor') || has('browser')) {
      executor = await startExecutor({
        store: backends.store,
        bus: backends.bus,
        engine: kernelNow.engine,
        handlers: kernelNow.handlers,
        clock: deps.clock,
        workerId: randomUUID(),
        concurrency: config.executorConcurrency,
        ...(config.executorShards === undefined ? {} : { shards: config.executorShards }),
        heartbeatMs: config.workerHeartbeatMs,
        leaseMs: config.taskLeaseMs,
        reclaimIdleMs: config.busMinIdleMs,
        drainTimeoutMs: config.shutdownTimeoutMs,
        // Innermost: a task's result is evaluated before the executor completes it (docs/evaluation.md).
        interceptors: [
          ...(metrics === null ? [] : [metrics.taskInterceptor]),
          ...(tracing === null ? [] : [tracing.task]),
          ...(deps.interceptors?.task ?? []),
          evaluationInterceptor({
            store: backends.store,
            bus: backends.bus,
            clock: deps.clock,
            llm: llm.router,
            sandbox: tools.processSandbox,
            orgOf: async (agentId) => (await readAgent(backends.store, agentId))?.orgId ?? null,
            onError,
          }),
        ],
        ...(metrics === null ? {} : { onHeartbeat: metrics.workers.heartbeat }),
        onError,
      });
      const running = executor;
      stops.push(() => running.stop());
    }
    let gateway: FastifyInstance | undefined;
    let url: string | null = null;
    let agentActors: AgentActors | undefined;
    if (has('gateway')) {
      if (deps.adminToken === undefined) throw new Error('the gateway role needs an admin token');
      const loopDelay = new LoopDelay();
      stops.push(async () => loopDelay.stop());
      const admission = new AdmissionGate(deps.clock, {
        loopDelayMs: () => loopDelay.recentMaxMs(),
        concurrency: config.admissionConcurrency,
        maxWaitMs: config.admissionMaxWaitMs,
      });
      const actors: AgentActors = createAgentActors({
        engine: kernelNow.engine,
        clock: deps.clock,
        mailboxCapacity: config.mailboxCapacity,
      });
      for (const agentId of await activeAgentIds(backends.store)) actors.ensure(agentId);
      agentActors = actors;
      const identity = new Identity({
        store: requestStore,
        clock: deps.clock,
        keySealer: await loadKeySealer(config),
        refreshTtlMs: config.refreshTokenTtlMs,
        ...(deps.passwordCost === undefined ? {} : { passwordCost: deps.passwordCost }),
      });
      const created = await identity.bootstrap({
        email: config.adminEmail,
        password: config.adminPassword?.reveal(),
      });
      if (created.generatedPassword !== undefined)
        deps.onAdminCreated?.(
          config.adminEmail,
          await writeAdminPassword(config.dataDir, created.generatedPassword),
        );
      stops.push(() => actors.stop());
      gateway = await createGateway({
        logger: log,
        clock: deps.clock,
        readiness: backends.readiness,
        breakers: [sqlBreaker],
        bodyLimitBytes: config.bodyLimitBytes,
        maxHeaderBytes: config.maxHeaderBytes,
        timeouts: {
          headersTimeoutMs: config.headersTimeoutMs,
          requestTimeoutMs: config.requestTimeoutMs,
          keepAliveTimeoutMs: config.keepAliveTimeoutMs,
        },
        checkResponses: config.checkResponses,
        plugins: [
          ...(metrics === null ? [] : [metrics.httpPlugin]),
          ...(tracing === null ? [] : [tracing.httpPlugin]),
        ],
        info: { mode: backends.mode, version: ASTRA_VERSION },
        api: wireApi(
          {
            store: requestStore,
            engine: kernelNow.engine,
            reads,
            cache: backends.cache,
            actors,
            admission,
            identity,
            access,
            clock: deps.clock,
            remoteWorkers: remoteWorkersOf({
              config,
              store: requestStore,
              kernel: kernelNow,
              hub: remote,
              clock: deps.clock,
              tools: toolTasks,
            }),
            routes: mcp.routes(requestStore),
            tools: toolTasks,
            llm: llm.router,
            chat: {
              llm: llm.router,
              memories: memory.recall,
              // A closed session becomes an episode (a background task; a failed submission is
              // logged, never the close's error).
              ...(config.memoryEpisodes
                ? {
                    onClosed: async ({ session, messages }: EndedChat) => {
                      await episodes
                        .chatEnded(session.agentId, {
                          sessionId: session.id,
                          title: session.title,
                          messages,
                          startedAt: session.createdAt,
                          endedAt: session.updatedAt,
                        })
                        .catch((error: unknown) =>
                          deps.logger.warn(
                            { err: error, sessionId: session.id },
                            'chat episode not submitted',
                          ),
                        );
                    },
                  }
                : {}),
              settings: {
                ratePerMinute: config.chatRateLimit,
                tokenCap: config.chatTokenCap,
                maxMessageLength: config.chatMaxMessageLength,
                historyMessages: config.chatHistoryMessages,
                historyTokens: config.chatHistoryTokens,
                maxSteps: config.chatMaxSteps,
                contextTokens: config.llmContextTokens,
              },
            },
            ...(metrics?.servesApi === true ? { metrics: metrics.registry } : {}),
            ...(deps.recentLogs === undefined ? {} : { recentLogs: deps.recentLogs }),
            memory,
          },
          {
            adminToken: deps.adminToken,
            corsOrigins: config.corsOrigins,
            version: ASTRA_VERSION,
            approvals: approvalSettings,
            streams: {
              pollMs: config.eventsPollMs,
              heartbeatMs: config.eventsHeartbeatMs,
              bufferSize: config.eventsBuffer,
            },
            invitationTtlSeconds: config.invitationTtlSeconds,
            agentGoalsPerMinute: config.agentGoalsPerMinute,
          },
        ),
      });
      const server = gateway;
      stops.push(async () => {
        const timer = setTimeout(() => server.server.closeAllConnections(), config.shutdownTimeoutMs);
        try {
          await server.close();
        } finally {
          clearTimeout(timer);
          await access.close();
        }
      });
      url = await server.listen({ host: config.host, port: config.port }).catch((error: unknown) => {
        throw listenError(config, error);
      });
      await backends.dataDirLock?.announce({ port: Number(new URL(url).port) });
    }
    let metricsUrl: string | null = null;
    if (metrics !== null) {
      metrics.observe({
        roles: { scheduler: has('scheduler'), workerManager: has('worker-manager'), gateway: has('gateway') },
        clock: deps.clock,
        backends,
        shardCount: config.taskShardCount,
        router: llm.router,
        ...(agentActors === undefined ? {} : { actors: agentActors }),
        ...(executor === undefined ? {} : { taskTypes: kernelNow.handlers.types() }),
        readCaches: [
          { cache: 'reads', counts: () => reads.cacheCounts() },
          { cache: 'access', counts: () => access.cacheCounts() },
        ],
      });
      stops.push(() => metrics.close());
      metricsUrl = await metrics.listen();
    }
    return {
      url,
      mode: backends.mode,
      roles,
      backends,
      kernel: kernelNow,
      workerId: executor?.workerId ?? null,
      llm: llm.router,
      memory,
      metricsUrl,
      episodes,
      stop: stopAll,
    };
  } catch (error) {
    if (kernel === undefined) await backends.close();
    await stopAll();
    throw error;
  }
}
