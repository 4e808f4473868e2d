import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deleteKeysWithPrefix } from '../adapters/bus/redis-streams/delete-keys.js';
import { createPostgresStore } from '../adapters/sql/postgres.js';
import { type RunningNode, startNode } from '../app/node.js';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../log/logger.js';
import { systemClock } from '../time/clock.js';

/**
 * A real node for the HTTP benchmarks, every role as `astra up` runs it, over fresh backends:
 * embedded (a PGlite data dir of its own) or Postgres + Redis (a database created for the run
 * and dropped after, and a Redis database of the benchmark's own, emptied of the node's keys
 * after). The super-admin logs in with a password the benchmark chose.
 */
export interface BenchBackendOptions {
  readonly mode: 'embedded' | 'pg_redis';
  readonly postgresUrl: string;
  readonly redisUrl: string;
  /**
   * The Redis database the node uses: the node keeps its streams and cache keys under `astra:`
   * with no prefix, so each benchmark has a database of its own to keep them apart.
   */
  readonly redisDb: number;
  /** Names the temporary directory and database (`astra-bench-<label>-`, `bench_<label>_…`). */
  readonly label: string;
  /** The node's log level; default warn. */
  readonly logLevel?: 'warn' | 'fatal';
}

export const BENCH_ADMIN_EMAIL = 'bench@localhost';

export interface BenchNode {
  readonly node: RunningNode;
  readonly base: string;
  /** The super-admin's bearer header (a JWT from POST /login). */
  readonly auth: Record<string, string>;
  /** The admin token's bearer header. */
  readonly adminAuth: Record<string, string>;
  stop(): Promise<void>;
}

export async function startBenchNode(options: BenchBackendOptions): Promise<BenchNode> {
  const backend = await openBackend(options);
  const password = randomBytes(12).toString('hex');
  const adminToken = randomBytes(24).toString('hex');
  const { config } = loadConfig({
    env: {},
    flags: {
      host: '127.0.0.1',
      port: 0,
      dataDir: backend.dataDir,
      adminToken,
      adminEmail: BENCH_ADMIN_EMAIL,
      adminPassword: password,
      ...backend.flags,
    },
  });
  let node: RunningNode | undefined;
  try {
    node = await startNode(config, {
      clock: systemClock,
      logger: createLogger({ level: options.logLevel ?? 'warn' }),
      adminToken,
    });
    const base = node.url as string;
    const jwt = await login(base, password);
    const running = node;
    return {
      node,
      base,
      auth: { authorization: `Bearer ${jwt}` },
      adminAuth: { authorization: `Bearer ${adminToken}` },
      stop: async () => {
        await running.stop();
        await backend.drop();
      },
    };
  } catch (error) {
    await node?.stop();
    await backend.drop();
    throw error;
  }
}

export async function call<T>(
  base: string,
  method: string,
  target: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${base}${target}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${target}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

async function login(base: string, password: string): Promise<string> {
  const answer = await call<{ token: string }>(
    base,
    'POST',
    '/login',
    {},
    { email: BENCH_ADMIN_EMAIL, password },
  );
  return answer.token;
}

interface Backend {
  readonly dataDir: string;
  readonly flags: Record<string, unknown>;
  drop(): Promise<void>;
}

async function openBackend(options: BenchBackendOptions): Promise<Backend> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `astra-bench-${options.label}-`));
  const removeDir = (): void => rmSync(dataDir, { recursive: true, force: true });
  if (options.mode === 'embedded') return { dataDir, flags: {}, drop: async () => removeDir() };
  const database = `bench_${options.label.replace(/\W/g, '_')}_${randomUUID().slice(0, 8)}`;
  const admin = await createPostgresStore({ url: options.postgresUrl, maxConnections: 1 });
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(options.postgresUrl);
  url.pathname = `/${database}`;
  const redis = new URL(options.redisUrl);
  redis.pathname = `/${options.redisDb}`;
  return {
    dataDir,
    flags: { postgresUrl: url.href, redisUrl: redis.href },
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.close();
      await deleteKeysWithPrefix(redis.href, 'astra:').catch(() => undefined);
      removeDir();
    },
  };
}
