export { createEnvSecretStore } from './env-store.js';
export { VAULT_DEFAULTS } from './vault-defaults.js';
export { createVaultSecretStore, type VaultSecretStoreOptions } from './vault-store.js';
