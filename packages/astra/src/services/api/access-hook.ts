import type { FastifyRequest } from 'fastify';
import { AstraError } from '../../errors/index.js';
import type { AccessControl, AccessRule, Allowed, ResourceRef, Target } from '../access/index.js';
import { standingOf } from './auth.js';
import { idParam, isUuid } from './validation.js';

/**
 * Enforcement of a route's access rule before its handler runs: the resource named by the path
 * (or the body) is resolved and the policies decide. What was allowed (e.g. the owning agent's
 * facts) is left on the request for the handler (`allowedOf`). List routes (`filtered`) and
 * routes about the caller (`self`) check inside their handlers.
 */
declare module 'fastify' {
  interface FastifyRequest {
    astraAllowed?: Allowed;
  }
}

export type PreHandler = (request: FastifyRequest) => Promise<void>;

/** What enforcing an access rule takes from services/access. */
export type RouteAccess = Pick<AccessControl, 'require'>;

export function accessPreHandler(rule: AccessRule, access: RouteAccess): PreHandler | undefined {
  if (!('resource' in rule)) return undefined;
  return async (request) => {
    const target = targetOf(rule.resource, request);
    request.astraAllowed = await access.require(standingOf(request), rule.action, target);
  };
}

export function targetOf(ref: ResourceRef, request: FastifyRequest): Target {
  if (ref.type === 'platform') return { type: 'platform' };
  if ('body' in ref) {
    const value = (request.body as Record<string, unknown> | null | undefined)?.[ref.body];
    if (typeof value !== 'string' || !isUuid(value))
      throw new AstraError('ASTRA_VALIDATION_FAILED', `body.${ref.body}: must be a UUID`, {
        details: { path: `body.${ref.body}`, reason: 'must be a UUID' },
      });
    return { type: ref.type, id: value.toLowerCase() };
  }
  return { type: ref.type, id: idParam(request.params, ref.type, ref.param ?? 'id') };
}

/** What the route's access rule allowed; set for every route with a resource rule. */
export function allowedOf(request: FastifyRequest): Allowed {
  const allowed = request.astraAllowed;
  if (allowed === undefined) throw new Error('allowedOf: the route has no resource access rule');
  return allowed;
}
