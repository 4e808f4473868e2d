import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LruCache } from '../../src/adapters/cache/lru-cache.js';
import { isAstraError } from '../../src/errors/index.js';
import { AccessControl } from '../../src/services/access/access-control.js';
import { putCollaborator, putOrgMember } from '../../src/services/access/org-store.js';
import { DEFAULT_POLICIES } from '../../src/services/access/policies.js';
import { validatePolicies } from '../../src/services/access/policy-engine.js';
import { activatePolicyVersion, insertPolicyVersion } from '../../src/services/access/policy-store.js';
import type { Principal } from '../../src/services/identity/identity.js';
import { insertUser } from '../../src/services/identity/user-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { type KernelHarness, openKernel } from '../kernel/harness.js';

/**
 * The access-control service against a real store: decisions follow the facts (memberships,
 * collaborators), the active policy version (also one activated by another process), API key
 * scopes; denials are audited; invisible resources answer 404, visible ones 403.
 */
let h: KernelHarness;
let clock: ManualClock;
let access: AccessControl;
let orgId: string;
let agentId: string;

const userPrincipal = (userId: string): Principal => ({
  kind: 'user',
  userId,
  email: `${userId}@example.test`,
  superAdmin: false,
});
const codeOf = async (work: Promise<unknown>): Promise<string> => {
  const error = await work.catch((e: unknown) => e);
  return isAstraError(error) ? error.code : 'allowed';
};
const newUser = async (email: string): Promise<string> =>
  (await insertUser(h.store, { email, displayName: null, passwordHash: 'x', isSuperAdmin: false })).id;

beforeEach(async () => {
  h = await openKernel('embedded');
  clock = new ManualClock();
  access = new AccessControl({ store: h.store, clock, onAuditError: (error) => console.error(error) });
  await access.start();
  orgId = (
    await h.store.query<{ id: string }>(`INSERT INTO organizations (name) VALUES ('acme') RETURNING id`)
  ).rows[0]?.id as string;
  agentId = await h.createAgent('scoped');
  await h.store.query(`UPDATE agents SET org_id = $1, visibility = 'private' WHERE id = $2`, [
    orgId,
    agentId,
  ]);
});
afterEach(async () => {
  await access.close();
  await h.dispose();
});

describe('access control', () => {
  it('validates the built-in policies against the schema, and refuses a policy naming an unknown attribute', () => {
    expect(validatePolicies(DEFAULT_POLICIES)).toEqual([]);
    const errors = validatePolicies(
      'permit (principal is Astra::User, action, resource) when { principal.nickname == "x" };',
    );
    expect(errors.length).toBeGreaterThan(0);
    expect(validatePolicies('permit (principal, action, resource')).not.toEqual([]);
  });

  it('hides a private agent from an org member (404), shows it to a collaborator, and forbids what the level does not allow (403)', async () => {
    const member = await newUser('member@example.test');
    await putOrgMember(h.store, orgId, member, 'org_member');
    const target = { type: 'agent', id: agentId } as const;
    expect(await codeOf(access.require(userPrincipal(member), 'agent.view', target))).toBe('ASTRA_NOT_FOUND');
    await putCollaborator(h.store, agentId, member, 'use');
    expect(await codeOf(access.require(userPrincipal(member), 'agent.view', target))).toBe('allowed');
    expect(await codeOf(access.require(userPrincipal(member), 'agent.use', target))).toBe('allowed');
    expect(await codeOf(access.require(userPrincipal(member), 'agent.edit', target))).toBe('ASTRA_FORBIDDEN');
    await putCollaborator(h.store, agentId, member, 'edit');
    expect(await codeOf(access.require(userPrincipal(member), 'agent.edit', target))).toBe('allowed');
    expect(await codeOf(access.require(userPrincipal(member), 'agent.admin', target))).toBe(
      'ASTRA_FORBIDDEN',
    );
  });

  it('resolves goals and tasks to their agent, so a stranger gets 404 for each', async () => {
    const stranger = await newUser('stranger@example.test');
    const goal = await h.kernel.engine.submitGoal({
      agentId,
      goalText: 'g',
      plan: { tasks: [{ id: 'a', type: 'noop' }] },
    });
    const { rows } = await h.store.query<{ id: string }>('SELECT id FROM tasks WHERE goal_id = $1', [
      goal.goalId,
    ]);
    for (const target of [
      { type: 'goal', id: goal.goalId },
      { type: 'task', id: rows[0]?.id as string },
      { type: 'graph', id: goal.graphId as string },
    ] as const)
      expect(await codeOf(access.require(userPrincipal(stranger), 'agent.view', target))).toBe(
        'ASTRA_NOT_FOUND',
      );
  });

  it('narrows API keys to their scopes and never beyond the user', async () => {
    const admin = await newUser('admin@example.test');
    await putOrgMember(h.store, orgId, admin, 'org_admin');
    const key = (scopes: string[]): Principal => ({
      kind: 'api_key',
      keyId: 'k',
      userId: admin,
      scopes,
      superAdmin: false,
    });
    const target = { type: 'agent', id: agentId } as const;
    expect(await codeOf(access.require(key([]), 'agent.admin', target))).toBe('allowed');
    expect(await codeOf(access.require(key(['read']), 'agent.view', target))).toBe('allowed');
    expect(await codeOf(access.require(key(['read']), 'agent.use', target))).toBe('ASTRA_FORBIDDEN');
    expect(await codeOf(access.require(key(['admin']), 'platform.view', { type: 'platform' }))).toBe(
      'ASTRA_FORBIDDEN',
    );
  });

  it('follows the policy version another process activates, within a second', async () => {
    const member = await newUser('reader@example.test');
    await putOrgMember(h.store, orgId, member, 'org_member');
    await h.store.query(`UPDATE agents SET visibility = 'public' WHERE id = $1`, [agentId]);
    const target = { type: 'agent', id: agentId } as const;
    expect(await codeOf(access.require(userPrincipal(member), 'agent.use', target))).toBe('allowed');
    // Another process stores and activates a set without the public-agent rule.
    const withoutPublic = DEFAULT_POLICIES.replace(/@id\("agent-public"\)\npermit[\s\S]*?};\n/, '');
    expect(withoutPublic).not.toBe(DEFAULT_POLICIES);
    const version = await insertPolicyVersion(h.store, {
      policies: withoutPublic,
      description: 'x',
      createdBy: null,
    });
    await activatePolicyVersion(h.store, version);
    expect(await codeOf(access.require(userPrincipal(member), 'agent.use', target))).toBe('allowed');
    await clock.advance(1_000);
    expect(await codeOf(access.require(userPrincipal(member), 'agent.use', target))).toBe('ASTRA_NOT_FOUND');
    expect(access.engine.version).toBe(version);
    await activatePolicyVersion(h.store, 1);
    await clock.advance(1_000);
    expect(await codeOf(access.require(userPrincipal(member), 'agent.use', target))).toBe('allowed');
  });

  it('lets an agent with a service token see and use the non-private agents of its organization, and list them', async () => {
    const caller = await h.createAgent('caller');
    const peer = await h.createAgent('peer');
    await h.store.query(`UPDATE agents SET org_id = $1 WHERE id = ANY($2::uuid[])`, [orgId, [caller, peer]]);
    const asAgent: Principal = {
      kind: 'agent',
      agentId: caller,
      tokenId: 't',
      createdBy: null,
      superAdmin: false,
    };
    expect(await access.scopeOf(asAgent)).toEqual({ orgIds: [orgId], userId: null });
    expect(await codeOf(access.require(asAgent, 'agent.use', { type: 'agent', id: peer }))).toBe('allowed');
    // agentId (created before this test's) is private: invisible.
    expect(await codeOf(access.require(asAgent, 'agent.view', { type: 'agent', id: agentId }))).toBe(
      'ASTRA_NOT_FOUND',
    );
    expect(await codeOf(access.require(asAgent, 'agent.edit', { type: 'agent', id: peer }))).toBe(
      'ASTRA_FORBIDDEN',
    );
    const listed = await access.filterAgents(asAgent, 'agent.view', [caller, peer, agentId], (id) => id);
    expect(listed.sort()).toEqual([caller, peer].sort());
  });

  it('audits denials and allowed changes, not allowed reads', async () => {
    const member = await newUser('audited@example.test');
    await putOrgMember(h.store, orgId, member, 'org_admin');
    const target = { type: 'agent', id: agentId } as const;
    await access.require(userPrincipal(member), 'agent.view', target);
    await access.require(userPrincipal(member), 'agent.edit', target);
    await access
      .require(userPrincipal(member), 'platform.admin', { type: 'platform' })
      .catch(() => undefined);
    await access.decisions.flush();
    const { rows } = await h.store.query<{
      action: string;
      decision: string;
      principal: string;
      reasons: unknown;
    }>('SELECT action, decision, principal, reasons FROM access_decisions ORDER BY id');
    expect(rows.map((r) => [r.action, r.decision, r.principal])).toEqual([
      ['agent.edit', 'allow', `user:${member}`],
      ['platform.admin', 'deny', `user:${member}`],
    ]);
    expect(rows[0]?.reasons).toEqual(['org-admin-agents']);
    expect(access.decisions.allowedReads).toBe(1);
  });

  it('with a facts cache, a membership change applies to the next request once forgotten', async () => {
    const cached = new AccessControl({
      store: h.store,
      clock,
      onAuditError: () => undefined,
      cache: { cache: new LruCache(), ttlMs: 60_000 },
    });
    await cached.start();
    const member = await newUser('cached@example.test');
    await h.store.query(`UPDATE agents SET visibility = 'public' WHERE id = $1`, [agentId]);
    const target = { type: 'agent', id: agentId } as const;
    expect(await codeOf(cached.require(userPrincipal(member), 'agent.view', target))).toBe('ASTRA_NOT_FOUND');
    await putOrgMember(h.store, orgId, member, 'org_member');
    await cached.forgetUsers([member]);
    expect(await codeOf(cached.require(userPrincipal(member), 'agent.view', target))).toBe('allowed');
    await h.store.query(`UPDATE agents SET visibility = 'private' WHERE id = $1`, [agentId]);
    await cached.forgetAgents([agentId]);
    expect(await codeOf(cached.require(userPrincipal(member), 'agent.view', target))).toBe('ASTRA_NOT_FOUND');
    await cached.close();
  });
});
