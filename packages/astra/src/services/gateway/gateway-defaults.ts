/**
 * The gateway's defaults, in one place (createGateway and the settings table use them); its HTTP
 * timeouts are in http-limits.ts, its breaker's in circuit-breaker.ts.
 * - bodyLimitBytes: larger request bodies get 413 (ASTRA_BODY_LIMIT_BYTES);
 * - maxHeaderBytes: larger header sections get 431 (ASTRA_MAX_HEADER_BYTES);
 * - readinessTimeoutMs: how long `/ready` waits on each dependency.
 */
export const GATEWAY_DEFAULTS = {
  bodyLimitBytes: 1_048_576,
  maxHeaderBytes: 16_384,
  readinessTimeoutMs: 2000,
} as const;
