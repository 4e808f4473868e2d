/** The Vault store's defaults (the settings table shows them as its defaults). */
export const VAULT_DEFAULTS = {
  mount: 'secret',
  pathPrefix: 'astra',
  field: 'value',
  timeoutMs: 5_000,
} as const;
