import { AstraError } from '../../errors/index.js';
import type { Principal } from '../identity/index.js';
import type { Decision } from './policy-engine.js';
import type { Action } from './rules.js';

/**
 * API key scopes: a key made with scopes is its user narrowed to them, ranked
 * `read` (only `*.view`) ⊂ `use` (also `agent.use`, `worker.run`) ⊂ `edit` (also `agent.edit`) ⊂ `admin`
 * (everything the user may do); a key without scopes carries the user's full rights, as `admin`
 * does. Scopes never add a right the user lacks (the policies decide that), and a key never acts
 * beyond them: not through an action, and not by minting a key wider than itself.
 */
const SCOPE_RANK = { read: 0, use: 1, edit: 2, admin: 3 } as const;
export type Scope = keyof typeof SCOPE_RANK;
export const SCOPES = Object.keys(SCOPE_RANK) as [Scope, ...Scope[]];

/** The scope an action needs. */
function scopeNeeded(action: Action): Scope {
  if (action.endsWith('.view')) return 'read';
  if (action === 'agent.use' || action === 'worker.run') return 'use';
  if (action === 'agent.edit') return 'edit';
  return 'admin';
}

/** The widest of a key's scopes; none is the user's full rights, ranked as `admin`. */
function rankOf(scopes: readonly string[]): number {
  if (scopes.length === 0) return SCOPE_RANK.admin;
  let rank = -1;
  for (const scope of scopes) if (scope in SCOPE_RANK) rank = Math.max(rank, SCOPE_RANK[scope as Scope]);
  return rank;
}

/** The refusal when an API key's scopes do not reach `action`; undefined when they do (or it is no key). */
export function scopeRefusal(principal: Principal, action: Action): Decision | undefined {
  if (principal.kind !== 'api_key' || rankOf(principal.scopes) >= SCOPE_RANK[scopeNeeded(action)])
    return undefined;
  return { allowed: false, reasons: ['api-key-scope'], errors: [], policyVersion: 0 };
}

export const scopeError = (action: Action): AstraError =>
  new AstraError('ASTRA_FORBIDDEN', `this API key's scopes do not allow ${action}`, {
    details: { action, reason: 'api-key-scope' },
  });

/** Throws 403 unless the caller's API key scopes (if it is a key) reach `action`; for routes the policies do not decide. */
export function requireScope(principal: Principal, action: Action): void {
  if (scopeRefusal(principal, action) !== undefined) throw scopeError(action);
}

/** Throws 403 when an API key asks for a key wider than itself (no scopes asked: the full rights). */
export function requireScopesWithin(principal: Principal, requested: readonly string[]): void {
  if (principal.kind !== 'api_key' || rankOf(requested) <= rankOf(principal.scopes)) return;
  throw new AstraError(
    'ASTRA_FORBIDDEN',
    `an API key with scopes [${principal.scopes.join(', ')}] may not mint a key with ${
      requested.length === 0 ? 'no scopes (full rights)' : `scopes [${requested.join(', ')}]`
    }`,
    {
      details: {
        reason: 'api-key-scope',
        scopes: principal.scopes.join(','),
        requested: requested.join(','),
      },
    },
  );
}
