/**
 * The API service's public surface: the routes' registration and what they are built from.
 * Other services import this file only (tools/check-imports.mjs).
 */

export { registerApi } from './api.js';
export type { ApiDeps } from './api-deps.js';
