import type { EntityJson, EntityUidJson } from '@cedar-policy/cedar-wasm/nodejs';
import { AstraError } from '../../errors/index.js';
import type { Cache } from '../../ports/cache.js';
import type { SqlStore } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import type { Principal } from '../identity/index.js';
import { type CacheCounts, ScopedCache } from '../reads/index.js';
import { DecisionLog } from './decision-log.js';
import {
  type AgentFacts,
  type OwnedType,
  orgExists,
  readAccountOrgs,
  readAgentFacts,
  readApprovers,
  readManyAgentFacts,
  readOwningAgent,
  readTeamOrg,
  readUserFacts,
  type UserFacts,
} from './directory.js';
import {
  ADMIN_TOKEN_USER,
  accountEntity,
  agentEntity,
  entityUid,
  plainEntity,
  teamEntity,
  userEntity,
  userSet,
} from './entities.js';
import { type CedarRequest, type Decision, PolicyEngine } from './policy-engine.js';
import { ensureDefaultPolicies, readActivePolicies, readActiveVersion } from './policy-store.js';
import type { Action } from './rules.js';
import { scopeError, scopeRefusal } from './scopes.js';
import { type ToolCallDecision, type ToolFacts, toolEntity } from './tool-policy.js';

/**
 * Access control: every request's action on a resource is decided by the active Cedar policy set
 * (access/policies.ts) from facts read from the database (access/directory.ts). A caller who may
 * not even see a resource gets 404, as if it did not exist (one organization's data is invisible
 * to another); one who may see it but not act gets 403. API keys may be narrowed by scopes
 * (access/scopes.ts). Denials and allowed changes
 * are audited. Other processes' policy activations are picked up within a second.
 */
export type Target =
  | { readonly type: 'platform' }
  | { readonly type: 'org' | 'team' | 'user'; readonly id: string }
  | { readonly type: OwnedType; readonly id: string };

export interface Allowed {
  /** The agent the target belongs to, for goals, graphs, tasks, approvals and agents. */
  readonly agent?: AgentFacts;
  readonly decision: Decision;
}

/**
 * A caller as they stand now, for one request (`stand`): the gateway's authentication takes it
 * once per request and its access check decides from the same facts, so a request reads the
 * caller's standing once. Never kept beyond the request that took it: a later request stands anew,
 * so a suspension or a demotion applies from the next request on.
 */
export interface Standing {
  /** The principal with its super-admin flag as it stands now. */
  readonly principal: Principal;
  /** Built from the facts read; undefined for an agent (its facts are read when decided on). */
  readonly subject: Subject | undefined;
}

const RELOAD_EVERY_MS = 1_000;
/** What goals, graphs, tasks and approvals belong to, remembered in this process (it never changes). */
const MAX_OWNERS = 10_000;
// The same scope names as the read model's: a write that forgets an agent's views forgets its facts.
const agentScope = (agentId: string): string => `agent:${agentId}`;
const userScope = (userId: string): string => `user:${userId}`;
const isRead = (action: Action): boolean => action.endsWith('.view');

/** A caller as a Cedar principal: its uid and the entity that describes it. */
export interface Subject {
  readonly uid: EntityUidJson;
  readonly entity: EntityJson;
  /** The facts the entity was built from, as a string: the memo key's part for the caller. */
  readonly key: string;
  readonly user: UserFacts | null;
  /** The organization of an agent calling with a service token. */
  readonly agentOrgId?: string;
  readonly label: string;
}

interface Resolved {
  readonly uid: EntityUidJson;
  readonly entities: EntityJson[];
  /** The facts the entities were built from, as a string. */
  readonly key: string;
  readonly orgId: string | null;
  readonly agent?: AgentFacts;
  /** The action that decides whether the caller may know the resource exists. */
  readonly viewAction: Action | null;
  /** The resource `viewAction` is asked on, when not this one (a team: its organization). */
  readonly viewVia?: Resolved;
  /** Request context the resource brings (an approval's approvers). */
  readonly context?: { readonly approvers?: readonly string[] };
}

export class AccessControl {
  readonly engine = new PolicyEngine();
  readonly decisions: DecisionLog;
  readonly #store: SqlStore;
  readonly #clock: Clock;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #reloading: Promise<void> | undefined;

  readonly #facts: ScopedCache | null;
  /** Subjects, and resolved resources, by the facts object each was built from (#built). */
  readonly #subjects = new WeakMap<object, Subject>();
  readonly #resources = new WeakMap<object, Resolved>();
  /** Decisions without request context, by subject, resource and action (#decide). */
  readonly #decided = new WeakMap<Subject, WeakMap<Resolved, Map<Action, Decision>>>();
  readonly #onAuditError: (error: unknown) => void;
  /** The owning agent by `<type>:<id>`; oldest first (#agentFacts). */
  readonly #owners = new Map<string, string>();

  constructor(options: {
    store: SqlStore;
    clock: Clock;
    onAuditError: (error: unknown) => void;
    /** Caches the facts decisions are made from (users' memberships, agents' owners and audiences). */
    cache?: { cache: Cache; ttlMs: number; onError?: (error: unknown, context: string) => void };
  }) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.decisions = new DecisionLog(options.store, options.onAuditError);
    this.#onAuditError = options.onAuditError;
    this.#facts =
      options.cache === undefined ? null : new ScopedCache({ ...options.cache, viewOf: accessView });
  }

  /** The fact cache's hits and misses by view (`user`, `owner`, `agent`); empty without a cache. */
  cacheCounts(): ReadonlyMap<string, Readonly<CacheCounts>> {
    return this.#facts?.counts() ?? new Map();
  }

  /** After a change of users' memberships, roles or status: their next request reads them anew. */
  forgetUsers(userIds: Iterable<string>): Promise<void> {
    return this.#facts?.forget([...userIds].map(userScope)) ?? Promise.resolve();
  }

  /** After a change of agents' collaborators, visibility, team or owner. */
  forgetAgents(agentIds: Iterable<string>): Promise<void> {
    return this.#facts?.forget([...agentIds].map(agentScope)) ?? Promise.resolve();
  }

  /**
   * The caller as they stand now: a user's (or API key's) current super-admin flag and facts,
   * read through the facts cache, which every change forgets; ASTRA_UNAUTHENTICATED when the user
   * is suspended, deactivated or gone.
   */
  async stand(principal: Principal): Promise<Standing> {
    if (principal.kind === 'admin_token') return { principal, subject: ADMIN_TOKEN_SUBJECT };
    if (principal.kind === 'agent') return { principal, subject: undefined };
    const subject = await this.#userSubject(principal.userId);
    const superAdmin = subject.user?.superAdmin === true;
    return {
      principal: superAdmin === principal.superAdmin ? principal : { ...principal, superAdmin },
      subject,
    };
  }

  #userFacts(userId: string): Promise<UserFacts | null> {
    const load = () => readUserFacts(this.#store, userId);
    return this.#facts === null ? load() : this.#facts.read(`access:user:${userId}`, load, userScope(userId));
  }

  async #agentFacts(type: OwnedType, id: string): Promise<AgentFacts | null> {
    const facts = this.#facts;
    if (facts === null) return readAgentFacts(this.#store, type, id);
    let agentId = id;
    if (type !== 'agent') {
      // What a goal, graph, task or approval belongs to never changes; once gone, its agent's
      // facts say so (a deleted agent's are null) or the route's own read does.
      const ownerKey = `${type}:${id}`;
      const owner =
        this.#owners.get(ownerKey) ??
        (await facts.read(
          `access:owner:${ownerKey}`,
          () => readOwningAgent(this.#store, type, id),
          agentScope,
        ));
      if (owner === null) return null;
      this.#rememberOwner(ownerKey, owner);
      agentId = owner;
    }
    return facts.read(
      `access:agent:${agentId}`,
      () => readAgentFacts(this.#store, 'agent', agentId),
      agentScope(agentId),
    );
  }

  #rememberOwner(key: string, agentId: string): void {
    if (this.#owners.has(key)) return;
    if (this.#owners.size >= MAX_OWNERS) this.#owners.delete(this.#owners.keys().next().value as string);
    this.#owners.set(key, agentId);
  }

  /** Writes the built-in policy set if none exists and loads the active one. */
  async start(): Promise<void> {
    await ensureDefaultPolicies(this.#store);
    await this.reload();
  }

  /** Loads the active policy version if it is not the one in use. */
  async reload(): Promise<void> {
    this.#checkedAt = this.#clock.now();
    const version = await readActiveVersion(this.#store);
    if (version === null || version === this.engine.version) return;
    const active = await readActivePolicies(this.#store);
    if (active === null) return;
    try {
      this.engine.load(active.version, active.policies);
    } catch (error) {
      // Versions are validated when stored; should one still fail to load, the one in force stays.
      if (this.engine.version === 0) throw error;
      this.#onAuditError(error);
    }
  }

  async close(): Promise<void> {
    await this.decisions.flush();
  }

  /** Throws 404/403 unless the caller (a principal, or as it stands for this request) may do `action` on `target`. */
  async require(
    caller: Principal | Standing,
    action: Action,
    target: Target,
    context: { approvers?: readonly string[] } = {},
  ): Promise<Allowed> {
    const reloading = this.#fresh();
    if (reloading !== undefined) await reloading;
    const principal = 'principal' in caller ? caller.principal : caller;
    const subject = ('subject' in caller ? caller.subject : undefined) ?? (await this.#subject(principal));
    const resolved = await this.#resolve(target);
    if (resolved === null) throw notFound(target);
    const scoped = scopeRefusal(principal, action);
    const decision = scoped ?? this.#decide(subject, action, resolved, context);
    this.#audit(subject, action, target, resolved, decision);
    if (decision.allowed) return { ...(resolved.agent ? { agent: resolved.agent } : {}), decision };
    const mayView =
      resolved.viewAction !== null &&
      resolved.viewAction !== action &&
      this.#decide(subject, resolved.viewAction, resolved.viewVia ?? resolved, {}).allowed;
    if (!mayView && resolved.viewAction !== null) throw notFound(target);
    if (scoped !== undefined) throw scopeError(action);
    throw new AstraError('ASTRA_FORBIDDEN', `not allowed: ${action}`, { details: { action } });
  }

  /** Whether the caller may do `action` on `target` (no exception, not audited: for filtering lists). */
  async allows(principal: Principal, action: Action, target: Target): Promise<boolean> {
    await this.#fresh();
    if (scopeRefusal(principal, action) !== undefined) return false;
    const subject = await this.#subject(principal);
    const resolved = await this.#resolve(target);
    return resolved !== null && this.#decide(subject, action, resolved, {}).allowed;
  }

  /** The items of a list the caller may act on, by the agent each belongs to (one read for all). */
  async filterAgents<T>(
    principal: Principal,
    action: Action,
    items: readonly T[],
    agentIdOf: (item: T) => string,
  ): Promise<T[]> {
    await this.#fresh();
    if (scopeRefusal(principal, action) !== undefined) return [];
    const subject = await this.#subject(principal);
    const facts = await readManyAgentFacts(this.#store, items.map(agentIdOf));
    const kept: T[] = [];
    // A plain loop: evaluating (WebAssembly) inside an array builtin's callback has crashed Node 20's
    // deoptimizer (docs/access.md).
    for (const item of items) {
      const agent = facts.get(agentIdOf(item));
      if (agent !== undefined && this.#decide(subject, action, agentResolved(agent), {}).allowed)
        kept.push(item);
    }
    return kept;
  }

  /**
   * A superset of what the caller may see, to narrow list queries in SQL before the policies
   * decide item by item: null for super-admins (everything), else their organizations and user id.
   */
  async scopeOf(principal: Principal): Promise<{ orgIds: string[]; userId: string | null } | null> {
    const subject = await this.#subject(principal);
    if (subject.user?.superAdmin === true) return null;
    // An agent calling with a service token sees into its own organization (agent-to-agent).
    if (subject.user === null)
      return { orgIds: subject.agentOrgId === undefined ? [] : [subject.agentOrgId], userId: null };
    return { orgIds: subject.user.orgs.map((m) => m.orgId), userId: subject.user.userId };
  }

  /**
   * The active policies' answer to an agent's call of a tool (`tool.call`, access/tool-policy.ts),
   * audited as `agent:<id>` on `tool` `name@version`, with the policies that decided.
   */
  async decideToolCall(agentId: string, tool: ToolFacts): Promise<ToolCallDecision> {
    await this.#fresh();
    const agent = await this.#agentFacts('agent', agentId);
    const version = this.engine.version;
    if (agent === null)
      return {
        allowed: false,
        reasons: [],
        approval: [],
        errors: ['the agent does not exist'],
        policyVersion: version,
      };
    const principal = agentEntity(agent);
    const resource = toolEntity(tool);
    const decision = this.engine.decide(
      {
        principal: principal.uid,
        action: 'tool.call',
        resource: resource.uid,
        entities: [principal, resource],
      },
      `tool.call\nagent:${JSON.stringify(agent)}\n${JSON.stringify(tool)}`,
    );
    const approval = decision.allowed ? this.engine.approvalsAmong(decision.reasons) : [];
    this.decisions.record({
      principal: `agent:${agentId}`,
      action: 'tool.call',
      resourceType: 'tool',
      resourceId: `${tool.name}@${tool.version}`,
      orgId: agent.orgId,
      allowed: decision.allowed,
      policyVersion: decision.policyVersion,
      reasons: decision.allowed ? decision.reasons : [...decision.reasons, ...decision.errors],
    });
    return { ...decision, approval };
  }

  #decide(
    subject: Subject,
    action: Action,
    resolved: Resolved,
    context: { approvers?: readonly string[] },
  ): Decision {
    const approvers = context.approvers ?? resolved.context?.approvers;
    if (approvers === undefined) return this.#decideWithoutContext(subject, action, resolved);
    return this.#evaluate(subject, action, resolved, approvers);
  }

  /**
   * The same answer as #evaluate, remembered by the objects' identity: a subject or a resolved
   * resource is one object per facts object (#built), and the policy version is checked, so this
   * answers exactly when the engine's own memo (keyed by the facts' text) would.
   */
  #decideWithoutContext(subject: Subject, action: Action, resolved: Resolved): Decision {
    let byResource = this.#decided.get(subject);
    if (byResource === undefined) {
      byResource = new WeakMap();
      this.#decided.set(subject, byResource);
    }
    let byAction = byResource.get(resolved);
    if (byAction === undefined) {
      byAction = new Map();
      byResource.set(resolved, byAction);
    }
    const known = byAction.get(action);
    if (known !== undefined && known.policyVersion === this.engine.version) return known;
    const decision = this.#evaluate(subject, action, resolved, undefined);
    byAction.set(action, decision);
    return decision;
  }

  #evaluate(
    subject: Subject,
    action: Action,
    resolved: Resolved,
    approvers: readonly string[] | undefined,
  ): Decision {
    const entities = [subject.entity];
    for (const entity of resolved.entities) entities.push(entity);
    let approversKey = '-';
    if (approvers !== undefined) {
      approversKey = '';
      for (const approver of approvers) approversKey += `${approver},`;
    }
    const request: CedarRequest = {
      principal: subject.uid,
      action,
      resource: resolved.uid,
      entities,
      ...(approvers === undefined ? {} : { context: { approvers: userSet(approvers) } }),
    };
    return this.engine.decide(request, `${action}\n${subject.key}\n${resolved.key}\n${approversKey}`);
  }

  #audit(subject: Subject, action: Action, target: Target, resolved: Resolved, decision: Decision): void {
    if (decision.allowed && isRead(action)) {
      this.decisions.allowedReads++;
      return;
    }
    this.decisions.record({
      principal: subject.label,
      action,
      resourceType: target.type,
      resourceId: 'id' in target ? target.id : 'astra',
      orgId: resolved.orgId,
      allowed: decision.allowed,
      policyVersion: decision.policyVersion,
      reasons: decision.allowed ? decision.reasons : [...decision.reasons, ...decision.errors],
    });
  }

  /** Undefined while the policies in use are fresh, else the reload to wait for. */
  #fresh(): Promise<void> | undefined {
    if (this.engine.version !== 0 && this.#clock.now() - this.#checkedAt < RELOAD_EVERY_MS) return undefined;
    this.#reloading ??= this.reload().finally(() => {
      this.#reloading = undefined;
    });
    return this.#reloading;
  }

  async #subject(principal: Principal): Promise<Subject> {
    if (principal.kind === 'admin_token') return ADMIN_TOKEN_SUBJECT;
    if ('agentId' in principal && typeof principal.agentId === 'string') {
      const facts = await this.#agentFacts('agent', principal.agentId);
      if (facts === null) throw new AstraError('ASTRA_UNAUTHENTICATED', 'the calling agent no longer exists');
      return this.#built(this.#subjects, facts, () => ({
        uid: entityUid('Agent', facts.agentId),
        entity: agentEntity(facts),
        key: `agent:${JSON.stringify(facts)}`,
        user: null,
        agentOrgId: facts.orgId,
        label: `agent:${facts.agentId}`,
      }));
    }
    return this.#userSubject((principal as { userId: string }).userId);
  }

  async #userSubject(userId: string): Promise<Subject> {
    const facts = await this.#userFacts(userId);
    if (facts === null) throw new AstraError('ASTRA_UNAUTHENTICATED', 'the user is not active');
    return this.#built(this.#subjects, facts, () => ({
      uid: entityUid('User', userId),
      entity: userEntity(facts),
      key: `user:${JSON.stringify(facts)}`,
      user: facts,
      label: `user:${userId}`,
    }));
  }

  /**
   * What is built from a facts object, once per object: the facts cache hands out the same
   * (frozen) object while the facts it holds are unchanged, and a new one once they change.
   */
  #built<T>(memo: WeakMap<object, T>, facts: object, build: () => T): T {
    let known = memo.get(facts);
    if (known === undefined) {
      known = build();
      memo.set(facts, known);
    }
    return known;
  }

  async #resolve(target: Target): Promise<Resolved | null> {
    switch (target.type) {
      case 'platform':
        return {
          uid: entityUid('Platform', 'astra'),
          entities: [plainEntity('Platform', 'astra')],
          key: 'platform',
          orgId: null,
          viewAction: null,
        };
      case 'org':
        return (await orgExists(this.#store, target.id)) ? orgResolved(target.id) : null;
      case 'team': {
        const orgId = await readTeamOrg(this.#store, target.id);
        return orgId === null
          ? null
          : {
              uid: entityUid('Team', target.id),
              entities: [teamEntity(target.id, orgId)],
              key: `team:${target.id}:${orgId}`,
              orgId,
              // A team is seen by those who see its organization.
              viewAction: 'org.view',
              viewVia: orgResolved(orgId),
            };
      }
      case 'user': {
        const orgs = await readAccountOrgs(this.#store, target.id);
        return orgs === null
          ? null
          : {
              uid: entityUid('Account', target.id),
              entities: [accountEntity(target.id, orgs)],
              key: `account:${target.id}:${orgs.join(',')}`,
              orgId: null,
              viewAction: 'user.view',
            };
      }
      default: {
        const agent = await this.#agentFacts(target.type, target.id);
        if (agent === null) return null;
        if (target.type !== 'approval')
          return this.#built(this.#resources, agent, () => agentResolved(agent));
        // Who an approval names as approvers is fixed when it is made.
        const load = () => readApprovers(this.#store, target.id);
        const approvers = await (this.#facts === null
          ? load()
          : this.#facts.read(`access:approvers:${target.id}`, load, agentScope(agent.agentId)));
        return { ...agentResolved(agent), context: { approvers: approvers ?? [] } };
      }
    }
  }
}

const ADMIN_TOKEN_FACTS: UserFacts = { userId: ADMIN_TOKEN_USER, superAdmin: true, orgs: [], teams: [] };
const ADMIN_TOKEN_SUBJECT: Subject = {
  uid: entityUid('User', ADMIN_TOKEN_USER),
  entity: userEntity(ADMIN_TOKEN_FACTS),
  key: 'admin-token',
  user: ADMIN_TOKEN_FACTS,
  label: 'admin_token',
};

const orgResolved = (orgId: string): Resolved => ({
  uid: entityUid('Org', orgId),
  entities: [plainEntity('Org', orgId)],
  key: `org:${orgId}`,
  orgId,
  viewAction: 'org.view',
});

const agentResolved = (agent: AgentFacts): Resolved => ({
  uid: entityUid('Agent', agent.agentId),
  entities: [agentEntity(agent)],
  key: `agent:${JSON.stringify(agent)}`,
  orgId: agent.orgId,
  agent,
  viewAction: 'agent.view',
});

function notFound(target: Target): AstraError {
  const what = target.type === 'user' ? 'user' : target.type;
  return new AstraError('ASTRA_NOT_FOUND', `${what} not found`, {
    details: 'id' in target ? { [`${what}_id`]: target.id } : {},
  });
}

/** `access:<view>:…` keys: the fact's kind. */
function accessView(key: string): string {
  const end = key.indexOf(':', 7);
  return end < 0 ? key.slice(7) : key.slice(7, end);
}
