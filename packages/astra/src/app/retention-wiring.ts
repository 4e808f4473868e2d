import type { AstraConfig } from '../config/index.js';
import { AstraError } from '../errors/index.js';
import { fileExporter, type RetentionLoop, startRetention } from '../kernel/index.js';
import type { SqlStore } from '../ports/sql-store.js';
import type { Clock } from '../time/clock.js';

/**
 * The retention maintenance of a node running the scheduler role (docs/retention.md): rounds run
 * while this node's scheduler holds shard 0; goals deleted past retention leave the read caches.
 */
export function startNodeRetention(
  deps: {
    readonly store: SqlStore;
    readonly clock: Clock;
    readonly isLeader: () => boolean;
    readonly forgetGoals: (goals: readonly string[]) => Promise<void>;
    readonly onError: (error: unknown, context: string) => void;
  },
  config: AstraConfig,
): RetentionLoop {
  const dir = config.retentionArchiveDir;
  if (config.retentionArchival === 'file' && dir === undefined) {
    throw new AstraError(
      'ASTRA_CONFIG_INVALID',
      'ASTRA_RETENTION_ARCHIVAL=file needs ASTRA_RETENTION_ARCHIVE_DIR (where the archive files go)',
      { details: { setting: 'retentionArchiveDir' } },
    );
  }
  return startRetention(
    {
      store: deps.store,
      clock: deps.clock,
      isLeader: deps.isLeader,
      onGoalsDeleted: deps.forgetGoals,
      onError: deps.onError,
    },
    {
      everyMs: config.retentionEveryMs,
      retentionMs: config.retentionMs,
      archiveAfterMs: config.retentionArchiveAfterMs,
      partitionMs: config.retentionPartitionMs,
      partitionsAhead: config.retentionPartitionsAhead,
      archiveBatchGoals: config.retentionBatchGoals,
      archival: config.retentionArchival,
      ...(dir === undefined ? {} : { exporter: fileExporter(dir) }),
    },
  );
}
