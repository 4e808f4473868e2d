import { api } from './api';

/**
 * What the signed-in user may do, asked of the API (`POST /access/check`, which decides with the
 * same policies as every route). The dashboard shows an action only when it is allowed; the API
 * refuses it anyway when it is not. Answers are kept for the session's lifetime in this tab.
 */
export type Action =
  | 'platform.view'
  | 'platform.admin'
  | 'agent.create'
  | 'agent.use'
  | 'agent.edit'
  | 'agent.admin'
  | 'approval.decide';
export type ResourceType = 'platform' | 'org' | 'agent' | 'approval';

const decided = new Map<string, Promise<boolean>>();

export function can(action: Action, resourceType: ResourceType, resourceId?: string): Promise<boolean> {
  const key = `${action}|${resourceType}|${resourceId ?? ''}`;
  let answer = decided.get(key);
  if (answer === undefined) {
    answer = api<{ allowed: boolean }>('POST', '/access/check', {
      action,
      resource_type: resourceType,
      ...(resourceId === undefined ? {} : { resource_id: resourceId }),
    })
      .then((decision) => decision.allowed)
      .catch(() => false);
    decided.set(key, answer);
  }
  return answer;
}

/** Forgets every answer (at sign-out, and after a change of agents). */
export function forgetAccess(): void {
  decided.clear();
}
