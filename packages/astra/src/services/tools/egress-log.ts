import type { EgressRecord, EgressSink } from '../../ports/egress.js';
import {
  bigintAsNumber,
  int,
  nullable,
  oneOf,
  tableRow,
  text,
  timestamp,
  uuid,
} from '../../ports/sql-rows.js';
import type { SqlExecutor, SqlStore } from '../../ports/sql-store.js';
import { type Clock, systemClock } from '../../time/clock.js';

/**
 * The egress proxy's persistent sink: every request a tool run sent (allowed, refused or failed)
 * as one `egress_log` row (migration 0015). `record` never blocks or throws (ports/egress.ts): it
 * queues, and a flush writes the queue as one multi-row insert, at most every `flushMs` (100 ms)
 * or `flushSize` (200) records. A failed write is reported to `onError` and its records are lost;
 * past `maxQueued` (10,000) unwritten records the oldest are dropped and counted (`dropped`), so a
 * database outage cannot grow the node's memory. `close` flushes what is queued (await it at
 * shutdown so no record of a clean stop is lost).
 *
 * Retention: after a write, at most once per `pruneEveryMs` (an hour) by the clock, records older
 * than `retentionDays` (30) are deleted, oldest first, in steps of `pruneBatch` (10,000) ids, so the
 * table's size is held by its request rate times the retention.
 */
export const EGRESS_LOG_DEFAULTS = {
  flushMs: 100,
  flushSize: 200,
  maxQueued: 10_000,
  retentionDays: 30,
  pruneEveryMs: 3_600_000,
  pruneBatch: 10_000,
} as const;

export interface EgressLogSinkOptions {
  readonly store: SqlStore;
  readonly onError: (error: unknown) => void;
  readonly flushMs?: number;
  readonly flushSize?: number;
  readonly maxQueued?: number;
  readonly retentionDays?: number;
  readonly pruneEveryMs?: number;
  readonly clock?: Clock;
}

export interface EgressLogSink extends EgressSink {
  /** Records dropped because the queue was full. */
  readonly dropped: number;
  /** Writes what is queued; resolves when it (and any earlier flush) is stored or reported. */
  flush(): Promise<void>;
  /** Flushes, then ignores later records. */
  close(): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An id column's value: a uuid, or null for anything else (a record must never fail its batch). */
const uuidOrNull = (value: string): string | null => (UUID.test(value) ? value : null);
const bounded = (value: number, max: number): number =>
  Number.isFinite(value) ? Math.min(max, Math.max(0, Math.round(value))) : 0;
const INT_MAX = 2_147_483_647;

export function createEgressLogSink(options: EgressLogSinkOptions): EgressLogSink {
  const flushMs = options.flushMs ?? EGRESS_LOG_DEFAULTS.flushMs;
  const flushSize = options.flushSize ?? EGRESS_LOG_DEFAULTS.flushSize;
  const maxQueued = options.maxQueued ?? EGRESS_LOG_DEFAULTS.maxQueued;
  let pending: EgressRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  const clock = options.clock ?? systemClock;
  const retentionMs = (options.retentionDays ?? EGRESS_LOG_DEFAULTS.retentionDays) * 86_400_000;
  const pruneEveryMs = options.pruneEveryMs ?? EGRESS_LOG_DEFAULTS.pruneEveryMs;
  let prunedAt = Number.NEGATIVE_INFINITY;
  let dropped = 0;
  let closed = false;

  const write = async (batch: readonly EgressRecord[]): Promise<void> => {
    try {
      await writeEgressRecords(options.store, batch);
      const now = clock.now();
      if (now - prunedAt >= pruneEveryMs) {
        prunedAt = now;
        await pruneEgressLog(options.store, new Date(now - retentionMs).toISOString());
      }
    } catch (error) {
      options.onError(error);
    }
  };

  const flush = (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = [];
    flushing = flushing.then(() => (batch.length === 0 ? undefined : write(batch)));
    return flushing;
  };

  return {
    get dropped() {
      return dropped;
    },
    record(entry) {
      if (closed) return;
      pending.push(entry);
      if (pending.length > maxQueued) {
        pending.shift();
        dropped += 1;
      }
      if (pending.length >= flushSize) void flush();
      else if (timer === undefined) {
        timer = setTimeout(() => void flush(), flushMs);
        timer.unref();
      }
    },
    flush,
    async close() {
      closed = true;
      await flush();
    },
  };
}

/** One multi-row insert of the records given. */
export async function writeEgressRecords(db: SqlExecutor, batch: readonly EgressRecord[]): Promise<void> {
  if (batch.length === 0) return;
  await db.query(
    `INSERT INTO egress_log
       (task_id, agent_id, org_id, tool, session_id, method, scheme, host, port, status, outcome, code,
        bytes_out, bytes_in, duration_ms, at)
     SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[],
                          $7::text[], $8::text[], $9::int[], $10::int[], $11::text[], $12::text[],
                          $13::bigint[], $14::bigint[], $15::int[], $16::timestamptz[])`,
    [
      batch.map((r) => uuidOrNull(r.taskId)),
      batch.map((r) => uuidOrNull(r.agentId)),
      batch.map((r) => uuidOrNull(r.orgId)),
      batch.map((r) => r.tool),
      batch.map((r) => r.sessionId),
      batch.map((r) => r.method),
      batch.map((r) => r.scheme),
      batch.map((r) => r.host),
      batch.map((r) => bounded(r.port, 65_535)),
      batch.map((r) => bounded(r.status, 999)),
      batch.map((r) => r.outcome),
      batch.map((r) => r.code),
      batch.map((r) => bounded(r.bytesOut, Number.MAX_SAFE_INTEGER)),
      batch.map((r) => bounded(r.bytesIn, Number.MAX_SAFE_INTEGER)),
      batch.map((r) => bounded(r.durationMs, INT_MAX)),
      batch.map((r) => r.at),
    ],
  );
}

/**
 * Deletes records older than `before` (ISO time), oldest ids first, `batch` at a time; answers how
 * many. Ids grow with time, so each step reads only the head of the primary key.
 */
export async function pruneEgressLog(
  db: SqlExecutor,
  before: string,
  batch: number = EGRESS_LOG_DEFAULTS.pruneBatch,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const { rowCount } = await db.query(
      `DELETE FROM egress_log WHERE id IN (SELECT id FROM egress_log ORDER BY id LIMIT $2) AND at < $1`,
      [before, batch],
    );
    deleted += rowCount;
    if (rowCount < batch) return deleted;
  }
}

/** The table's one row decoder (test/conformance/table-rows.test.ts checks it against the schema). */
export const egressLogRow = tableRow('egress_log', {
  id: bigintAsNumber,
  taskId: nullable(uuid),
  agentId: nullable(uuid),
  orgId: nullable(uuid),
  tool: text,
  sessionId: text,
  method: text,
  scheme: oneOf(['http', 'https', 'connect'] as const),
  host: text,
  port: int,
  status: int,
  outcome: oneOf(['allowed', 'denied', 'failed'] as const),
  code: nullable(text),
  bytesOut: bigintAsNumber,
  bytesIn: bigintAsNumber,
  durationMs: int,
  at: timestamp,
});

export type EgressLogEntry = ReturnType<typeof egressLogRow.decode>;

/** Up to `limit` records of a task after the record id `after` (0: from the first), oldest first. */
export async function readTaskEgress(
  db: SqlExecutor,
  taskId: string,
  page: { readonly after: number; readonly limit: number },
): Promise<EgressLogEntry[]> {
  const { rows } = await db.query(
    `SELECT ${egressLogRow.columns()} FROM egress_log WHERE task_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
    [taskId, page.after, page.limit],
  );
  return rows.map(egressLogRow.decode);
}
