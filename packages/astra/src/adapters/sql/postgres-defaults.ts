/** The Postgres store's defaults (the adapter and the settings table use them): its pool size per process. */
export const POSTGRES_DEFAULTS = { maxConnections: 10 } as const;
