import { z } from 'zod';
import { ARTIFACTS_DEFAULTS } from '../adapters/artifacts/artifact-rules.js';
import { BROWSER_DEFAULTS } from '../adapters/browser/browser-defaults.js';
import { CACHE_DEFAULTS } from '../adapters/cache/cache-defaults.js';
import { VAULT_DEFAULTS } from '../adapters/secrets/vault-defaults.js';
import { POSTGRES_DEFAULTS } from '../adapters/sql/postgres-defaults.js';
import {
  BUS_CONSUMER_DEFAULTS,
  DEFAULT_MAILBOX_CAPACITY,
  DEFAULT_RETRY_POLICY,
  EXECUTOR_DEFAULTS,
  SCHEDULER_DEFAULTS,
  WORKER_MANAGER_DEFAULTS,
} from '../kernel/index.js';
import { DEFAULT_BUS_OPTIONS } from '../ports/bus.js';
import { ACCESS_DEFAULTS } from '../services/access/access-defaults.js';
import { DEFAULT_ADMISSION_GATE } from '../services/agents/admission-gate.js';
import { APPROVAL_DEFAULTS } from '../services/approvals/policy.js';
import { EVENTS_DEFAULTS } from '../services/events/events-defaults.js';
import { DEFAULT_BREAKER_SETTINGS } from '../services/gateway/circuit-breaker.js';
import { GATEWAY_DEFAULTS } from '../services/gateway/gateway-defaults.js';
import { DEFAULT_HTTP_TIMEOUTS } from '../services/gateway/http-limits.js';
import { GOALS_DEFAULTS } from '../services/goals/goals-defaults.js';
import { DEFAULT_REFRESH_TTL_MS } from '../services/identity/refresh-tokens.js';
import { PLANNER_DEFAULTS } from '../services/planner/planner-defaults.js';
import { ARTIFACT_RETENTION_DEFAULTS } from '../services/tools/artifact-retention.js';
import { CHAT_SETTINGS } from './chat-settings.js';
import { COST_SETTINGS } from './cost-settings.js';
import { LLM_PROVIDER_SETTINGS } from './llm-providers.js';
import { LLM_SETTINGS } from './llm-settings.js';
import { MEMORY_SETTINGS } from './memory-settings.js';
import { MEMORY_TASK_SETTINGS } from './memory-task-settings.js';
import { METRICS_SETTINGS } from './metrics-settings.js';
import { RETENTION_SETTINGS } from './retention-settings.js';
import type { Secret } from './secret.js';
import { TRACING_SETTINGS } from './tracing-settings.js';

/**
 * Every setting Astra reads, in one typed table: its key in the config file, its environment
 * variable, its CLI flag, how it is parsed, its default, and whether it is a secret. A setting that
 * configures a component takes its default from that component's defaults constant (EXECUTOR_DEFAULTS,
 * SCHEDULER_DEFAULTS, …), the same one the component applies when built without it, so the two
 * never disagree.
 * Precedence is applied by `loadConfig`: flags > config file > environment > defaults.
 */
const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = z.coerce.number().int().positive();
const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL with protocol ${protocols.join(' or ')}`,
  );
const hostList = z
  .string()
  .regex(/^[A-Za-z0-9.\-[\]:]+:\d+(,[A-Za-z0-9.\-[\]:]+:\d+)*$/, 'must be host:port[,host:port...]');

export interface SettingSpec {
  readonly env: string;
  /** Other names of the variable, read when `env` is unset (upstream deployments use them). */
  readonly envAliases?: readonly string[];
  readonly flag: string;
  readonly schema: z.ZodType;
  readonly default?: unknown;
  readonly secret?: true;
  readonly description: string;
}

export const SETTINGS = {
  host: {
    env: 'ASTRA_HOST',
    flag: 'host',
    schema: z.string().min(1),
    default: '127.0.0.1',
    description: 'Address the HTTP server binds.',
  },
  port: {
    env: 'ASTRA_PORT',
    flag: 'port',
    schema: port,
    default: 8080,
    description: 'HTTP port (0 picks a free one).',
  },
  dataDir: {
    env: 'ASTRA_DATA_DIR',
    flag: 'data-dir',
    schema: z.string().min(1),
    default: '.astra-data',
    description: 'Where embedded mode keeps its database and generated credentials.',
  },
  workspaceRoot: {
    env: 'ASTRA_WORKSPACE_ROOT',
    flag: 'workspace-root',
    schema: z.string().min(1),
    description:
      "Where goals' workspaces live (one directory per goal, shared by its tasks: file_read, file_write, list_files); default <dataDir>/workspaces.",
  },
  postgresUrl: {
    env: 'ASTRA_POSTGRES_URL',
    flag: 'postgres',
    schema: url(['postgres:', 'postgresql:']),
    secret: true,
    description: 'Postgres connection URL; without it Astra uses embedded PGlite.',
  },
  postgresMaxConnections: {
    env: 'ASTRA_POSTGRES_MAX_CONNECTIONS',
    flag: 'postgres-max-connections',
    schema: positiveInt,
    default: POSTGRES_DEFAULTS.maxConnections,
    description: 'Postgres pool size per process.',
  },
  redisUrl: {
    env: 'ASTRA_REDIS_URL',
    flag: 'redis',
    schema: url(['redis:', 'rediss:']),
    secret: true,
    description: 'Redis URL for the bus and cache; without it both are in-process.',
  },
  memcached: {
    env: 'ASTRA_MEMCACHED',
    flag: 'memcached',
    schema: hostList,
    description: 'Memcached servers (host:port,...) for the remote cache tier; Redis is used when absent.',
  },
  logLevel: {
    env: 'ASTRA_LOG_LEVEL',
    flag: 'log-level',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    description: 'Log level.',
  },
  taskShardCount: {
    env: 'ASTRA_TASK_SHARD_COUNT',
    envAliases: ['TASK_SHARD_COUNT'],
    flag: 'task-shard-count',
    schema: positiveInt.max(1024),
    default: 8,
    description:
      'Number of task dispatch streams (astra:tasks:shard:{n}); TASK_SHARD_COUNT is read when unset.',
  },
  busMaxDeliveries: {
    env: 'ASTRA_BUS_MAX_DELIVERIES',
    flag: 'bus-max-deliveries',
    schema: positiveInt,
    default: DEFAULT_BUS_OPTIONS.maxDeliveries,
    description: 'Failed deliveries before a message goes to astra:dead_letter.',
  },
  busMinIdleMs: {
    env: 'ASTRA_BUS_MIN_IDLE_MS',
    flag: 'bus-min-idle-ms',
    schema: positiveInt,
    default: BUS_CONSUMER_DEFAULTS.minIdleMs,
    description: 'Idle time after which a pending message is reclaimed.',
  },
  busMaxLen: {
    env: 'ASTRA_BUS_MAX_LEN',
    flag: 'bus-max-len',
    schema: positiveInt,
    default: DEFAULT_BUS_OPTIONS.maxLen,
    description: 'Approximate stream length cap.',
  },
  cacheTtlMs: {
    env: 'ASTRA_CACHE_TTL_MS',
    flag: 'cache-ttl-ms',
    schema: positiveInt,
    default: CACHE_DEFAULTS.ttlMs,
    description: 'Default cache entry TTL.',
  },
  cacheLocalMaxEntries: {
    env: 'ASTRA_CACHE_LOCAL_MAX_ENTRIES',
    flag: 'cache-local-max-entries',
    schema: positiveInt,
    default: CACHE_DEFAULTS.localMaxEntries,
    description: 'In-process LRU capacity.',
  },
  cacheLocalTtlMs: {
    env: 'ASTRA_CACHE_LOCAL_TTL_MS',
    flag: 'cache-local-ttl-ms',
    schema: positiveInt,
    default: CACHE_DEFAULTS.localTtlCapMs,
    description:
      'Longest an entry lives in the in-process tier; bounds staleness if an invalidation is lost.',
  },
  adminToken: {
    env: 'ASTRA_ADMIN_TOKEN',
    flag: 'admin-token',
    schema: z.string().min(24, 'must be at least 24 characters'),
    secret: true,
    description:
      'Bearer token for the API; without it one is generated on first start into <dataDir>/admin-token (mode 0600; never printed).',
  },
  adminEmail: {
    env: 'ASTRA_ADMIN_EMAIL',
    flag: 'admin-email',
    schema: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address'),
    default: 'admin@localhost',
    description: 'Email of the super-admin created on first start.',
  },
  adminPassword: {
    env: 'ASTRA_ADMIN_PASSWORD',
    flag: 'admin-password',
    schema: z.string().min(12, 'must be at least 12 characters'),
    secret: true,
    description:
      "The first super-admin's password; without it one is generated on first start into <dataDir>/admin-password (mode 0600; never printed).",
  },
  keyEncryptionKey: {
    env: 'ASTRA_KEY_ENCRYPTION_KEY',
    flag: 'key-encryption-key',
    schema: z
      .string()
      .trim()
      .regex(
        /^(?:[0-9a-fA-F]{64}|[A-Za-z0-9+/_-]{43}=?)$/,
        'must be 32 bytes as 64 hex characters or base64 (openssl rand -base64 32)',
      ),
    secret: true,
    description:
      'Key that encrypts the token signing keys in the database (32 bytes, hex or base64); without it one is generated on first start into <dataDir>/key-encryption-key (mode 0600). Every gateway over one database needs the same.',
  },
  refreshTokenTtlMs: {
    env: 'ASTRA_REFRESH_TOKEN_TTL_MS',
    flag: 'refresh-token-ttl-ms',
    schema: positiveInt.min(60_000),
    default: DEFAULT_REFRESH_TTL_MS,
    description:
      'Lifetime of a refresh token from POST /login or POST /auth/refresh (each refresh issues a new one).',
  },
  invitationTtlSeconds: {
    env: 'ASTRA_INVITATION_TTL_SECONDS',
    flag: 'invitation-ttl-seconds',
    schema: positiveInt,
    default: ACCESS_DEFAULTS.invitationTtlSeconds,
    description:
      'How long an invitation to join an organization (POST /orgs/{id}/members by an org admin) stays open before it expires unanswered.',
  },
  agentGoalsPerMinute: {
    env: 'ASTRA_AGENT_GOALS_PER_MINUTE',
    flag: 'agent-goals-per-minute',
    schema: positiveInt,
    default: GOALS_DEFAULTS.agentGoalsPerMinute,
    description:
      'Goals one agent may send per minute with its service tokens, on every goal route (POST /internal/goals, /goals, /agents/{id}/goals), across all gateways.',
  },
  corsOrigins: {
    env: 'ASTRA_CORS_ORIGINS',
    flag: 'cors-origins',
    schema: z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((origin) => origin.trim())
          .filter((origin) => origin.length > 0),
      )
      .pipe(
        z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'must be origins like https://app.example.com')),
      ),
    default: '',
    description:
      'Origins browsers may call the API from (comma-separated, e.g. https://app.example.com); none by default.',
  },
  bodyLimitBytes: {
    env: 'ASTRA_BODY_LIMIT_BYTES',
    flag: 'body-limit-bytes',
    schema: positiveInt,
    default: GATEWAY_DEFAULTS.bodyLimitBytes,
    description: 'Largest request body the API reads; larger ones get 413 ASTRA_PAYLOAD_TOO_LARGE.',
  },
  maxHeaderBytes: {
    env: 'ASTRA_MAX_HEADER_BYTES',
    flag: 'max-header-bytes',
    schema: positiveInt.min(1024),
    default: GATEWAY_DEFAULTS.maxHeaderBytes,
    description: "Largest total size of a request's headers; larger requests get 431 from the HTTP server.",
  },
  headersTimeoutMs: {
    env: 'ASTRA_HEADERS_TIMEOUT_MS',
    flag: 'headers-timeout-ms',
    schema: positiveInt,
    default: DEFAULT_HTTP_TIMEOUTS.headersTimeoutMs,
    description: "Longest a client may take to send a request's headers; later: 408 ASTRA_REQUEST_TIMEOUT.",
  },
  requestTimeoutMs: {
    env: 'ASTRA_REQUEST_TIMEOUT_MS',
    flag: 'request-timeout-ms',
    schema: positiveInt,
    default: DEFAULT_HTTP_TIMEOUTS.requestTimeoutMs,
    description:
      'Longest a client may take to send a whole request, body included; later: 408 ASTRA_REQUEST_TIMEOUT.',
  },
  keepAliveTimeoutMs: {
    env: 'ASTRA_KEEP_ALIVE_TIMEOUT_MS',
    flag: 'keep-alive-timeout-ms',
    schema: positiveInt,
    default: DEFAULT_HTTP_TIMEOUTS.keepAliveTimeoutMs,
    description: 'How long an idle kept-alive HTTP connection stays open between requests.',
  },
  breakerThreshold: {
    env: 'ASTRA_BREAKER_THRESHOLD',
    flag: 'breaker-threshold',
    schema: positiveInt,
    default: DEFAULT_BREAKER_SETTINGS.threshold,
    description: 'Connection failures of a dependency, within the window, that open its circuit breaker.',
  },
  breakerWindowMs: {
    env: 'ASTRA_BREAKER_WINDOW_MS',
    flag: 'breaker-window-ms',
    schema: positiveInt,
    default: DEFAULT_BREAKER_SETTINGS.windowMs,
    description: 'Window in which breaker failures are counted.',
  },
  breakerCooldownMs: {
    env: 'ASTRA_BREAKER_COOLDOWN_MS',
    flag: 'breaker-cooldown-ms',
    schema: positiveInt,
    default: DEFAULT_BREAKER_SETTINGS.cooldownMs,
    description: 'How long an open breaker answers 503 before letting one probe request through.',
  },
  eventsPollMs: {
    env: 'ASTRA_EVENTS_POLL_MS',
    flag: 'events-poll-ms',
    schema: positiveInt,
    default: EVENTS_DEFAULTS.streams.pollMs,
    description: "How often a gateway's one event tail reads new events while streams are open.",
  },
  eventsHeartbeatMs: {
    env: 'ASTRA_EVENTS_HEARTBEAT_MS',
    flag: 'events-heartbeat-ms',
    schema: positiveInt,
    default: EVENTS_DEFAULTS.streams.heartbeatMs,
    description: 'Interval of keep-alive comments (SSE) and pings (WebSocket) on event streams.',
  },
  eventsBuffer: {
    env: 'ASTRA_EVENTS_BUFFER',
    flag: 'events-buffer',
    schema: positiveInt,
    default: EVENTS_DEFAULTS.streams.bufferSize,
    description: 'Events queued for one stream client; a client that falls further behind is disconnected.',
  },
  executorConcurrency: {
    env: 'ASTRA_EXECUTOR_CONCURRENCY',
    flag: 'executor-concurrency',
    schema: positiveInt.max(10_000),
    default: EXECUTOR_DEFAULTS.concurrency,
    description: 'Task handlers one executor runs at once.',
  },
  executorShards: {
    env: 'ASTRA_EXECUTOR_SHARDS',
    flag: 'executor-shards',
    schema: z
      .string()
      .regex(/^\d+(,\d+)*$/, 'must be shard numbers separated by commas, e.g. 0,1,2')
      .transform((value) => [...new Set(value.split(',').map(Number))]),
    description: 'Shards this executor consumes (e.g. 0,1,2); all shards when unset.',
  },
  workerHeartbeatMs: {
    env: 'ASTRA_WORKER_HEARTBEAT_MS',
    flag: 'worker-heartbeat-ms',
    schema: positiveInt,
    default: EXECUTOR_DEFAULTS.heartbeatMs,
    description: 'How often an executor heartbeats (and extends its task leases).',
  },
  workerDeadlineMs: {
    env: 'ASTRA_WORKER_DEADLINE_MS',
    flag: 'worker-deadline-ms',
    schema: positiveInt,
    default: WORKER_MANAGER_DEFAULTS.deadlineMs,
    description: 'A worker silent this long is declared dead and its running tasks are dispatched again.',
  },
  taskLeaseMs: {
    env: 'ASTRA_TASK_LEASE_MS',
    flag: 'task-lease-ms',
    schema: positiveInt,
    default: EXECUTOR_DEFAULTS.leaseMs,
    description: "Lease of a running task, renewed by its worker's heartbeats; an expired lease is retried.",
  },
  retryBaseMs: {
    env: 'ASTRA_RETRY_BASE_MS',
    flag: 'retry-base-ms',
    schema: positiveInt,
    default: DEFAULT_RETRY_POLICY.baseMs,
    description: 'First retry delay of a failed task; doubles per retry (jittered).',
  },
  retryMaxMs: {
    env: 'ASTRA_RETRY_MAX_MS',
    flag: 'retry-max-ms',
    schema: positiveInt,
    default: DEFAULT_RETRY_POLICY.maxMs,
    description: 'Longest retry delay.',
  },
  schedulerSweepMs: {
    env: 'ASTRA_SCHEDULER_SWEEP_MS',
    flag: 'scheduler-sweep-ms',
    schema: positiveInt,
    default: SCHEDULER_DEFAULTS.sweepMs,
    description: 'How often the scheduler balances shard leases and runs its recovery sweep.',
  },
  republishAfterMs: {
    env: 'ASTRA_REPUBLISH_AFTER_MS',
    flag: 'republish-after-ms',
    schema: positiveInt,
    default: SCHEDULER_DEFAULTS.republishAfterMs,
    description: 'A queued task untouched this long is published again (its message may be lost).',
  },
  admissionConcurrency: {
    env: 'ASTRA_ADMISSION_CONCURRENCY',
    flag: 'admission-concurrency',
    schema: positiveInt.max(10_000),
    default: DEFAULT_ADMISSION_GATE.concurrency,
    description: 'Goal submissions one gateway process runs at once; more wait their turn.',
  },
  admissionMaxWaitMs: {
    env: 'ASTRA_ADMISSION_MAX_WAIT_MS',
    flag: 'admission-max-wait-ms',
    schema: positiveInt,
    default: DEFAULT_ADMISSION_GATE.maxWaitMs,
    description:
      'Longest a goal submission waits for its turn (or the event loop may lag); beyond, 503 ASTRA_OVERLOADED with Retry-After.',
  },
  mailboxCapacity: {
    env: 'ASTRA_MAILBOX_CAPACITY',
    flag: 'mailbox-capacity',
    schema: positiveInt.max(1_000_000),
    default: DEFAULT_MAILBOX_CAPACITY,
    description: 'Messages an agent actor queues before senders get 429 with Retry-After.',
  },
  riskyTaskTypes: {
    env: 'ASTRA_RISKY_TASK_TYPES',
    flag: 'risky-task-types',
    schema: z.string().transform((value) =>
      value
        .split(',')
        .map((type) => type.trim())
        .filter((type) => type.length > 0),
    ),
    default: '',
    description:
      "Task types (or tools, a task's payload.tool) that wait for approval before they run, for every agent (comma-separated); agents add their own with config.risky_task_types.",
  },
  approvalRiskTier: {
    env: 'ASTRA_APPROVAL_RISK_TIER',
    flag: 'approval-risk-tier',
    schema: z.enum(['none', 'low', 'medium', 'high', 'critical']),
    default: 'none',
    description:
      "Tool tasks whose tool's manifest is of this risk tier or above wait for approval before they run, for every agent (none: no tier waits); agents lower it with config.approval_risk_tier.",
  },
  mcpStdioCommands: {
    env: 'ASTRA_MCP_STDIO_COMMANDS',
    flag: 'mcp-stdio-commands',
    schema: z.string().transform((value) =>
      value
        .split(',')
        .map((command) => command.trim())
        .filter((command) => command.length > 0),
    ),
    default: '',
    description:
      'Commands a stdio MCP server may be registered with (comma-separated, exactly as registered; `*`: any). Empty: no stdio servers. They run on the host, unsandboxed (docs/mcp.md).',
  },
  mcpTimeoutMs: {
    env: 'ASTRA_MCP_TIMEOUT_MS',
    flag: 'mcp-timeout-ms',
    schema: positiveInt.max(600_000),
    default: 10_000,
    description:
      "How long connecting to an MCP server (its handshake) and listing its tools may take; a tool call's own limit is its manifest's wall time.",
  },
  approvalTtlSeconds: {
    env: 'ASTRA_APPROVAL_TTL_SECONDS',
    flag: 'approval-ttl-seconds',
    schema: z.coerce.number().int().min(0),
    default: APPROVAL_DEFAULTS.ttlSeconds,
    description:
      'How long an approval request waits before it expires (its goal or task then fails); 0: never. Agents override it with config.approval_ttl_seconds.',
  },
  checkResponses: {
    env: 'ASTRA_CHECK_RESPONSES',
    flag: 'check-responses',
    schema: z.stringbool(),
    default: 'false',
    description:
      "Compare every JSON answer, as its documented schema serializes it, with the handler's value; a difference is logged and answered 500. For tests: it serializes each answer twice.",
  },
  secretsBackend: {
    env: 'ASTRA_SECRETS_BACKEND',
    flag: 'secrets-backend',
    schema: z.enum(['env', 'vault']),
    default: 'env',
    description:
      'Where tool secrets come from: env (ASTRA_SECRET_<NAME> and ASTRA_SECRET_<NAME>_FILE) or vault (HashiCorp Vault KV v2).',
  },
  vaultAddr: {
    env: 'VAULT_ADDR',
    flag: 'vault-addr',
    schema: url(['http:', 'https:']),
    description: "Vault's address, for the vault secrets backend.",
  },
  vaultToken: {
    env: 'VAULT_TOKEN',
    flag: 'vault-token',
    schema: z.string().min(1),
    secret: true,
    description: 'Vault token (renewed before its TTL ends when renewable).',
  },
  vaultNamespace: {
    env: 'VAULT_NAMESPACE',
    flag: 'vault-namespace',
    schema: z.string().min(1),
    description: 'Vault namespace (Vault Enterprise, HCP), sent as X-Vault-Namespace.',
  },
  vaultMount: {
    env: 'ASTRA_VAULT_MOUNT',
    flag: 'vault-mount',
    schema: z.string().min(1),
    default: VAULT_DEFAULTS.mount,
    description: 'The KV v2 secrets engine mount.',
  },
  vaultPathPrefix: {
    env: 'ASTRA_VAULT_PATH_PREFIX',
    flag: 'vault-path-prefix',
    schema: z.string(),
    default: VAULT_DEFAULTS.pathPrefix,
    description: 'Path under the mount where tool secrets live (<mount>/data/<prefix>/<name>).',
  },
  artifactsBackend: {
    env: 'ASTRA_ARTIFACTS_BACKEND',
    flag: 'artifacts-backend',
    schema: z.enum(['fs', 's3']),
    default: 'fs',
    description: 'Where artifacts are stored: fs (<dataDir>/artifacts, or artifactsDir) or s3.',
  },
  artifactsDir: {
    env: 'ASTRA_ARTIFACTS_DIR',
    flag: 'artifacts-dir',
    schema: z.string().min(1),
    description: 'Directory of the fs artifact store; <dataDir>/artifacts when absent.',
  },
  artifactsRetentionDays: {
    env: 'ASTRA_ARTIFACTS_RETENTION_DAYS',
    flag: 'artifacts-retention-days',
    schema: positiveInt,
    default: ARTIFACTS_DEFAULTS.retentionDays,
    description: 'Days an artifact is kept unless its put asks otherwise; expired ones are swept.',
  },
  artifactsSweepMs: {
    env: 'ASTRA_ARTIFACTS_SWEEP_MS',
    flag: 'artifacts-sweep-ms',
    schema: positiveInt,
    default: ARTIFACT_RETENTION_DEFAULTS.sweepMs,
    description:
      'How often the node running the scheduler role deletes expired artifacts and their task records.',
  },
  replanSweepMs: {
    env: 'ASTRA_REPLAN_SWEEP_MS',
    flag: 'replan-sweep-ms',
    schema: positiveInt,
    default: PLANNER_DEFAULTS.replanSweepMs,
    description:
      'How often the node running the scheduler role re-plans dead letters still waiting for a re-plan (besides once at its start).',
  },
  artifactsMaxBytes: {
    env: 'ASTRA_ARTIFACTS_MAX_BYTES',
    flag: 'artifacts-max-bytes',
    schema: positiveInt,
    default: ARTIFACTS_DEFAULTS.maxBytes,
    description: 'The largest artifact accepted.',
  },
  artifactsS3Bucket: {
    env: 'ASTRA_ARTIFACTS_S3_BUCKET',
    flag: 'artifacts-s3-bucket',
    schema: z.string().min(3),
    description: 'Bucket of the s3 artifact store.',
  },
  artifactsS3Prefix: {
    env: 'ASTRA_ARTIFACTS_S3_PREFIX',
    flag: 'artifacts-s3-prefix',
    schema: z.string(),
    default: 'artifacts/',
    description: 'Key prefix of the s3 artifact store.',
  },
  artifactsS3Endpoint: {
    env: 'ASTRA_ARTIFACTS_S3_ENDPOINT',
    flag: 'artifacts-s3-endpoint',
    schema: url(['http:', 'https:']),
    description: 'A custom S3 endpoint (MinIO, Ceph, a local server), addressed path-style; AWS when absent.',
  },
  artifactsS3Region: {
    env: 'ASTRA_ARTIFACTS_S3_REGION',
    envAliases: ['AWS_REGION'],
    flag: 'artifacts-s3-region',
    schema: z.string().min(1),
    default: 'us-east-1',
    description: 'Region of the s3 artifact store.',
  },
  artifactsS3AccessKeyId: {
    env: 'ASTRA_ARTIFACTS_S3_ACCESS_KEY_ID',
    envAliases: ['AWS_ACCESS_KEY_ID'],
    flag: 'artifacts-s3-access-key-id',
    schema: z.string().min(1),
    description:
      'Access key id for S3; without it and its secret, the AWS SDK finds credentials itself (instance role, web identity).',
  },
  artifactsS3SecretAccessKey: {
    env: 'ASTRA_ARTIFACTS_S3_SECRET_ACCESS_KEY',
    envAliases: ['AWS_SECRET_ACCESS_KEY'],
    flag: 'artifacts-s3-secret-access-key',
    schema: z.string().min(1),
    secret: true,
    description: 'Secret access key for S3.',
  },
  egressSocketDir: {
    env: 'ASTRA_EGRESS_SOCKET_DIR',
    flag: 'egress-socket-dir',
    schema: z.string().min(1),
    description:
      "Where the egress proxy creates each tool session's Unix socket (made 0700; a socket path holds 107 bytes at most); <dataDir>/egress when absent.",
  },
  egressTcpPort: {
    env: 'ASTRA_EGRESS_TCP_PORT',
    flag: 'egress-tcp-port',
    schema: port,
    description:
      'A loopback TCP port for the egress proxy besides the sockets (0 picks one); sessions are known there by their credential. None when absent, except with the browser role, which opens one on a free port.',
  },
  browserExecutable: {
    env: 'ASTRA_BROWSER_EXECUTABLE',
    flag: 'browser-executable',
    schema: z.string().min(1),
    default: BROWSER_DEFAULTS.executablePath,
    description:
      "The Chromium the browser role drives (playwright-core over Debian's chromium); astra up runs the browser role only when it exists.",
  },
  browserPoolSize: {
    env: 'ASTRA_BROWSER_POOL_SIZE',
    flag: 'browser-pool-size',
    schema: positiveInt,
    default: BROWSER_DEFAULTS.poolSize,
    description:
      'Browser processes kept by the browser role, reused across calls: the most browser tool calls running at once on a node.',
  },
  browserActionTimeoutMs: {
    env: 'ASTRA_BROWSER_ACTION_TIMEOUT_MS',
    flag: 'browser-action-timeout-ms',
    schema: positiveInt,
    default: BROWSER_DEFAULTS.actionTimeoutMs,
    description:
      "How long one browser action (a page load, a click, a fill, a wait) may take; the whole call is bounded by the tool's wall time.",
  },
  shutdownTimeoutMs: {
    env: 'ASTRA_SHUTDOWN_TIMEOUT_MS',
    flag: 'shutdown-timeout-ms',
    schema: positiveInt,
    default: EXECUTOR_DEFAULTS.drainTimeoutMs,
    description: 'How long shutdown waits for in-flight work.',
  },
  ...LLM_SETTINGS,
  ...LLM_PROVIDER_SETTINGS,
  ...COST_SETTINGS,
  ...MEMORY_SETTINGS,
  ...MEMORY_TASK_SETTINGS,
  ...TRACING_SETTINGS,
  ...CHAT_SETTINGS,
  ...METRICS_SETTINGS,
  ...RETENTION_SETTINGS,
} as const satisfies Record<string, SettingSpec>;

export type SettingKey = keyof typeof SETTINGS;

type Parsed<K extends SettingKey> = z.output<(typeof SETTINGS)[K]['schema']>;
type Value<K extends SettingKey> = (typeof SETTINGS)[K] extends { secret: true } ? Secret : Parsed<K>;
type HasDefault<K extends SettingKey> = (typeof SETTINGS)[K] extends { default: unknown } ? K : never;

/** The validated configuration: settings with defaults are always present; the rest are optional. */
export type AstraConfig = { readonly [K in SettingKey as HasDefault<K>]: Value<K> } & {
  readonly [K in Exclude<SettingKey, HasDefault<SettingKey>>]?: Value<K>;
};

/**
 * Where a secret setting's value may be read from a file instead: `--<flag>-file <path>`,
 * `<ENV>_FILE`, `<key>File` in a config file. Flag values show in `ps` to every local user and
 * environment values to the process's owner; a 0600 file (or a mounted secret) shows to no one.
 */
export interface SecretFileNames {
  readonly flag: string;
  readonly env: string;
  readonly key: string;
}

export function secretFileNames(key: SettingKey): SecretFileNames | undefined {
  const setting: SettingSpec = SETTINGS[key];
  if (setting.secret !== true) return undefined;
  return { flag: `${setting.flag}-file`, env: `${setting.env}_FILE`, key: `${key}File` };
}

/** The environment variables Astra reads, as a typed list (docs/configuration.md lists them too). */
export const ENV_NAMES: readonly string[] = [
  ...Object.values(SETTINGS).flatMap((s: SettingSpec) => [s.env, ...(s.envAliases ?? [])]),
  ...(Object.keys(SETTINGS) as SettingKey[]).flatMap((key) => secretFileNames(key)?.env ?? []),
];
export type EnvName = (typeof SETTINGS)[SettingKey]['env'];
