export { createEnvSecretStore } from './env-store.js';
export { createVaultSecretStore, VAULT_DEFAULTS, type VaultSecretStoreOptions } from './vault-store.js';
