import { AstraError } from '../../../errors/index.js';

/**
 * Maps what ioredis throws to the bus codes. Server replies (ReplyError) are the server's verdict:
 * NOGROUP means the group or stream is missing (never created, or lost in a restart), LOADING/BUSY
 * and friends mean the server is there but cannot serve yet. Every other failure of a call —
 * "Connection is closed.", ECONNREFUSED, an unwritable stream with the offline queue disabled, the
 * retry limit — means the server could not be reached, which callers may retry later.
 */
const TRANSIENT_REPLIES = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY)\b/;

export function toBusError(error: unknown, operation: string): AstraError {
  if (error instanceof AstraError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === 'ReplyError') {
    if (message.includes('NOGROUP')) {
      return new AstraError('ASTRA_BUS_GROUP_MISSING', `Redis ${operation}: ${message}`, { cause: error });
    }
    if (TRANSIENT_REPLIES.test(message)) {
      return new AstraError('ASTRA_BUS_UNAVAILABLE', `Redis ${operation}: ${message}`, { cause: error });
    }
    return new AstraError('ASTRA_INTERNAL', `Redis ${operation} failed: ${message}`, { cause: error });
  }
  if (error instanceof TypeError || error instanceof RangeError || error instanceof SyntaxError) {
    return new AstraError('ASTRA_INTERNAL', `Redis ${operation} failed: ${message}`, { cause: error });
  }
  return new AstraError('ASTRA_BUS_UNAVAILABLE', `Redis unreachable during ${operation}: ${message}`, {
    cause: error,
    details: { operation },
  });
}
