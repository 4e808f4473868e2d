/**
 * The event streams' defaults, in one place (the routes and the settings table use them): how often
 * the gateway's event tail reads (pollMs), the keep-alive interval (heartbeatMs) and the events
 * queued per stream client (bufferSize) — ASTRA_EVENTS_*.
 */
export const EVENTS_DEFAULTS = {
  streams: { pollMs: 250, heartbeatMs: 15_000, bufferSize: 1000 },
} as const;
