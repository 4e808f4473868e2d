import { AstraError } from '../../errors/index.js';
import { DEFAULT_ORG_ID } from './agent-store.js';

/**
 * The organization a request that names none acts in (an agent created, a remote worker
 * registered): the caller's only organization, the default one for a caller in none (the admin
 * token, a super-admin), and ASTRA_VALIDATION_FAILED on `body.org_id` for a caller in several.
 */
export async function defaultOrgOf<P>(
  access: { scopeOf(principal: P): Promise<{ readonly orgIds: readonly string[] } | null> },
  principal: P,
): Promise<string> {
  const scope = await access.scopeOf(principal);
  if (scope === null || scope.orgIds.length === 0) return DEFAULT_ORG_ID;
  if (scope.orgIds.length === 1) return scope.orgIds[0] as string;
  throw new AstraError(
    'ASTRA_VALIDATION_FAILED',
    'body.org_id: required when you belong to several organizations',
    {
      details: { path: 'body.org_id', reason: 'required' },
    },
  );
}

/**
 * The organization an org-scoped request (prompts, datasets, experiments) acts in — the one it
 * names (`org_id`), else defaultOrgOf — checked against the access rules: 404 when the caller may
 * not see it, 403 when they may see it but not do this.
 */
export async function orgFor<P, A>(
  access: {
    scopeOf(principal: P): Promise<{ readonly orgIds: readonly string[] } | null>;
    require(principal: P, action: A, target: { type: 'org'; id: string }): Promise<unknown>;
  },
  principal: P,
  action: A,
  orgId: string | undefined,
): Promise<string> {
  const id = orgId ?? (await defaultOrgOf(access, principal));
  await access.require(principal, action, { type: 'org', id });
  return id;
}
