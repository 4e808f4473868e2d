import type http from 'node:http';
import type https from 'node:https';
import { performance } from 'node:perf_hooks';
import type {
  EgressIdentity,
  EgressOutcome,
  EgressRecord,
  EgressRefusal,
  EgressSink,
} from '../../ports/egress.js';
import type { Clock } from '../../time/clock.js';
import { isoTimestamp } from '../../time/iso.js';
import type { CompiledGrants } from './grants.js';
import type { EgressResolver } from './upstream-address.js';

/** What the request and tunnel handlers need from the proxy, for one session. */
export interface SessionContext {
  readonly id: string;
  readonly identity: EgressIdentity;
  readonly grants: CompiledGrants;
  readonly resolve: EgressResolver;
  readonly clock: Clock;
  readonly sink: EgressSink;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** Extra certificate authorities trusted for upstream TLS (PEM), beside the system's. */
  readonly ca: string | undefined;
  /** This session's connection pools: keep-alive sockets are never shared across sessions. */
  readonly agents: { readonly http: http.Agent; readonly https: https.Agent };
  /** Registers something to destroy when the session closes; the returned function forgets it. */
  track(resource: { destroy(): void }): () => void;
  /** Counts the session's refused requests (outcome `denied`) and keeps the latest one. */
  readonly stats: { refusals: number; last: EgressRefusal | null };
}

export interface RecordStart {
  readonly method: string;
  readonly scheme: EgressRecord['scheme'];
  readonly host: string;
  readonly port: number;
}

export interface RecordEnd {
  readonly status: number;
  readonly outcome: EgressOutcome;
  readonly code: string | null;
  readonly bytesOut: number;
  readonly bytesIn: number;
}

/**
 * Starts the log record of one request; the returned function writes it to the sink, once (later
 * calls are ignored, so every path that may end a request can call it).
 */
export function startRecord(context: SessionContext, start: RecordStart): (end: RecordEnd) => void {
  const at = isoTimestamp(new Date(context.clock.now()));
  const began = performance.now();
  let done = false;
  return (end) => {
    if (done) return;
    done = true;
    const entry = {
      ...context.identity,
      sessionId: context.id,
      at,
      ...start,
      ...end,
      durationMs: Math.round((performance.now() - began) * 1000) / 1000,
    };
    if (end.outcome === 'denied') {
      context.stats.refusals += 1;
      context.stats.last = { code: end.code ?? 'ASTRA_EGRESS_DENIED', host: start.host, port: start.port };
    }
    // A sink must not throw (ports/egress.ts); one that does loses this record, never the request.
    try {
      context.sink.record(entry);
    } catch {}
  };
}
