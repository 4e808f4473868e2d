/**
 * The identity service's public surface: principals and credential checks, users, passwords,
 * API keys, sessions and service tokens.
 * Other services import this file only (tools/check-imports.mjs).
 */
export { createApiKey, listApiKeys, readApiKey, revokeApiKey } from './api-keys.js';
export type { Identity, Principal } from './identity.js';
export { LOGIN_THROTTLE_DEFAULTS, LoginThrottle } from './login-throttle.js';
export { generatePassword, hashPassword, verifyPassword } from './passwords.js';
export { revokeUserSessions } from './refresh-tokens.js';
export {
  createServiceToken,
  DEFAULT_SERVICE_TOKEN_TTL_S,
  listServiceTokens,
  MAX_SERVICE_TOKEN_TTL_S,
  revokeServiceToken,
} from './service-tokens.js';
export {
  insertUser,
  listUsers,
  readCredentials,
  readUser,
  recordLogin,
  updateUser,
  userRow,
} from './user-store.js';
