/**
 * The worker manager's defaults, in one place (`startWorkerManager` and the settings table use
 * them): a worker silent for `deadlineMs` is dead (ASTRA_WORKER_DEADLINE_MS; workers beat every
 * second). Without `checkEveryMs`, the check runs five times per deadline, between 100 ms and 1 s
 * apart, so a death is noticed within 1.2 deadlines.
 */
export const WORKER_MANAGER_DEFAULTS = { deadlineMs: 5000 } as const;

export function defaultCheckEveryMs(deadlineMs: number): number {
  return Math.max(100, Math.min(1000, Math.floor(deadlineMs / 5)));
}
