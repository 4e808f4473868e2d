/**
 * The cost service's defaults, in one place (docs/configuration.md lists them; the settings table
 * takes its defaults from here).
 */
export const COST_DEFAULTS = {
  /** How long a budget reservation holds before the sweep returns it (a call's longest run, and then some). */
  reservationTtlMs: 15 * 60_000,
  /** How often the sweep looks for expired reservations. */
  sweepEveryMs: 60_000,
  /** The bus stream every attempt's usage is published to, and the group that writes it to llm_usage. */
  usageStream: 'astra:usage',
  usageGroup: 'usage-consumer',
  /** Usage rows written per statement at most. */
  usageBatch: 256,
} as const;
