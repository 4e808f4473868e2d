/**
 * What a route needs to be allowed: an action on a resource. Every non-public route declares one
 * (`RouteSpec.access`); the gateway resolves the resource, asks the policy engine and answers 404
 * when the caller may not even see the resource (another organization's data stays invisible) or
 * 403 when they may see it but not do this. List routes declare `filtered`: they answer only the
 * items the caller may see, each checked against the same policies.
 */
export const ACTIONS = [
  // On an organization.
  'org.view',
  'org.admin',
  'agent.create',
  // Running remote workers for it: claiming and finishing the tasks of its agents (docs/workers.md).
  'worker.run',
  // On a team.
  'team.admin',
  // On an agent (and everything that belongs to it: goals, graphs, tasks, documents, approvals,
  // memories).
  'agent.view',
  'agent.use',
  'agent.edit',
  'agent.admin',
  'approval.decide',
  // On a user.
  'user.view',
  'user.admin',
  // On the platform itself: workers, stats, users, the policy set, the global audit.
  'platform.view',
  'platform.admin',
] as const;
export type Action = (typeof ACTIONS)[number];

export type ResourceType =
  | 'org'
  | 'team'
  | 'agent'
  | 'goal'
  | 'graph'
  | 'task'
  | 'approval'
  | 'memory'
  | 'user';

/** Where the resource's id is read from: a path parameter (default `id`) or a body field. */
export type ResourceRef =
  | { readonly type: ResourceType; readonly param?: string }
  | { readonly type: ResourceType; readonly body: string }
  | { readonly type: 'platform' };

export type AccessRule =
  | { readonly action: Action; readonly resource: ResourceRef }
  /** The handler checks each item it answers or acts on (lists, bodies naming many resources). */
  | { readonly action: Action; readonly filtered: true }
  /** Any authenticated caller: their own profile, their own tokens. */
  | { readonly self: true };

export const onParam = (type: ResourceType, param = 'id'): ResourceRef => ({ type, param });
export const onBody = (type: ResourceType, body: string): ResourceRef => ({ type, body });
export const PLATFORM: ResourceRef = { type: 'platform' };
