import { fileURLToPath } from 'node:url';
import { createServiceToken } from '../../src/services/identity/service-tokens.js';
import type { MatrixServer } from './matrix-server.js';

const PID_SERVER = fileURLToPath(new URL('../fixtures/mcp/pid-server.mjs', import.meta.url));

/** A stdio MCP server's registration (the node allows process.execPath: matrix-server.ts). */
export const mcpServerSpec = (name: string) => ({
  name,
  transport: 'stdio',
  command: process.execPath,
  args: [PID_SERVER],
});

/**
 * The world the access tests run in, created through the API as the super-admin (the admin token):
 *
 * - organizations A and B; team T in A;
 * - users, one per role: `super` (is_super_admin), `orgAdmin` / `agentAdmin` (org_admin /
 *   agent_admin of A), `member`, `teamAdmin`, `teamMember`, `owner`, `collabUse`, `collabEdit`,
 *   `collabAdmin` (org_member of A; teamAdmin / teamMember also team_admin / team_member of T),
 *   `outsider` (org_admin of B) and `noOrg` (no organization); plus `spare` (org_member of A) and
 *   `spareB` (org_member of B) and `helper` (org_member of A), who hold no role in the matrix and
 *   are what the member and user routes (spare) and the collaborator routes (helper, spareB) act
 *   on, and `leaver`, an org_member of A removed by an escalation test;
 * - users whose standing changed after their credentials were made: `demoted` (a super-admin in no
 *   organization, demoted after its token and key were issued: the token still says `sa: true`)
 *   and `suspended` (an org_admin of A, suspended after its token and key were issued);
 * - users of B in each state of an invitation to join A, sent by A's org admin: `invitee`
 *   (pending), `declined`, `cancelled` (by A's admin), `expired` (all invited as org_admin) and
 *   `joined` (accepted, invited as org_member: now a member of A and of B);
 * - more principals: API keys (KEYS: `keyRead` of member, `adminKeyRead` and `adminKeyUse` of
 *   orgAdmin, `superKeyRead` of super, all scoped; `demotedKey` and `suspendedKey`, unscoped, made
 *   before their user's change) and `service`, a service token of the agent `pub`;
 * - agents: `pub` (A, public), `team` (A, team T, visibility team), `priv` (A, private, created by
 *   `owner`, with collaborators collabUse/collabEdit/collabAdmin at use/edit/admin), `glob` (B,
 *   global), and, for the isolation tests only, `bPub` (B, public) and `bPriv` (B, private). No
 *   agent names approvers, so its administrators decide its approvals; each has a goal with a graph of `noop` → `sleep` tasks, a pending plan approval (a goal
 *   submitted with require_approval), a document and a revision.
 */
export const USERS = [
  'super',
  'orgAdmin',
  'agentAdmin',
  'member',
  'teamAdmin',
  'teamMember',
  'owner',
  'collabUse',
  'collabEdit',
  'collabAdmin',
  'outsider',
  'noOrg',
  'spare',
  'spareB',
  'helper',
  'leaver',
  'demoted',
  'suspended',
  'invitee',
  'declined',
  'cancelled',
  'expired',
  'joined',
] as const;
export type UserName = (typeof USERS)[number];

/** The states of an invitation to join A, one user of B in each. */
export const INVITATION_STATES = ['invitee', 'declined', 'cancelled', 'expired', 'joined'] as const;
export type InvitationState = (typeof INVITATION_STATES)[number];

/** The API keys of the matrix: whose key each is and its scope (null: none, the user's full rights). */
export const KEYS = {
  keyRead: { of: 'member', scope: 'read' },
  adminKeyRead: { of: 'orgAdmin', scope: 'read' },
  adminKeyUse: { of: 'orgAdmin', scope: 'use' },
  superKeyRead: { of: 'super', scope: 'read' },
  demotedKey: { of: 'demoted', scope: null },
  suspendedKey: { of: 'suspended', scope: null },
} as const satisfies Record<string, { of: UserName; scope: 'read' | 'use' | 'edit' | null }>;
export type KeyName = keyof typeof KEYS;
const isKey = (role: string): role is KeyName => role in KEYS;

/** The principals of the matrix: users by role, API keys and a service token. */
export const ROLES = [
  'super',
  'orgAdmin',
  'agentAdmin',
  'member',
  'teamAdmin',
  'teamMember',
  'owner',
  'collabUse',
  'collabEdit',
  'collabAdmin',
  'outsider',
  'noOrg',
  'demoted',
  'suspended',
  ...INVITATION_STATES,
  'keyRead',
  'adminKeyRead',
  'adminKeyUse',
  'superKeyRead',
  'demotedKey',
  'suspendedKey',
  'service',
] as const;
export type Role = (typeof ROLES)[number];

/** The agents the matrix runs every agent-owned operation against. */
export const MATRIX_AGENTS = ['pub', 'team', 'priv', 'glob'] as const;
export const AGENTS = [...MATRIX_AGENTS, 'bPub', 'bPriv'] as const;
export type AgentName = (typeof AGENTS)[number];

export interface AgentFixture {
  readonly id: string;
  readonly goal: string;
  readonly graph: string;
  readonly task: string;
  readonly approval: string;
  readonly document: string;
  readonly memory: string;
  readonly revision: number;
}

export interface User {
  readonly id: string;
  readonly email: string;
}

export interface Fixture {
  readonly orgA: string;
  readonly orgB: string;
  readonly team: string;
  readonly users: Record<UserName, User>;
  /** The invitation to join A of each invitation-state user. */
  readonly invitations: Record<InvitationState, string>;
  /** Bearer credential per matrix principal. */
  readonly credentials: Record<Role, string>;
  readonly agents: Record<AgentName, AgentFixture>;
  /** The built-in policy set's text (version 1). */
  readonly policies: string;
}

export const PLAN = {
  tasks: [
    { id: 'a', type: 'noop' },
    { id: 'b', type: 'sleep', payload: { ms: 10 }, depends_on: ['a'] },
  ],
};

export const PASSWORD = 'access-matrix-password-1';

interface AgentSpec {
  readonly org: 'A' | 'B';
  readonly visibility: 'public' | 'team' | 'private' | 'global';
  readonly team?: true;
  /** Created with this user's token (the agent's owner); otherwise with the admin token (no owner). */
  readonly owner?: UserName;
  readonly collaborators?: Partial<Record<UserName, 'use' | 'edit' | 'admin'>>;
}

export const AGENT_SPECS: Record<AgentName, AgentSpec> = {
  pub: { org: 'A', visibility: 'public' },
  team: { org: 'A', visibility: 'team', team: true },
  priv: {
    org: 'A',
    visibility: 'private',
    owner: 'owner',
    collaborators: { collabUse: 'use', collabEdit: 'edit', collabAdmin: 'admin' },
  },
  glob: { org: 'B', visibility: 'global' },
  bPub: { org: 'B', visibility: 'public' },
  bPriv: { org: 'B', visibility: 'private' },
};

const MEMBERSHIPS: Partial<Record<UserName, { A?: string; B?: string; T?: string }>> = {
  orgAdmin: { A: 'org_admin' },
  agentAdmin: { A: 'agent_admin' },
  member: { A: 'org_member' },
  teamAdmin: { A: 'org_member', T: 'team_admin' },
  teamMember: { A: 'org_member', T: 'team_member' },
  owner: { A: 'org_member' },
  collabUse: { A: 'org_member' },
  collabEdit: { A: 'org_member' },
  collabAdmin: { A: 'org_member' },
  outsider: { B: 'org_admin' },
  spare: { A: 'org_member' },
  spareB: { B: 'org_member' },
  helper: { A: 'org_member' },
  leaver: { A: 'org_member' },
  suspended: { A: 'org_admin' },
  invitee: { B: 'org_member' },
  declined: { B: 'org_member' },
  cancelled: { B: 'org_member' },
  expired: { B: 'org_member' },
  joined: { B: 'org_member' },
};

/** Everything the agent routes need to exist for one agent; the goal/approval helpers are reused per case. */
export class World {
  readonly #server: MatrixServer;
  #fixture: Fixture | undefined;
  #tokens: Partial<Record<UserName, string>> = {};
  #sequence = 0;

  constructor(server: MatrixServer) {
    this.#server = server;
  }

  get fixture(): Fixture {
    if (this.#fixture === undefined) throw new Error('the fixture is not built');
    return this.#fixture;
  }

  /** A name no earlier call returned (organizations, teams and emails are unique). */
  readonly #mcpServers = new Set<string>();

  unique(label: string): string {
    this.#sequence++;
    return `${label}-${this.#sequence}-${Math.random().toString(36).slice(2, 8)}`;
  }

  async tokenOf(user: UserName): Promise<string> {
    const known = this.#tokens[user];
    if (known !== undefined) return known;
    const u = this.fixture.users[user];
    // The demoted user's token was issued while it was a super-admin, and says so.
    const token = await this.#server.tokenFor({ ...u, superAdmin: user === 'super' || user === 'demoted' });
    this.#tokens[user] = token;
    return token;
  }

  async build(): Promise<Fixture> {
    const s = this.#server;
    const orgA = (await s.admin<{ id: string }>('POST', '/orgs', { name: 'Org A' })).id;
    const orgB = (await s.admin<{ id: string }>('POST', '/orgs', { name: 'Org B' })).id;
    const team = (await s.admin<{ id: string }>('POST', `/orgs/${orgA}/teams`, { name: 'Team T' })).id;
    const users = {} as Record<UserName, User>;
    for (const name of USERS) {
      const email = `${name.toLowerCase()}@access.test`;
      const created = await s.admin<{ id: string }>('POST', '/users', {
        email,
        password: PASSWORD,
        display_name: name,
        ...(name === 'super' || name === 'demoted' ? { is_super_admin: true } : {}),
      });
      users[name] = { id: created.id, email };
    }
    for (const [name, roles] of Object.entries(MEMBERSHIPS) as [
      UserName,
      { A?: string; B?: string; T?: string },
    ][]) {
      const userId = users[name].id;
      if (roles.A) await s.admin('POST', `/orgs/${orgA}/members`, { user_id: userId, role: roles.A });
      if (roles.B) await s.admin('POST', `/orgs/${orgB}/members`, { user_id: userId, role: roles.B });
      if (roles.T) await s.admin('POST', `/teams/${team}/members`, { user_id: userId, role: roles.T });
    }
    this.#fixture = {
      orgA,
      orgB,
      team,
      users,
      invitations: {} as Record<InvitationState, string>,
      credentials: {} as Record<Role, string>,
      agents: {} as Record<AgentName, AgentFixture>,
      policies: (await s.admin<{ policies: string }>('GET', '/policies/1')).policies,
    };
    const agents = this.#fixture.agents as Record<AgentName, AgentFixture>;
    for (const name of AGENTS) agents[name] = await this.#agentWithChildren(name);

    await this.#invitations();
    const credentials = this.#fixture.credentials as Record<Role, string>;
    for (const role of ROLES) {
      if (isKey(role)) {
        const { of, scope } = KEYS[role];
        const answer = await s.call<{ key: string }>('POST', '/api-keys', await this.tokenOf(of), {
          name: role,
          ...(scope === null ? {} : { scopes: [scope] }),
        });
        if (answer.status !== 201)
          throw new Error(`api key: ${answer.status} ${JSON.stringify(answer.body)}`);
        credentials[role] = answer.body.key;
      } else if (role === 'service') {
        credentials.service = (
          await s.admin<{ token: string }>('POST', `/agents/${agents.pub.id}/service-tokens`, { name: 'pub' })
        ).token;
      } else credentials[role] = await this.tokenOf(role);
    }
    // Last: their credentials were made while they stood higher.
    await s.admin('PATCH', `/users/${users.demoted.id}`, { is_super_admin: false });
    await s.admin('PATCH', `/users/${users.suspended.id}`, { status: 'suspended' });
    return this.#fixture;
  }

  /** A new agent like the named one: same organization, team, visibility, owner and collaborators. */
  async agentLike(name: AgentName): Promise<string> {
    const s = this.#server;
    const f = this.fixture;
    const spec = AGENT_SPECS[name];
    const body = {
      name: this.unique(name),
      org_id: spec.org === 'A' ? f.orgA : f.orgB,
      visibility: spec.visibility,
      ...(spec.team ? { team_id: f.team } : {}),
    };
    const created =
      spec.owner === undefined
        ? await s.admin<{ actor_id: string }>('POST', '/agents', body)
        : await this.#ok<{ actor_id: string }>('POST', '/agents', await this.tokenOf(spec.owner), body);
    const id = created.actor_id;
    for (const [user, level] of Object.entries(spec.collaborators ?? {}))
      await s.admin('POST', `/agents/${id}/collaborators`, { user_id: f.users[user as UserName].id, level });
    return id;
  }

  /** A new goal (active, tasks not ended) on an agent: its id, graph and first task. */
  async goalOn(agentId: string): Promise<{ goal: string; graph: string; task: string }> {
    const s = this.#server;
    const goal = await s.admin<{ goal_id: string; graph_id: string }>('POST', `/agents/${agentId}/goals`, {
      goal_text: 'access fixture goal',
      plan: PLAN,
    });
    const details = await s.admin<{ tasks: { id: string }[] }>('GET', `/goals/${goal.goal_id}/details`);
    return { goal: goal.goal_id, graph: goal.graph_id, task: details.tasks[0]?.id as string };
  }

  /** An MCP server registered under `name` (the small stdio server of test/fixtures/mcp), once. */
  async mcpServer(name: string): Promise<string> {
    if (!this.#mcpServers.has(name)) {
      await this.#server.admin('POST', '/mcp/servers', mcpServerSpec(name));
      this.#mcpServers.add(name);
    }
    return name;
  }

  /** A new pending plan approval on an agent. */
  async approvalOn(agentId: string): Promise<string> {
    const answer = await this.#server.admin<{ approval_id?: string }>('POST', `/agents/${agentId}/goals`, {
      goal_text: 'access fixture approval',
      plan: PLAN,
      require_approval: true,
    });
    if (answer.approval_id === undefined) throw new Error(`no approval: ${JSON.stringify(answer)}`);
    return answer.approval_id;
  }

  /** A new fact in the agent's semantic memory. */
  async memoryOn(agentId: string): Promise<string> {
    return (
      await this.#server.admin<{ memory: { id: string } }>('POST', `/agents/${agentId}/memories`, {
        content: `fixture fact ${this.unique('fact')}`,
      })
    ).memory.id;
  }

  async documentOn(agentId: string): Promise<string> {
    return (
      await this.#server.admin<{ id: string }>('POST', `/agents/${agentId}/documents`, {
        doc_type: 'rule',
        name: this.unique('rule'),
        content: 'be brief',
      })
    ).id;
  }

  /** A service token of the agent, minted in the store (the route allows 60 a minute per caller). */
  async serviceTokenOn(agentId: string): Promise<string> {
    const { record } = await createServiceToken(this.#server.node.backends.store, {
      agentId,
      name: this.unique('token'),
      createdBy: null,
      ttlSeconds: 3600,
      now: new Date(),
    });
    return record.id;
  }

  /** A request as the super-admin (the admin token); throws unless it answers 2xx. */
  call<T = unknown>(method: string, target: string, body?: unknown): Promise<T> {
    return this.#server.admin<T>(method, target, body);
  }

  /** Puts a user (back) into an organization or team with a role, as the super-admin. */
  async member(where: 'A' | 'B' | 'T', user: UserName, role: string): Promise<void> {
    const f = this.fixture;
    const path =
      where === 'T' ? `/teams/${f.team}/members` : `/orgs/${where === 'A' ? f.orgA : f.orgB}/members`;
    await this.#server.admin('POST', path, { user_id: f.users[user].id, role });
  }

  /** A pending invitation of organization A for a user, sent by A's org admin (super-admins add directly). */
  async invitation(user: UserName, role = 'org_member'): Promise<string> {
    const answer = await this.#ok<{ id: string }>(
      'POST',
      `/orgs/${this.fixture.orgA}/members`,
      await this.tokenOf('orgAdmin'),
      { user_id: this.fixture.users[user].id, role },
    );
    return answer.id;
  }

  /** A's org admin invites each invitation-state user, who then decides (or not, or too late). */
  async #invitations(): Promise<void> {
    const f = this.fixture;
    const invitations = f.invitations as Record<InvitationState, string>;
    for (const user of INVITATION_STATES)
      invitations[user] = await this.invitation(user, user === 'joined' ? 'org_member' : 'org_admin');
    const asUser = async (user: UserName, method: string, target: string) =>
      this.#ok(method, target, await this.tokenOf(user));
    await asUser('joined', 'POST', `/invitations/${invitations.joined}/accept`);
    await asUser('declined', 'POST', `/invitations/${invitations.declined}/decline`);
    await asUser('orgAdmin', 'DELETE', `/orgs/${f.orgA}/invitations/${invitations.cancelled}`);
    // Time passing, in the database: the invitation's expiry is behind it.
    await this.#server.node.backends.store.query(
      `UPDATE org_invitations SET expires_at = now() - interval '1 second' WHERE id = $1`,
      [invitations.expired],
    );
  }

  async #agentWithChildren(name: AgentName): Promise<AgentFixture> {
    const id = await this.agentLike(name);
    const goal = await this.goalOn(id);
    const approval = await this.approvalOn(id);
    const document = await this.documentOn(id);
    const memory = await this.memoryOn(id);
    const revision = await this.#server.admin<{ revision: number }>('POST', `/agents/${id}/revisions`, {
      payload: { system_prompt: 'fixture prompt' },
    });
    return { id, ...goal, approval, document, memory, revision: revision.revision };
  }

  async #ok<T>(method: string, target: string, bearer: string, body?: unknown): Promise<T> {
    const answer = await this.#server.call<T>(method, target, bearer, body);
    if (answer.status >= 300)
      throw new Error(`setup ${method} ${target} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  }
}
