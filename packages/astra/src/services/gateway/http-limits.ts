/**
 * How long the gateway's HTTP server waits on a client, so slow or silent connections cannot pile
 * up (a client that trickles a byte every few seconds would otherwise hold its socket forever).
 * Node's server enforces each bound; the defaults live here and nowhere else.
 * - headersTimeoutMs: from the connection's first byte to the end of the request's headers
 *   (slowloris: headers never finishing);
 * - requestTimeoutMs: from the first byte to the end of the body (slow bodies); at least the
 *   headers bound;
 * - keepAliveTimeoutMs: an idle kept-alive connection between requests. Above the 60 s idle time
 *   of common load balancers, so they close first and never send on a socket the server closed.
 * A request past its bound is answered 408 ASTRA_REQUEST_TIMEOUT and its connection closed.
 * Responses are not bounded here: event streams and exports legitimately last, and their writes
 * wait on the client's drain (services/api/drained.ts).
 */
export interface HttpTimeouts {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 72_000,
};

/** The server options that enforce the timeouts: what Fastify takes and what goes to Node's server. */
export interface HttpTimeoutOptions {
  readonly requestTimeout: number;
  readonly keepAliveTimeout: number;
  readonly http: { readonly headersTimeout: number; readonly connectionsCheckingInterval: number };
}

export function httpTimeoutOptions(overrides: Partial<HttpTimeouts> = {}): HttpTimeoutOptions {
  const timeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...definedOnly(overrides) };
  const requestTimeout = Math.max(timeouts.requestTimeoutMs, timeouts.headersTimeoutMs);
  return {
    requestTimeout,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    http: {
      headersTimeout: timeouts.headersTimeoutMs,
      // Node looks for expired requests on this period (30 s by default), so a bound holds to
      // within a quarter of the shortest one, never later than a second.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(timeouts.headersTimeoutMs / 4))),
    },
  };
}

function definedOnly(values: Partial<HttpTimeouts>): Partial<HttpTimeouts> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}
