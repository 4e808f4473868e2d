/**
 * The API's shared machinery, the one place services' route plugins take it from: defining a
 * route (registered and described in the OpenAPI document at once), input validation, the caller,
 * and the answer schemas several services share; and `registerApi`, which installs the API's hooks
 * and registers the services' route plugins (the composition root wires each with its own
 * dependencies, src/app/api-wiring.ts).
 * Other services import this file only (tools/check-imports.mjs).
 */

export { allowedOf } from './access-hook.js';
export { type ApiOptions, type RoutePlugin, registerApi, routePlugin } from './api.js';
export { principalOf, requireSuperAdmin, userIdOf } from './auth.js';
export { drained } from './drained.js';
export { describedAs } from './json-schema.js';
export { type DefineRoute, defineRoutes } from './route-definer.js';
export { Deleted, JsonObject, Revoked, Timestamp, Uuid } from './schemas/common.js';
export { Plan, PlanTask } from './schemas/plan.js';
export { GoalStatus } from './schemas/statuses.js';
export { Task } from './schemas/task.js';
export { assertStorable, idParam, isUuid, parseInput, parseInputInSlices, snake } from './validation.js';
