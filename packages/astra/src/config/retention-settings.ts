import { z } from 'zod';
import { PARTITION_ARCHIVAL_MODES, RETENTION_DEFAULTS } from '../kernel/index.js';

/**
 * The retention settings (docs/retention.md): partitions of `events` and `task_history`, when a
 * finished goal's tasks leave the hot `tasks` table, and how long anything is kept. The node
 * running the scheduler role runs the maintenance. settings.ts spreads these into its table.
 */
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);

export const RETENTION_SETTINGS = {
  retentionMs: {
    env: 'ASTRA_RETENTION_MS',
    flag: 'retention-ms',
    schema: nonNegativeInt,
    default: RETENTION_DEFAULTS.retentionMs,
    description:
      'How long events, ended goals and their tasks are kept (by partition: up to one ASTRA_RETENTION_PARTITION_MS longer); 0 keeps everything.',
  },
  retentionArchiveAfterMs: {
    env: 'ASTRA_RETENTION_ARCHIVE_AFTER_MS',
    flag: 'retention-archive-after-ms',
    schema: nonNegativeInt,
    default: RETENTION_DEFAULTS.archiveAfterMs,
    description:
      "How long an ended goal's tasks stay in the hot tasks table before moving to task_history (reads fall back to it).",
  },
  retentionPartitionMs: {
    env: 'ASTRA_RETENTION_PARTITION_MS',
    flag: 'retention-partition-ms',
    schema: z.coerce.number().int().min(60_000),
    default: RETENTION_DEFAULTS.partitionMs,
    description: 'Width of one partition of events and task_history (a UTC day); at least a minute.',
  },
  retentionPartitionsAhead: {
    env: 'ASTRA_RETENTION_PARTITIONS_AHEAD',
    flag: 'retention-partitions-ahead',
    schema: z.coerce.number().int().min(1).max(1_000),
    default: RETENTION_DEFAULTS.partitionsAhead,
    description: 'Partitions created ahead of now.',
  },
  retentionEveryMs: {
    env: 'ASTRA_RETENTION_EVERY_MS',
    flag: 'retention-every-ms',
    schema: positiveInt,
    default: RETENTION_DEFAULTS.everyMs,
    description: 'How often the maintenance round runs (on the scheduler holding shard 0).',
  },
  retentionArchival: {
    env: 'ASTRA_RETENTION_ARCHIVAL',
    flag: 'retention-archival',
    schema: z.enum(PARTITION_ARCHIVAL_MODES),
    default: 'drop',
    description:
      'What happens to a partition past retention: drop; detach (kept as a plain table for the operator); file (gzipped JSON lines in ASTRA_RETENTION_ARCHIVE_DIR, then dropped).',
  },
  retentionArchiveDir: {
    env: 'ASTRA_RETENTION_ARCHIVE_DIR',
    flag: 'retention-archive-dir',
    schema: z.string().min(1),
    description: 'Folder of the archive files (with ASTRA_RETENTION_ARCHIVAL=file).',
  },
  retentionBatchGoals: {
    env: 'ASTRA_RETENTION_BATCH_GOALS',
    flag: 'retention-batch-goals',
    schema: z.coerce.number().int().min(1).max(10_000),
    default: RETENTION_DEFAULTS.archiveBatchGoals,
    description: 'Ended goals moved to task_history (or deleted past retention) per statement.',
  },
} as const;
