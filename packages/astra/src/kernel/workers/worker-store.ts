import {
  int,
  json,
  jsonObject,
  nullable,
  oneOf,
  tableRow,
  text,
  textArray,
  timestamp,
  uuid,
} from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { isoTimestampSql } from '../../time/iso.js';

/**
 * Worker rows: registration, heartbeats, draining, failure detection.
 *
 * heartbeat — one statement: the worker's last_heartbeat moves to now and the leases of its running
 *   tasks are extended to now + leaseMs (so a long task keeps its lease while its worker lives).
 *   Given the ids of the tasks the worker is executing, only those leases are extended: a task left
 *   `running` under a live worker that no longer executes it (its completion or failure could not
 *   be written, say while the database was down) then sees its lease run out and is retried.
 *   Returns false when the row is gone or marked offline: the worker was declared dead and its
 *   tasks were handed to others, so it must stop (and re-register if it means to go on).
 * markDead — one statement: every worker not offline whose heartbeat is older than the deadline
 *   becomes offline (WorkerLost event); returns their ids. Concurrent detectors each get a
 *   disjoint set, so every dead worker's tasks are released once.
 */
export const WORKER_STATUSES = ['active', 'draining', 'offline'] as const;
export type WorkerStatus = (typeof WORKER_STATUSES)[number];

export interface WorkerRecord {
  readonly id: string;
  readonly hostname: string;
  readonly status: WorkerStatus;
  readonly capabilities: readonly string[];
  readonly concurrency: number;
  readonly lastHeartbeat: string;
  readonly registeredAt: string;
  readonly metadata: Record<string, unknown>;
}

/** The one decoder of a `workers` row. */
export const workerRow = tableRow('workers', {
  id: uuid,
  hostname: text,
  status: oneOf(WORKER_STATUSES),
  capabilities: textArray,
  concurrency: int,
  lastHeartbeat: timestamp,
  registeredAt: timestamp,
  metadata: jsonObject,
});

export async function registerWorker(
  db: SqlExecutor,
  worker: {
    id: string;
    hostname: string;
    capabilities: readonly string[];
    concurrency: number;
    metadata: object;
    now: Date;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO workers (id, hostname, status, capabilities, concurrency, last_heartbeat, registered_at, metadata)
     VALUES ($1, $2, 'active', $3, $4, $5, $5, $6::jsonb)
     ON CONFLICT (id) DO UPDATE SET status = 'active', last_heartbeat = $5`,
    [
      worker.id,
      worker.hostname,
      worker.capabilities,
      worker.concurrency,
      worker.now,
      JSON.stringify(worker.metadata),
    ],
  );
  await db.query(
    `INSERT INTO events (event_type, actor_id, payload, created_at)
     VALUES ('WorkerRegistered', $1, jsonb_build_object('hostname', $2::text, 'capabilities', $3::text[]), $4)`,
    [worker.id, worker.hostname, worker.capabilities, worker.now],
  );
}

/**
 * `now` and `executingTaskIds` are read when the statement runs: a heartbeat that waited behind a
 * long statement (the embedded database has one connection) writes the time it ran, not the time
 * it was asked for, so waiting never makes a live worker look dead.
 */
export async function heartbeat(
  db: SqlExecutor,
  workerId: string,
  now: () => Date,
  leaseMs: number,
  executingTaskIds?: () => readonly string[],
): Promise<boolean> {
  const { rows } = await db.query(
    `WITH alive AS (
       UPDATE workers SET last_heartbeat = $2 WHERE id = $1 AND status <> 'offline' RETURNING id
     ),
     extended AS (
       UPDATE tasks SET lease_expires_at = $2::timestamptz + make_interval(secs => $3::float8 / 1000.0)
       WHERE lease_owner = $1::text AND status = 'running' AND EXISTS (SELECT 1 FROM alive)
         AND ($4::uuid[] IS NULL OR id = ANY($4::uuid[]))
     )
     SELECT id FROM alive`,
    () => [workerId, now(), leaseMs, executingTaskIds?.() ?? null],
  );
  return rows.length > 0;
}

export async function setWorkerStatus(
  db: SqlExecutor,
  workerId: string,
  status: WorkerStatus,
  now: Date,
): Promise<void> {
  await db.query(
    `WITH changed AS (UPDATE workers SET status = $2, last_heartbeat = $3 WHERE id = $1 AND status <> $2 RETURNING id)
     INSERT INTO events (event_type, actor_id, payload, created_at)
     SELECT CASE $2 WHEN 'draining' THEN 'WorkerDraining' WHEN 'offline' THEN 'WorkerStopped' ELSE 'WorkerActive' END,
            id, jsonb_build_object('to', $2::text), $3 FROM changed`,
    [workerId, status, now],
  );
}

/** A worker just declared dead, with the shards it consumed (null: not recorded, so all). */
export interface LostWorker {
  readonly id: string;
  readonly shards: readonly number[] | null;
}

/** `shards`: the metadata's list of shards the worker consumed, when it recorded one. */
const lostWorker = workerRow.pick('id').extend({ shards: nullable(json) });

/**
 * Workers whose last heartbeat is older than `deadlineMs` before `now`, read when the statement
 * runs (as heartbeats are): a check that waited behind a long statement judges by the time it ran.
 */
export async function markDeadWorkers(
  db: SqlExecutor,
  deadlineMs: number,
  now: () => number,
): Promise<LostWorker[]> {
  const { rows } = await db.query(
    `WITH lost AS (
       UPDATE workers SET status = 'offline'
       WHERE status <> 'offline' AND last_heartbeat < $1
       RETURNING id, last_heartbeat, metadata -> 'shards' AS shards
     ),
     logged AS (
       INSERT INTO events (event_type, actor_id, payload, created_at)
       SELECT 'WorkerLost', id, jsonb_build_object('to', 'offline', 'last_heartbeat', ${isoTimestampSql('last_heartbeat')}), $2
       FROM lost
     )
     SELECT id, shards FROM lost`,
    () => {
      const at = now();
      return [new Date(at - deadlineMs), new Date(at)];
    },
  );
  return rows.map((row) => {
    const { id, shards } = lostWorker.decode(row);
    return {
      id,
      shards: Array.isArray(shards) ? shards.filter((s): s is number => Number.isInteger(s)) : null,
    };
  });
}

export async function listWorkers(
  db: SqlExecutor,
  options: { includeOffline: boolean },
): Promise<WorkerRecord[]> {
  const { rows } = await db.query(
    `SELECT ${workerRow.columns()} FROM workers
     ${options.includeOffline ? '' : "WHERE status <> 'offline'"} ORDER BY registered_at DESC LIMIT 1000`,
  );
  return rows.map(workerRow.decode);
}
