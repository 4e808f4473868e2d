/**
 * The read model's public surface: cached views by id.
 * Other services import this file only (tools/check-imports.mjs).
 */
export type { ReadModel } from './read-model.js';
export { type CacheCounts, ScopedCache } from './scoped-cache.js';
