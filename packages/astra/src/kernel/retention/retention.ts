import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import type { PartitionExporter } from './file-archive.js';
import {
  PARTITIONED_TABLES,
  type PartitionRange,
  partitionsToCreate,
  partitionsToRetire,
  settledGaps,
} from './partition-plan.js';
import { type PartitionArchivalMode, RETENTION_DEFAULTS } from './retention-defaults.js';
import { archiveEndedGoalTasks, deleteExpiredGoals } from './sql/archive-tasks.js';
import {
  type BeforeAttach,
  createPartition,
  partitionPages,
  readPartitions,
  retirePartition,
} from './sql/partitions.js';

/**
 * The retention maintenance (docs/retention.md). One round, by the injected clock:
 * 1. partitions: `events` and `task_history` get range partitions up to `partitionsAhead` past
 *    now, never one an insert can still be routed to (a maintenance that fell behind starts them
 *    `settleMs` past now); a gap so left is filled once its end is `settleMs` past (rows the
 *    default partition holds for a new range move into it);
 * 2. archival: the tasks of goals ended more than `archiveAfterMs` ago move from `tasks` to
 *    `task_history`, `archiveBatchGoals` goals per statement;
 * 3. retention (only when `retentionMs` > 0): goals ended before the oldest retiring history
 *    partition's upper bound are deleted (the read caches are told), then every partition wholly
 *    older than now − retentionMs is exported (mode `file`), detached (`detach`) or dropped.
 * Each step is its own short transaction, so the hot path never waits on a round; a step that
 * fails (a lock timeout) is reported and retried next round. The node running the scheduler role
 * runs the loop while it holds shard 0 (`isLeader`), so one round runs at a time across nodes;
 * two at once would still be safe (SKIP LOCKED; a partition created twice fails on its name).
 */
export interface RetentionOptions {
  readonly partitionMs?: number;
  readonly partitionsAhead?: number;
  readonly retentionMs?: number;
  readonly archiveAfterMs?: number;
  readonly archiveBatchGoals?: number;
  readonly maxBatchesPerRound?: number;
  readonly lockTimeoutMs?: number;
  readonly settleMs?: number;
  readonly archival?: PartitionArchivalMode;
  /** Required with archival `file`. */
  readonly exporter?: PartitionExporter;
}

export interface RetentionReport {
  readonly created: readonly string[];
  /** Rows moved out of a default partition into a new range partition. */
  readonly movedFromDefault: number;
  readonly archivedGoals: number;
  readonly archivedTasks: number;
  readonly deletedGoals: number;
  readonly retired: readonly string[];
  /** Files written by archival `file`. */
  readonly files: readonly string[];
  readonly durationMs: number;
}

export interface RetentionDeps {
  readonly store: SqlStore;
  readonly clock: Clock;
  /** Told the goals deleted, so the read caches forget them. */
  readonly onGoalsDeleted?: (goals: readonly string[]) => Promise<void> | void;
  readonly onError?: (error: unknown, context: string) => void;
  readonly beforeAttach?: BeforeAttach;
}

type Resolved = Required<Omit<RetentionOptions, 'exporter'>> & Pick<RetentionOptions, 'exporter'>;

export function resolveRetentionOptions(options: RetentionOptions): Resolved {
  const resolved = { ...RETENTION_DEFAULTS, archival: 'drop' as const, ...options };
  if (resolved.archival === 'file' && resolved.exporter === undefined) {
    throw new Error('retention archival "file" needs an exporter (ASTRA_RETENTION_ARCHIVE_DIR)');
  }
  if (!(resolved.partitionMs > 0)) throw new Error('retention partitionMs must be positive');
  return resolved;
}

export async function runRetentionRound(
  deps: RetentionDeps,
  options: RetentionOptions,
): Promise<RetentionReport> {
  const o = resolveRetentionOptions(options);
  const started = deps.clock.now();
  const report = (error: unknown, context: string): void => deps.onError?.(error, context);
  const plan = {
    partitionMs: o.partitionMs,
    partitionsAhead: o.partitionsAhead,
    retentionMs: o.retentionMs,
    settleMs: o.settleMs,
  };
  const created: string[] = [];
  let movedFromDefault = 0;
  const create = async (range: PartitionRange): Promise<boolean> => {
    try {
      movedFromDefault += await createPartition(deps.store, range, {
        lockTimeoutMs: o.lockTimeoutMs,
        ...(deps.beforeAttach === undefined ? {} : { beforeAttach: deps.beforeAttach }),
      });
      created.push(range.name);
      return true;
    } catch (error) {
      report(error, `retention: creating partition ${range.name}`);
      return false;
    }
  };

  const existing = await readPartitions(deps.store);
  for (const parent of PARTITIONED_TABLES) {
    for (const range of partitionsToCreate(parent, existing, started, plan)) {
      if (!(await create(range))) break; // the next ones start where this one would have; retried next round
    }
    for (const gap of settledGaps(parent, existing, started, plan)) await create(gap);
  }

  let archivedGoals = 0;
  let archivedTasks = 0;
  const endedBefore = new Date(started - o.archiveAfterMs);
  for (let batch = 0; batch < o.maxBatchesPerRound; batch++) {
    const moved = await archiveEndedGoalTasks(deps.store, {
      endedBefore,
      maxGoals: o.archiveBatchGoals,
      now: new Date(deps.clock.now()),
    });
    archivedGoals += moved.goals;
    archivedTasks += moved.tasks;
    if (moved.goals < o.archiveBatchGoals) break;
  }

  const retiring = partitionsToRetire(await readPartitions(deps.store), started, plan);
  const deletedGoals = await deleteGoalsOf(deps, retiring, o);
  const retired: string[] = [];
  const files: string[] = [];
  for (const range of retiring) {
    try {
      if (o.archival === 'file' && o.exporter !== undefined) {
        files.push(await o.exporter(range.name, partitionPages(deps.store, range, 5_000)));
      }
      await retirePartition(deps.store, range, {
        keep: o.archival === 'detach',
        lockTimeoutMs: o.lockTimeoutMs,
      });
      retired.push(range.name);
    } catch (error) {
      report(error, `retention: retiring partition ${range.name}`);
    }
  }
  return {
    created,
    movedFromDefault,
    archivedGoals,
    archivedTasks,
    deletedGoals,
    retired,
    files,
    durationMs: deps.clock.now() - started,
  };
}

/** Goals whose history partition retires: those ended before its upper bound. */
async function deleteGoalsOf(
  deps: RetentionDeps,
  retiring: readonly PartitionRange[],
  o: Resolved,
): Promise<number> {
  const bounds = retiring.filter((p) => p.parent === 'task_history').map((p) => p.toMs);
  if (bounds.length === 0) return 0;
  const endedBefore = new Date(Math.max(...bounds));
  let deleted = 0;
  for (let batch = 0; batch < o.maxBatchesPerRound; batch++) {
    const goals = await deleteExpiredGoals(deps.store, { endedBefore, maxGoals: o.archiveBatchGoals });
    deleted += goals.length;
    if (goals.length > 0) await deps.onGoalsDeleted?.(goals);
    if (goals.length < o.archiveBatchGoals) break;
  }
  return deleted;
}

export interface RetentionLoop {
  /** Runs one round now (tests, the soak benchmark). */
  runOnce(): Promise<RetentionReport>;
  stop(): Promise<void>;
}

/** Runs a round every `everyMs` on the injected clock while `isLeader()`; the first at once. */
export function startRetention(
  deps: RetentionDeps & {
    readonly isLeader?: () => boolean;
    readonly onRound?: (r: RetentionReport) => void;
  },
  options: RetentionOptions & { readonly everyMs?: number },
): RetentionLoop {
  resolveRetentionOptions(options);
  const everyMs = options.everyMs ?? RETENTION_DEFAULTS.everyMs;
  const stopping = new AbortController();
  let running: Promise<RetentionReport> | null = null;
  const runOnce = (): Promise<RetentionReport> => {
    running ??= runRetentionRound(deps, options).finally(() => {
      running = null;
    });
    return running;
  };
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      if (deps.isLeader?.() ?? true) {
        try {
          deps.onRound?.(await runOnce());
        } catch (error) {
          deps.onError?.(error, 'retention round failed');
        }
      }
      try {
        await deps.clock.sleep(everyMs, stopping.signal);
      } catch {
        return;
      }
    }
  })();
  return {
    runOnce,
    stop: async () => {
      stopping.abort();
      await loop;
      await running?.catch(() => undefined);
    },
  };
}
