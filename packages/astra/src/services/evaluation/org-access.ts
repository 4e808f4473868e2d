import type { AccessControl, Action } from '../access/index.js';
import { defaultOrgOf } from '../agents/index.js';
import type { Principal } from '../identity/index.js';

/**
 * The organization a dataset or experiment request acts in — the one it names, else the caller's
 * only one — checked against the access rules: 404 when the caller may not see it, 403 when they
 * may see it but not do this.
 */
export async function orgFor(
  access: Pick<AccessControl, 'require' | 'scopeOf'>,
  principal: Principal,
  action: Action,
  orgId: string | undefined,
): Promise<string> {
  const id = orgId ?? (await defaultOrgOf(access, principal));
  await access.require(principal, action, { type: 'org', id });
  return id;
}
