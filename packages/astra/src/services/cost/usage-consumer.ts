import type { AstraError } from '../../errors/index.js';
import { type Consumer, type ConsumerErrorContext, GroupCommit, startConsumer } from '../../kernel/index.js';
import type { Bus } from '../../ports/bus.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { COST_DEFAULTS } from './cost-defaults.js';
import { usageFromFields } from './usage-record.js';
import { writeUsage } from './usage-store.js';

/**
 * Reads `astra:usage` (group `usage-consumer`) and writes `llm_usage` rows with their `LLMUsage`
 * events. Messages handled at once go to the database together (one statement per batch, group
 * commit); a message is acked only once its batch committed, so a crash redelivers it, and the
 * row's request_id makes the second write a no-op. A malformed message fails its delivery and is
 * dead-lettered after the bus's maxDeliveries.
 */
export interface UsageConsumerOptions {
  readonly bus: Bus;
  readonly store: SqlStore;
  /** This process's consumer name in the group (unique per live process). */
  readonly consumer: string;
  readonly clock?: Clock;
  /** Default COST_DEFAULTS.usageStream / usageGroup. */
  readonly stream?: string;
  readonly group?: string;
  /** Messages read at once and handled together; default COST_DEFAULTS.usageBatch. */
  readonly batchSize?: number;
  /** How long a delivered message may stay unacked before another consumer takes it over. */
  readonly minIdleMs?: number;
  readonly blockMs?: number;
  readonly onError?: (error: AstraError, context: ConsumerErrorContext) => void;
  /** Told after each batch commits: its records' request ids and how many rows were new. */
  readonly onWritten?: (requestIds: readonly string[], written: number) => void;
}

export function startUsageConsumer(options: UsageConsumerOptions): Consumer {
  const batchSize = options.batchSize ?? COST_DEFAULTS.usageBatch;
  const rows = new GroupCommit({
    maxBatch: batchSize,
    flush: async (records: readonly ReturnType<typeof usageFromFields>[]) => {
      const written = await writeUsage(options.store, records);
      options.onWritten?.(
        records.map((r) => r.requestId),
        written,
      );
      return records.map(() => undefined);
    },
  });
  return startConsumer(options.bus, {
    group: options.group ?? COST_DEFAULTS.usageGroup,
    consumer: options.consumer,
    streams: [options.stream ?? COST_DEFAULTS.usageStream],
    batchSize,
    concurrency: batchSize,
    handler: (message) => rows.submit(usageFromFields(message.fields)),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.minIdleMs === undefined ? {} : { minIdleMs: options.minIdleMs }),
    ...(options.blockMs === undefined ? {} : { blockMs: options.blockMs }),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
  });
}
