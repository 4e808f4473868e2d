/**
 * The scheduler's defaults, in one place (`startScheduler` and the settings table use them):
 * - sweepMs: how often it balances shard leases and runs the recovery sweeps (ASTRA_SCHEDULER_SWEEP_MS);
 * - leaseTtlMs: how long a shard lease lasts without renewal;
 * - republishAfterMs: `queued` tasks untouched this long get their message published again
 *   (ASTRA_REPUBLISH_AFTER_MS);
 * - republishEveryMs: how often that check runs;
 * - stagingTimeoutMs: a graph written in chunks, never activated, whose last step is older than
 *   this was left by a dead process: it is deleted (kernel/tasks/staged-graph.ts);
 * - chunkResumeAfterMs: chunked work that is safe to resume while its writer still runs (an
 *   activated graph's announcement, a completed task's readying) is resumed after this long still.
 */
export const SCHEDULER_DEFAULTS = {
  sweepMs: 1000,
  leaseTtlMs: 5000,
  republishAfterMs: 30_000,
  republishEveryMs: 5000,
  stagingTimeoutMs: 60_000,
  chunkResumeAfterMs: 2000,
} as const;
