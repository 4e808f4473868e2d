import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { insertUser } from '../../src/services/identity/user-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { ADMIN_TOKEN, openGateway, type TestGateway } from '../identity/gateway.js';
import { createTestStore, sqlBackends } from '../support/sql.js';

/**
 * Gates that were stepped around, on both SQL backends: `depends_on_goal_ids` naming another
 * organization's goal (or one the caller may not see) gets exactly the answer a goal that does not
 * exist gets; an `edit` collaborator cannot change an agent's approval policy, neither through
 * `PATCH /agents/{id}` nor by activating a revision, while the agent's administrators and its
 * named approvers can.
 */
const PLAN = { tasks: [{ id: 'a', type: 'noop' }] };

describe.each(sqlBackends())('gates (%s)', (backend) => {
  let drop: () => Promise<void>;
  let store: SqlStore;
  let gw: TestGateway;

  beforeEach(async () => {
    const db = await createTestStore(backend);
    store = db.store;
    drop = db.drop;
    gw = await openGateway(store, new ManualClock(Date.now()));
  });
  afterEach(async () => {
    await gw.close();
    await drop();
  });

  const ok = async <T>(method: 'POST' | 'PATCH', url: string, body: object, token = ADMIN_TOKEN) => {
    const answer = await gw.call(method, url, { token, body });
    if (answer.statusCode >= 300) throw new Error(`${method} ${url}: ${answer.statusCode} ${answer.body}`);
    return answer.json() as T;
  };
  const org = async (name: string) => (await ok<{ id: string }>('POST', '/orgs', { name })).id;
  const agentIn = async (orgId: string, extra: object = {}) =>
    (await ok<{ actor_id: string }>('POST', '/agents', { name: 'agent', org_id: orgId, ...extra })).actor_id;
  /** A user with an access token, a member of the organization with the role. */
  const member = async (email: string, orgId: string, role: string) => {
    const user = await insertUser(store, {
      email,
      displayName: null,
      passwordHash: 'unused',
      isSuperAdmin: false,
    });
    await ok('POST', `/orgs/${orgId}/members`, { user_id: user.id, role });
    const { token } = await gw.identity.tokens.issue({ userId: user.id, email, superAdmin: false });
    return { id: user.id, token };
  };

  it("refuses another organization's goal, or one the caller may not see, as a goal that does not exist", async () => {
    const [a, b] = [await org('A'), await org('B')];
    const mine = await agentIn(a);
    const theirs = await agentIn(b);
    const hiddenInA = await agentIn(a, { visibility: 'private' });
    const admin = await member('admin-a@test.example', a, 'org_admin');
    const plain = await member('member-a@test.example', a, 'org_member');
    const goalOf = async (agent: string) =>
      (await ok<{ goal_id: string }>('POST', `/agents/${agent}/goals`, { goal_text: 'dep', plan: PLAN }))
        .goal_id;
    const [theirGoal, hiddenGoal, myGoal] = [
      await goalOf(theirs),
      await goalOf(hiddenInA),
      await goalOf(mine),
    ];
    const absent = '3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
    const submit = async (token: string, dependency: string) => {
      const answer = await gw.call('POST', `/agents/${mine}/goals`, {
        token,
        body: { goal_text: 'after', plan: PLAN, depends_on_goal_ids: [dependency] },
      });
      // The same answer with the id in it replaced, to compare answers about different ids.
      return { status: answer.statusCode, body: answer.body.replaceAll(dependency, '<id>') };
    };
    const nothing = await submit(admin.token, absent);
    expect(nothing.status).toBe(400);
    expect(await submit(admin.token, theirGoal)).toEqual(nothing);
    expect(await submit(plain.token, hiddenGoal)).toEqual(nothing);
    // The control: a visible goal of the same organization is a dependency like any other.
    expect((await submit(plain.token, myGoal)).status).toBe(201);
    const { rows } = await store.query('SELECT count(*)::int AS n FROM goals WHERE agent_id = $1', [mine]);
    expect(rows[0]).toEqual({ n: 2 });
  });

  it('lets only administrators and approvers change an approval policy, not an edit collaborator', async () => {
    const a = await org('A');
    const editor = await member('editor@test.example', a, 'org_member');
    const approver = await member('approver@test.example', a, 'org_member');
    const policy = { require_plan_approval: true, approvers: [approver.id] };
    const agent = await agentIn(a, { visibility: 'private', config: policy });
    // Both edit the agent; only one is named as its approver.
    for (const user of [editor, approver])
      await ok('POST', `/agents/${agent}/collaborators`, { user_id: user.id, level: 'edit' });
    const patch = (token: string, body: object) => gw.call('PATCH', `/agents/${agent}`, { token, body });
    const configNow = async () =>
      (
        (await gw.call('GET', `/agents/${agent}/profile`, { token: ADMIN_TOKEN })).json() as {
          config: object;
        }
      ).config;

    expect((await patch(editor.token, { config: {} })).statusCode).toBe(403);
    expect((await patch(editor.token, { config: { ...policy, required_approvals: 1 } })).statusCode).toBe(
      403,
    );
    const revision = await ok<{ revision: number }>(
      'POST',
      `/agents/${agent}/revisions`,
      { payload: { config: { note: 'no approval' } } },
      editor.token,
    );
    const activate = await gw.call('POST', `/agents/${agent}/revisions/${revision.revision}/activate`, {
      token: editor.token,
    });
    expect(activate.statusCode).toBe(403);
    expect(await configNow()).toEqual(policy);
    // Editing what is not the approval policy still works for the editor.
    expect((await patch(editor.token, { config: { ...policy, note: 'edited' } })).statusCode).toBe(200);
    expect((await patch(editor.token, { name: 'renamed' })).statusCode).toBe(200);
    // A named approver may change it (here: require two approvals), and an administrator may.
    expect((await patch(approver.token, { config: { ...policy, required_approvals: 2 } })).statusCode).toBe(
      200,
    );
    expect((await patch(ADMIN_TOKEN, { config: {} })).statusCode).toBe(200);
    expect(await configNow()).toEqual({});
  });

  it("lets only administrators open an agent's egress, not an edit collaborator", async () => {
    const a = await org('A');
    const editor = await member('egress-editor@test.example', a, 'org_member');
    const agent = await agentIn(a, { visibility: 'private', config: {} });
    await ok('POST', `/agents/${agent}/collaborators`, { user_id: editor.id, level: 'edit' });
    const patch = (token: string, config: object) =>
      gw.call('PATCH', `/agents/${agent}`, { token, body: { config } });
    const grant = { egress_allow: [{ host: 'api.example.com' }] };
    expect((await patch(editor.token, grant)).statusCode).toBe(403);
    expect((await patch(editor.token, { egress_task_grants: true })).statusCode).toBe(403);
    expect((await patch(ADMIN_TOKEN, grant)).statusCode).toBe(200);
    // Taking the grant away is a change of it too.
    expect((await patch(editor.token, {})).statusCode).toBe(403);
    expect((await patch(editor.token, { ...grant, note: 'edited' })).statusCode).toBe(200);
  });
});
