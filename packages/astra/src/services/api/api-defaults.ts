/**
 * The API's defaults, in one place (the routes and the settings table use them):
 * - streams: how often the gateway's event tail reads (pollMs), the keep-alive interval
 *   (heartbeatMs) and the events queued per stream client (bufferSize) — ASTRA_EVENTS_*;
 * - agentGoalsPerMinute: goals one agent (a service token) may send per minute, on every goal route
 *   (ASTRA_AGENT_GOALS_PER_MINUTE).
 */
export const API_DEFAULTS = {
  streams: { pollMs: 250, heartbeatMs: 15_000, bufferSize: 1000 },
  agentGoalsPerMinute: 100,
} as const;
