/** The egress proxy's defaults (the settings table shows them as its defaults). */
export const EGRESS_DEFAULTS = {
  /** Upstream TCP connect limit for tunnels. */
  connectTimeoutMs: 10_000,
  /** An upstream socket silent this long is ended (forwarded requests and tunnels). */
  idleTimeoutMs: 60_000,
  /** The largest response `fetch` reads (16 MiB). */
  maxFetchResponseBytes: 16 * 1024 * 1024,
  /** Open connections one session's socket accepts at once. */
  maxConnectionsPerSession: 64,
  socketMode: 0o600,
} as const;
