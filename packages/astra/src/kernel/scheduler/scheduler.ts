import type { Bus } from '../../ports/bus.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import type { TaskEngine } from '../tasks/engine.js';
import { SCHEDULER_DEFAULTS } from './scheduler-defaults.js';
import { balanceShards, releaseShards } from './shard-leases.js';

/**
 * The scheduler role: recovery, never the hot path. Tasks become ready and are published by the
 * transaction that readied them (graph creation, a parent's completion); this loop only repairs.
 *
 * Every sweepMs it balances shard leases with the other scheduler instances, then for each shard it
 * holds:
 * - bus loss: each shard has a marker stream; when it is empty the bus lost its data (a Redis
 *   restarted with nothing on disk, or an in-process bus after a restart), so the marker is
 *   written again and every `queued` task of the shard is published again;
 * - due work: `pending` tasks whose time has passed (retries, sleeps whose timer was lost) are
 *   dispatched;
 * - expired leases: running attempts whose lease ran out fail retryably (the worker is gone or
 *   stuck);
 * - lost messages: every republishEveryMs, `queued` tasks untouched for republishAfterMs are
 *   published again (a publish after commit failed, or the bus dropped them);
 * - stranded goals (holder of shard 0, same period): blocked goals whose dependencies ended but
 *   whose cascade never ran (a crash between a goal's end and its cascade) are started or failed;
 * - stalled staged graphs (holder of shard 0, same period): a large graph written in chunks whose
 *   writer died is deleted (never activated, after stagingTimeoutMs) or finished (activated,
 *   after chunkResumeAfterMs); so is the chunked readying of a completed task's many children
 *   (tasks/sql/ready-children.ts, after chunkResumeAfterMs);
 * - expired approvals (holder of shard 0, every sweep): pending approval requests past their
 *   expiry end `expired`, failing their goal or task ("approval expired"), by the injected clock.
 * Duplicate messages cost nothing but a refused claim.
 */
export interface SchedulerOptions {
  readonly store: SqlStore;
  readonly bus: Bus;
  readonly engine: TaskEngine;
  readonly clock: Clock;
  /** This instance's name in shard_leases. */
  readonly owner: string;
  /** Defaults for this and below: SCHEDULER_DEFAULTS (scheduler-defaults.ts). */
  readonly sweepMs?: number;
  /** Shard lease length. */
  readonly leaseTtlMs?: number;
  readonly republishAfterMs?: number;
  readonly republishEveryMs?: number;
  readonly stagingTimeoutMs?: number;
  readonly chunkResumeAfterMs?: number;
  readonly onError?: (error: unknown, context: string) => void;
  /** Called after each sweep with the shards held (observability and tests). */
  readonly onSweep?: (report: SweepReport) => void;
}

export interface SweepReport {
  readonly shards: readonly number[];
  readonly dispatched: number;
  readonly released: number;
  readonly republished: number;
  readonly busLossShards: readonly number[];
  readonly expiredApprovals: number;
}

export interface Scheduler {
  shards(): readonly number[];
  /** Runs one sweep now (tests and the CLI use it; the loop calls it every sweepMs). */
  sweep(): Promise<SweepReport>;
  stop(): Promise<void>;
}

export const SHARD_MARKER_PREFIX = 'astra:tasks:marker:';

export function startScheduler(options: SchedulerOptions): Scheduler {
  const { store, bus, engine, clock, owner } = options;
  const sweepMs = options.sweepMs ?? SCHEDULER_DEFAULTS.sweepMs;
  const republishAfterMs = options.republishAfterMs ?? SCHEDULER_DEFAULTS.republishAfterMs;
  const republishEveryMs = options.republishEveryMs ?? SCHEDULER_DEFAULTS.republishEveryMs;
  const report = options.onError ?? (() => undefined);
  const stop = new AbortController();
  let held: number[] = [];
  let nextRepublishAt = clock.now() + republishEveryMs;

  const sweep = async (): Promise<SweepReport> => {
    const now = clock.now();
    held = await balanceShards(store, {
      owner,
      shardCount: engine.shardCount,
      now: new Date(now),
      ttlMs: options.leaseTtlMs ?? SCHEDULER_DEFAULTS.leaseTtlMs,
    });
    const busLossShards: number[] = [];
    let republished = 0;
    for (const shard of held) {
      const marker = `${SHARD_MARKER_PREFIX}${shard}`;
      if ((await bus.length(marker)) === 0) {
        await bus.publish(marker, { owner, at: String(now) }, { maxLen: 10 });
        busLossShards.push(shard);
      }
    }
    if (busLossShards.length > 0) republished += await engine.republishQueued(busLossShards, -1);
    const dispatched = held.length === 0 ? 0 : await engine.dispatchDue(held);
    const released = held.length === 0 ? 0 : await engine.releaseExpiredLeases(held);
    if (now >= nextRepublishAt && held.length > 0) {
      nextRepublishAt = now + republishEveryMs;
      republished += await engine.republishQueued(held, republishAfterMs);
      // Goals are not sharded: the holder of shard 0 finishes cascades a crash interrupted.
      if (held.includes(0)) await engine.cascadeStrandedGoals();
      if (held.includes(0)) {
        const resumeAfterMs = options.chunkResumeAfterMs ?? SCHEDULER_DEFAULTS.chunkResumeAfterMs;
        await engine.recoverStagedGraphs(
          options.stagingTimeoutMs ?? SCHEDULER_DEFAULTS.stagingTimeoutMs,
          resumeAfterMs,
        );
        await engine.resumeReadying(resumeAfterMs);
      }
    }
    // Approvals are not sharded either: the holder of shard 0 expires them.
    const expiredApprovals = held.includes(0) ? await engine.expireApprovals() : 0;
    const result = { shards: held, dispatched, released, republished, busLossShards, expiredApprovals };
    options.onSweep?.(result);
    return result;
  };

  const loop = (async () => {
    while (!stop.signal.aborted) {
      await sweep().catch((error: unknown) => report(error, 'scheduler sweep'));
      await clock.sleep(sweepMs, stop.signal).catch(() => undefined);
    }
  })();

  return {
    shards: () => held,
    sweep,
    stop: async () => {
      stop.abort();
      await loop;
      await releaseShards(store, owner).catch((error: unknown) => report(error, 'scheduler release'));
    },
  };
}
