/**
 * Defaults of the retention maintenance (docs/retention.md); the settings ASTRA_RETENTION_* take
 * theirs from here.
 * - partitionMs: width of one partition of `events` and `task_history` (a UTC day).
 * - partitionsAhead: partitions kept created ahead of now (3 days: a maintenance outage of that long
 *   still lands rows in range partitions; past it they land in the default partition, still kept).
 * - retentionMs: how long events, finished goals and their tasks are kept; 0 keeps them forever
 *   (nothing is deleted unless asked).
 * - archiveAfterMs: how long a finished goal's tasks stay in the hot `tasks` table before moving
 *   to `task_history` (10 min: at 1,200 tasks/s the hot table holds about 11 minutes of tasks).
 * - everyMs: one maintenance round per minute.
 * - archiveBatchGoals: goals moved per statement (a few thousand tasks at a time).
 * - maxBatchesPerRound: bounds one round, so a backlog drains over several rounds.
 * - settleMs: how far past now a new partition must start, and how long past its end a gap's rows
 *   wait in the default partition before they move (a minute: far longer than a kernel statement
 *   takes from reading the clock to its insert, including a pool wait of up to 5 s, and than the
 *   clock skew between nodes; see partition-plan.ts).
 */
export const RETENTION_DEFAULTS = {
  partitionMs: 86_400_000,
  partitionsAhead: 3,
  retentionMs: 0,
  archiveAfterMs: 600_000,
  everyMs: 60_000,
  archiveBatchGoals: 200,
  maxBatchesPerRound: 200,
  lockTimeoutMs: 2_000,
  settleMs: 60_000,
} as const;

/** What happens to a partition past retention: dropped; detached and kept as a plain table; or
 * written to a gzipped JSON-lines file (`archiveDir`) and then dropped. */
export const PARTITION_ARCHIVAL_MODES = ['drop', 'detach', 'file'] as const;
export type PartitionArchivalMode = (typeof PARTITION_ARCHIVAL_MODES)[number];
