import {
  ACCOUNTS,
  type AccountName,
  expectedOnAccount,
  expectedOnAgent,
  expectedOnOrgA,
  expectedOnOwnProfile,
  expectedOnPlatform,
  expectedOnTeamT,
  isOwnAccount,
  type Outcome,
} from './expected.js';
import {
  type AgentName,
  MATRIX_AGENTS,
  mcpServerSpec,
  PLAN,
  ROLES,
  type Role,
  type World,
} from './fixture.js';

/**
 * The cases of the role × endpoint matrix, from the served OpenAPI document: every operation whose
 * `x-astra-access` names a resource, for every principal, against the fixture resource of its
 * kind (agent-owned kinds: against each matrix agent; user accounts: against each of ACCOUNTS). Each case knows how to fill its path, what
 * body to send (a valid one, so that allowed requests mostly succeed) and what the expected
 * outcome is. Operations that destroy or change what other cases rely on run on resources made
 * for the case (`prepare`). A path parameter with no rule here fails the test: a new route needs a
 * line in PARAMS or PREPARE.
 */
export interface Access {
  readonly action: string;
  readonly resource?: { readonly type: string; readonly param?: string; readonly body?: string };
  readonly filtered?: true;
  readonly self?: true;
}

export interface Operation {
  readonly method: string;
  readonly path: string;
  readonly access: Access | undefined;
}

export interface Case {
  readonly op: Operation;
  readonly role: Role;
  readonly agent: AgentName | null;
  /** The account a user route is about. */
  readonly account: AccountName | null;
  readonly expected: Outcome;
}

export interface Prepared {
  readonly target: string;
  readonly body?: unknown;
  /** Undoes what the preparation made that would change other cases' answers (run after the request). */
  readonly after?: () => Promise<void>;
}

export function operationsOf(document: unknown): Operation[] {
  const paths = (document as { paths: Record<string, Record<string, { 'x-astra-access'?: Access }>> }).paths;
  return Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      access: op['x-astra-access'],
    })),
  );
}

/** A tool manifest under a name no other case uses (names are lower case: `unique` may not be). */
const toolManifest = (unique: string) => ({
  name: unique.toLowerCase().replace(/[^a-z0-9_.:-]/g, '_'),
  version: '1.0.0',
  risk_tier: 'low',
  sandbox: 'quickjs',
  side_effect: 'read_only',
});

const AGENT_OWNED = new Set(['agent', 'goal', 'graph', 'task', 'approval', 'memory']);

/** Routes whose handler narrows the rule further, on purpose (documented in their summaries). */
function narrowed(op: Operation, role: Role, outcome: Outcome): Outcome {
  // Only agents, with their service tokens, submit to /internal/goals.
  if (`${op.method} ${op.path}` === 'POST /internal/goals' && role !== 'service' && outcome === 'allow')
    return 'forbidden';
  return outcome;
}

/**
 * A user route about an account. Changing another user is a super-admin's business, seeing them is
 * not enough; a user may change their own name (an API key of theirs needs the `admin` scope).
 */
function onAccount(op: Operation, role: Role, action: string, account: AccountName): Outcome {
  if (`${op.method} ${op.path}` !== 'PATCH /users/{id}') return expectedOnAccount(role, action, account);
  return isOwnAccount(role, account)
    ? expectedOnOwnProfile(role)
    : expectedOnAccount(role, 'user.admin', account);
}

export function casesOf(operations: readonly Operation[]): Case[] {
  const cases: Case[] = [];
  for (const op of operations) {
    const resource = op.access?.resource;
    if (op.access === undefined || resource === undefined) continue;
    const { action } = op.access;
    for (const role of ROLES) {
      const add = (agent: AgentName | null, account: AccountName | null, outcome: Outcome) =>
        cases.push({ op, role, agent, account, expected: narrowed(op, role, outcome) });
      if (AGENT_OWNED.has(resource.type))
        for (const agent of MATRIX_AGENTS) add(agent, null, expectedOnAgent(role, action, agent));
      else if (resource.type === 'user')
        for (const account of ACCOUNTS) add(null, account, onAccount(op, role, action, account));
      else {
        const outcome =
          resource.type === 'org'
            ? expectedOnOrgA(role, action)
            : resource.type === 'team'
              ? expectedOnTeamT(role, action)
              : resource.type === 'platform'
                ? expectedOnPlatform(role, action)
                : undefined;
        if (outcome === undefined)
          throw new Error(`${op.method} ${op.path}: no expectation for ${resource.type}`);
        add(null, null, outcome);
      }
    }
  }
  return cases;
}

type Params = Record<string, string>;

/** Builds a case's path parameters and body; runs setup for operations that need their own resources. */
export async function prepare(world: World, c: Case): Promise<Prepared> {
  const f = world.fixture;
  const key = `${c.op.method} ${c.op.path}`;
  const resource = c.op.access?.resource;
  const agent = c.agent === null ? undefined : f.agents[c.agent];
  const inB = c.agent === 'glob';
  const collaborator = inB ? f.users.spareB.id : f.users.helper.id;
  const params: Params = {};
  let after: (() => Promise<void>) | undefined;

  // The resource the rule names.
  if (resource?.param !== undefined && agent !== undefined) {
    const ids: Record<string, string> = {
      agent: agent.id,
      goal: agent.goal,
      graph: agent.graph,
      task: agent.task,
      approval: agent.approval,
      memory: agent.memory,
    };
    params[resource.param] = ids[resource.type] as string;
  } else if (resource?.param !== undefined) {
    const ids: Record<string, string> = {
      org: f.orgA,
      team: f.team,
      user: f.users[c.account ?? 'spare'].id,
    };
    params[resource.param] = ids[resource.type] as string;
  }

  // Operations that get their own resources.
  switch (key) {
    case 'DELETE /agents/{id}':
      params.id = await world.agentLike(c.agent as AgentName);
      break;
    case 'POST /agents/{id}/forget': {
      // It forgets everything: an agent of its own keeps the fixture's memories for the others,
      // deleted afterwards so the agent lists stay as the fixture made them.
      const id = await world.agentLike(c.agent as AgentName);
      params.id = id;
      after = async () => void (await world.call('DELETE', `/agents/${id}`));
      break;
    }
    case 'DELETE /memories/{id}':
      params.id = await world.memoryOn(agent?.id as string);
      break;
    case 'DELETE /agents/{id}/documents/{doc_id}':
      params.doc_id = await world.documentOn(agent?.id as string);
      break;
    case 'DELETE /agents/{id}/service-tokens/{token_id}':
      params.token_id = await world.serviceTokenOn(agent?.id as string);
      break;
    case 'DELETE /agents/{id}/collaborators/{user_id}':
      await world.call('POST', `/agents/${agent?.id}/collaborators`, { user_id: collaborator, level: 'use' });
      params.user_id = collaborator;
      break;
    case 'POST /goals/{id}/cancel':
      params.id = (await world.goalOn(agent?.id as string)).goal;
      break;
    case 'POST /graphs/{id}/cancel':
      params.id = (await world.goalOn(agent?.id as string)).graph;
      break;
    case 'POST /tasks/{id}/cancel':
    case 'POST /tasks/{id}/complete':
      params.id = (await world.goalOn(agent?.id as string)).task;
      break;
    case 'POST /approvals/{id}/approve':
    case 'POST /approvals/{id}/deny':
    case 'POST /approvals/{id}/decide':
      params.id = await world.approvalOn(agent?.id as string);
      break;
    case 'DELETE /orgs/{id}/members/{user_id}':
      await world.member('A', 'spare', 'org_member');
      params.user_id = f.users.spare.id;
      break;
    case 'DELETE /orgs/{id}/invitations/{invitation_id}':
      params.invitation_id = await world.invitation('spareB');
      break;
    case 'POST /teams/{id}/members':
      await world.member('A', 'spare', 'org_member');
      break;
    case 'DELETE /tools/{name}/versions/{version}': {
      // A version of its own, so removing it takes nothing from the other cases.
      const tool = toolManifest(world.unique('matrix-tool'));
      await world.call('POST', '/tools', tool);
      params.name = tool.name;
      params.version = tool.version;
      break;
    }
    case 'GET /mcp/servers/{name}':
    case 'POST /mcp/servers/{name}/refresh':
      params.name = await world.mcpServer('matrix-mcp');
      break;
    case 'DELETE /mcp/servers/{name}':
      // A server of its own, so removing it takes nothing from the other cases.
      params.name = await world.mcpServer(world.unique('mcp'));
      break;
    case 'DELETE /teams/{id}/members/{user_id}':
      await world.member('A', 'spare', 'org_member');
      await world.member('T', 'spare', 'team_member');
      params.user_id = f.users.spare.id;
      break;
    default:
      if (c.account === 'spare') await world.member('A', 'spare', 'org_member');
  }

  // Other path parameters.
  if (agent !== undefined && params.rev === undefined) params.rev = String(agent.revision);
  params.version ??= '1';

  // Bodies.
  const goal = { goal_text: 'matrix goal', plan: PLAN };
  const bodies: Record<string, () => unknown> = {
    'PATCH /agents/{id}': () => ({ name: world.unique('renamed') }),
    'PATCH /agents/{id}/platform': () => ({ priority: 1 }),
    'POST /agents/{id}/goals': () => goal,
    'POST /goals': () => ({ ...goal, agent_id: agent?.id }),
    'POST /internal/goals': () => ({ ...goal, agent_id: agent?.id }),
    // Allowed: 201, or 409 ASTRA_CHAT_NOT_CAPABLE for the agents that do not chat (past access control).
    'POST /chat/sessions': () => ({ agent_id: agent?.id, title: 'matrix' }),
    'POST /agents/{id}/documents': () => ({ doc_type: 'rule', name: world.unique('doc'), content: 'x' }),
    'POST /agents/{id}/memories': () => ({ content: `matrix fact ${world.unique('fact')}` }),
    'POST /agents/{id}/memories/search': () => ({ query: 'fixture fact' }),
    'POST /agents/{id}/revisions': () => ({ payload: { system_prompt: 'matrix prompt' } }),
    'POST /agents/{id}/collaborators': () => ({ user_id: collaborator, level: 'use' }),
    'POST /agents/{id}/service-tokens': () => ({ name: 'matrix', ttl_seconds: 600 }),
    'POST /approvals/{id}/approve': () => ({ reason: 'matrix' }),
    'POST /approvals/{id}/deny': () => ({ reason: 'matrix' }),
    'POST /approvals/{id}/decide': () => ({ decision: 'approve', reason: 'matrix' }),
    'POST /tasks/{id}/complete': () => ({ result: { ok: true } }),
    // A dry run: the checks of the call, nothing run (the call runs as the task the body names).
    'POST /execute': () => ({ name: 'list_files', task_id: agent?.task, dry_run: true }),
    'POST /orgs': () => ({ name: world.unique('org') }),
    'POST /orgs/{id}/members': () => ({ user_id: f.users.spare.id, role: 'org_member' }),
    'POST /orgs/{id}/teams': () => ({ name: world.unique('team') }),
    'POST /teams/{id}/members': () => ({ user_id: f.users.spare.id, role: 'team_member' }),
    'POST /users': () => ({ email: `${world.unique('new')}@access.test`, password: 'a-new-password-123' }),
    'PATCH /users/{id}': () => ({ display_name: world.unique('name') }),
    'POST /users/{id}/reset-password': () => ({ password: 'another-password-123' }),
    'POST /policies': () => ({ policies: f.policies, description: 'matrix copy' }),
    'POST /tools': () => toolManifest(world.unique('matrix-tool')),
    'POST /mcp/servers': () => mcpServerSpec(world.unique('mcp')),
  };
  const body = bodies[key]?.() ?? (c.op.method === 'POST' || c.op.method === 'PATCH' ? {} : undefined);

  const target = c.op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined)
      throw new Error(`${key}: no value for path parameter {${name}} (add one in matrix-cases.ts)`);
    return value;
  });
  return {
    target,
    ...(body === undefined ? {} : { body }),
    ...(after === undefined ? {} : { after }),
  };
}
