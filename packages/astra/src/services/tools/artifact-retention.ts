import { deleteExpiredArtifacts } from './artifact-ledger.js';
import type { ArtifactKeeper } from './call-artifacts.js';

/**
 * Artifact retention: every `everyMs` on the injected clock, the records of artifacts past their
 * expiry are deleted from the ledger (`task_artifacts`) and the store's `sweep()` deletes expired
 * bytes (and abandoned partial uploads). The node that runs the scheduler role runs it
 * (app/node.ts); several such nodes sweeping at once is harmless (each delete is idempotent). A
 * failed sweep is reported and the next one runs on time.
 */
export const ARTIFACT_RETENTION_DEFAULTS = { sweepMs: 3_600_000 } as const;

export interface SweepCounts {
  /** Ledger rows deleted. */
  readonly records: number;
  /** Artifacts the store deleted. */
  readonly artifacts: number;
}

/** One sweep: the expired records, then the expired bytes. */
export async function sweepArtifacts(keeper: ArtifactKeeper): Promise<SweepCounts> {
  const records = await deleteExpiredArtifacts(keeper.db, keeper.clock.now());
  const { deleted } = await keeper.store.sweep();
  return { records, artifacts: deleted };
}

export interface ArtifactRetention {
  stop(): Promise<void>;
}

export function startArtifactRetention(
  keeper: ArtifactKeeper,
  options: {
    readonly everyMs?: number;
    readonly onSwept?: (counts: SweepCounts) => void;
    readonly onError: (error: unknown, context: string) => void;
  },
): ArtifactRetention {
  const everyMs = options.everyMs ?? ARTIFACT_RETENTION_DEFAULTS.sweepMs;
  const stopping = new AbortController();
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        await keeper.clock.sleep(everyMs, stopping.signal);
      } catch {
        return; // stopped while waiting
      }
      try {
        options.onSwept?.(await sweepArtifacts(keeper));
      } catch (error) {
        options.onError(error, 'artifact retention sweep failed');
      }
    }
  })();
  return {
    stop: async () => {
      stopping.abort();
      await loop;
    },
  };
}
