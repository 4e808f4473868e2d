/**
 * The API's shared machinery, the one place services' route plugins take it from: route
 * definitions and the OpenAPI document, input validation, the caller and what access allowed, the
 * common answer schemas; and `registerApi`, which installs the API's hooks and registers the
 * services' route plugins (the composition root wires each with its own dependencies).
 * Other services import this file only (tools/check-imports.mjs).
 */

export { type ApiOptions, type RoutePlugin, registerApi, routePlugin } from './api.js';
export type { ApiDeps } from './api-deps.js';
export { principalOf, requireSuperAdmin, userIdOf } from './auth.js';
export { drained } from './drained.js';
export { describedAs } from './json-schema.js';
export { type LegacyRoutesOptions, legacyRoutes } from './legacy-routes.js';
export type { RouteAnswer, RouteSpec } from './openapi.js';
export { type DefineRoute, defineRoutes, type WsHandler } from './route-definer.js';
export { AnyJson, Deleted, JsonObject, Revoked, Timestamp, Uuid } from './schemas/common.js';
export { Plan } from './schemas/plan.js';
export { GoalStatus, TaskStatus } from './schemas/statuses.js';
export { Task } from './schemas/task.js';
export { assertStorable, idParam, isUuid, parseInput, snake } from './validation.js';
