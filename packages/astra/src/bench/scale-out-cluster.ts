// The processes of one scale-out configuration: a fresh database on the local Postgres, a private
// Redis (the task streams have fixed names, so a shared Redis would mix runs), and `astra serve`
// processes for the roles asked. Everything is stopped and removed by `stop()`, and also when the
// benchmark fails or is interrupted (exit-cleanup.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPostgresStore } from '../adapters/sql/postgres.js';
import { onExitCleanup } from './exit-cleanup.js';
import { type PrivateRedis, startPrivateRedis } from './private-redis.js';

const BIN = fileURLToPath(new URL('../../bin/astra.js', import.meta.url));
const READY_TIMEOUT_MS = 120_000;

export interface RoleProcess {
  /** e.g. `executor-1`. */
  readonly name: string;
  readonly pid: number;
}

export interface Cluster {
  readonly postgresUrl: string;
  readonly redis: PrivateRedis;
  readonly executors: readonly RoleProcess[];
  readonly schedulers: readonly RoleProcess[];
  stop(): Promise<void>;
}

export interface ClusterSpec {
  /** Any database on the local server; the cluster's own is created beside it. */
  readonly adminUrl: string;
  readonly executors: number;
  readonly schedulers: number;
  /** Roles of a scheduler process (`scheduler`, with `worker-manager` as a deployment pairs them). */
  readonly schedulerRoles: readonly string[];
  /** `--executor-concurrency` of each executor; absent: the node's default. */
  readonly executorConcurrency?: number;
}

interface Spawned {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
}

/** `astra serve <roles>` by its absolute path, configured by its flags only (an empty environment). */
function serve(roles: readonly string[], flags: readonly string[]): Spawned {
  const child = spawn(process.execPath, [BIN, 'serve', ...roles, '--log-level', 'warn', ...flags], {
    env: {},
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`astra serve ${roles.join(' ')} not ready after ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`astra serve ${roles.join(' ')} exited (${code}):\n${output.join('')}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      output.push(chunk.toString('utf8'));
      if (/astra: ready \(/.test(output.join(''))) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  });
  // Once it is ready its output is only kept short (warnings, for a failure's message).
  void ready.then(
    () => output.splice(0, output.length - 20),
    () => undefined,
  );
  return { child, ready, exited };
}

async function stopChild(spawned: Spawned): Promise<void> {
  const { child } = spawned;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await spawned.exited;
  clearTimeout(timer);
}

export async function startCluster(spec: ClusterSpec): Promise<Cluster> {
  const database = `bench_scale_${randomUUID().slice(0, 8)}`;
  const admin = await createPostgresStore({ url: spec.adminUrl, maxConnections: 1 });
  const url = new URL(spec.adminUrl);
  url.pathname = `/${database}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'astra-bench-scale-'));
  const spawned: Spawned[] = [];
  let redis: PrivateRedis | undefined;
  const cleanup = onExitCleanup(async () => {
    for (const s of spawned)
      if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    await Promise.all(spawned.map((s) => s.exited));
    await redis?.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.close();
  });
  try {
    await admin.query(`CREATE DATABASE ${database}`);
    redis = await startPrivateRedis({ durable: false });
    const common = ['--postgres', url.href, '--redis', redis.url, '--data-dir', dataDir];
    const executorFlags =
      spec.executorConcurrency === undefined
        ? []
        : ['--executor-concurrency', String(spec.executorConcurrency)];
    const start = (roles: readonly string[], flags: readonly string[] = []): Spawned => {
      const s = serve(roles, [...common, ...flags]);
      spawned.push(s);
      return s;
    };
    // The first process migrates the fresh database; the others start once it has.
    const first = start(spec.schedulerRoles);
    await first.ready;
    const rest = [
      ...Array.from({ length: spec.schedulers - 1 }, () => start(spec.schedulerRoles)),
      ...Array.from({ length: spec.executors }, () => start(['executor'], executorFlags)),
    ];
    await Promise.all(rest.map((s) => s.ready));
  } catch (error) {
    await cleanup();
    throw error;
  }
  const named = (from: number, count: number, role: string): RoleProcess[] =>
    spawned
      .slice(from, from + count)
      .map((s, i) => ({ name: `${role}-${i + 1}`, pid: s.child.pid as number }));
  return {
    postgresUrl: url.href,
    redis,
    schedulers: named(0, spec.schedulers, 'scheduler'),
    executors: named(spec.schedulers, spec.executors, 'executor'),
    stop: async () => {
      // Executors first, so a scheduler's sweep does not run against a half-stopped cluster.
      for (const s of [...spawned].reverse()) await stopChild(s);
      await cleanup();
    },
  };
}
