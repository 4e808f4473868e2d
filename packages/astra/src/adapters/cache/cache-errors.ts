import { AstraError } from '../../errors/index.js';

/** The errors every cache adapter raises for the same conditions, with the adapter named in details. */
export function cacheClosedError(adapter: string): AstraError {
  return new AstraError('ASTRA_CACHE_CLOSED', `the ${adapter} cache was used after close()`, {
    details: { adapter },
  });
}

export function cacheUnavailableError(adapter: string, cause: unknown): AstraError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new AstraError('ASTRA_CACHE_UNAVAILABLE', `the ${adapter} cache server is unavailable: ${reason}`, {
    details: { adapter },
    cause,
  });
}
