/**
 * The built-in policy set (version 1) and the Cedar schema every version is validated against.
 * Deny is the default: a request is allowed only when some `permit` matches and no `forbid` does.
 * docs/access.md explains each rule in prose; change them with `POST /policies` (a new version,
 * validated before it is stored) and `POST /policies/{version}/activate`.
 *
 * Entities (built per request from the database by access/entities.ts):
 * - `Astra::User`: `superAdmin`, the organizations it belongs to (`orgs`) and those where it is
 *   `org_admin` (`orgAdmin`) or `agent_admin` (`agentAdmin`); its teams (`teams`) and those where it
 *   is `team_admin` (`teamAdmin`). The admin token acts as a super-admin user.
 * - `Astra::Agent`: its organization, team, owner, `visibility` (global|public|team|private) and its
 *   collaborators by level (`useBy` ⊇ `editBy` ⊇ `adminBy`). An agent is also a principal when it
 *   calls with a service token (agent-to-agent goals).
 * - `Astra::Org`, `Astra::Team` (with its `org`), `Astra::Account` (a user as the subject of a
 *   request, with its `orgs`), `Astra::Platform` (workers, stats, users, policies, the audit).
 * - `Astra::Tool`: a tool version an agent's task calls (`tool.call`, decided when the call is
 *   made): its `name`, `version`, `riskTier` (low|medium|high|critical) and `riskRank` (0…3, to
 *   compare tiers), `sideEffect` and `sandbox`. A permit of `tool.call` annotated
 *   `@require_approval` that matches makes the call wait for people's approval (access/tool-policy.ts).
 * Context: `approvers` (the users named on an approval, for `approval.decide`).
 */
export const CEDAR_SCHEMA = `
namespace Astra {
  entity Org;
  entity Team = { org: Org };
  entity Platform;
  entity User = {
    superAdmin: Bool,
    orgs: Set<Org>,
    orgAdmin: Set<Org>,
    agentAdmin: Set<Org>,
    teams: Set<Team>,
    teamAdmin: Set<Team>,
  };
  entity Agent = {
    org: Org,
    team?: Team,
    owner?: User,
    visibility: String,
    useBy: Set<User>,
    editBy: Set<User>,
    adminBy: Set<User>,
  };
  entity Account = { user: User, orgs: Set<Org> };
  entity Tool = {
    name: String,
    version: String,
    riskTier: String,
    riskRank: Long,
    sideEffect: String,
    sandbox: String,
  };

  action "org.view", "org.admin", "agent.create", "worker.run" appliesTo { principal: [User], resource: [Org] };
  action "team.admin" appliesTo { principal: [User], resource: [Team] };
  action "agent.view", "agent.use" appliesTo { principal: [User, Agent], resource: [Agent] };
  action "agent.edit", "agent.admin" appliesTo { principal: [User], resource: [Agent] };
  action "approval.decide" appliesTo {
    principal: [User],
    resource: [Agent],
    context: { approvers?: Set<User> },
  };
  action "user.view", "user.admin" appliesTo { principal: [User], resource: [Account] };
  action "platform.view", "platform.admin" appliesTo { principal: [User], resource: [Platform] };
  action "tool.call" appliesTo { principal: [Agent], resource: [Tool] };
}
`;

export const DEFAULT_POLICIES = `
// Super-admins (and the admin token) may do everything.
@id("super-admin")
permit (principal is Astra::User, action, resource)
when { principal.superAdmin };

// Global agents: every signed-in user may see and use them.
@id("agent-global")
permit (
  principal is Astra::User,
  action in [Astra::Action::"agent.view", Astra::Action::"agent.use"],
  resource is Astra::Agent
)
when { resource.visibility == "global" };

// Public agents: members of the agent's organization may see and use them.
@id("agent-public")
permit (
  principal is Astra::User,
  action in [Astra::Action::"agent.view", Astra::Action::"agent.use"],
  resource is Astra::Agent
)
when { resource.visibility == "public" && principal.orgs.contains(resource.org) };

// Team agents: members of the agent's team may see and use them.
@id("agent-team")
permit (
  principal is Astra::User,
  action in [Astra::Action::"agent.view", Astra::Action::"agent.use"],
  resource is Astra::Agent
)
when {
  resource.visibility == "team" &&
  resource has team &&
  principal.teams.contains(resource.team)
};

// The owner of an agent administers it.
@id("agent-owner")
permit (
  principal is Astra::User,
  action in [
    Astra::Action::"agent.view",
    Astra::Action::"agent.use",
    Astra::Action::"agent.edit",
    Astra::Action::"agent.admin"
  ],
  resource is Astra::Agent
)
when { resource has owner && resource.owner == principal };

// Collaborators: use lets them see and use the agent; edit adds changes to its settings,
// documents and revisions; admin adds deleting it, its collaborators and approvals.
@id("collaborator-use")
permit (
  principal is Astra::User,
  action in [Astra::Action::"agent.view", Astra::Action::"agent.use"],
  resource is Astra::Agent
)
when { resource.useBy.contains(principal) };

@id("collaborator-edit")
permit (principal is Astra::User, action == Astra::Action::"agent.edit", resource is Astra::Agent)
when { resource.editBy.contains(principal) };

@id("collaborator-admin")
permit (principal is Astra::User, action == Astra::Action::"agent.admin", resource is Astra::Agent)
when { resource.adminBy.contains(principal) };

// Organization admins and agent admins administer every agent of their organization;
// team admins every agent of their team.
@id("org-admin-agents")
permit (
  principal is Astra::User,
  action in [
    Astra::Action::"agent.view",
    Astra::Action::"agent.use",
    Astra::Action::"agent.edit",
    Astra::Action::"agent.admin"
  ],
  resource is Astra::Agent
)
when { principal.orgAdmin.contains(resource.org) || principal.agentAdmin.contains(resource.org) };

@id("team-admin-agents")
permit (
  principal is Astra::User,
  action in [
    Astra::Action::"agent.view",
    Astra::Action::"agent.use",
    Astra::Action::"agent.edit",
    Astra::Action::"agent.admin"
  ],
  resource is Astra::Agent
)
when { resource has team && principal.teamAdmin.contains(resource.team) };

// Approvals: when a request names its approvers, those of them in the agent's organization decide
// it (and super-admins); when it names none, the agent's administrators do.
@id("named-approver")
permit (principal is Astra::User, action == Astra::Action::"approval.decide", resource is Astra::Agent)
when {
  context has approvers &&
  context.approvers.contains(principal) &&
  principal.orgs.contains(resource.org)
};

@id("agent-admins-decide")
permit (principal is Astra::User, action == Astra::Action::"approval.decide", resource is Astra::Agent)
when {
  context has approvers &&
  context.approvers.isEmpty() &&
  (
    (resource has owner && resource.owner == principal) ||
    resource.adminBy.contains(principal) ||
    principal.orgAdmin.contains(resource.org) ||
    principal.agentAdmin.contains(resource.org) ||
    (resource has team && principal.teamAdmin.contains(resource.team))
  )
};

// Organizations: members see theirs and create agents in it; org admins manage it.
@id("org-member")
permit (
  principal is Astra::User,
  action in [Astra::Action::"org.view", Astra::Action::"agent.create"],
  resource is Astra::Org
)
when { principal.orgs.contains(resource) };

@id("org-admin")
permit (principal is Astra::User, action == Astra::Action::"org.admin", resource is Astra::Org)
when { principal.orgAdmin.contains(resource) };

// Remote workers see and finish the tasks of every agent of their organization, so running one
// takes what administering all of them takes: org admins and agent admins.
@id("org-workers")
permit (principal is Astra::User, action == Astra::Action::"worker.run", resource is Astra::Org)
when { principal.orgAdmin.contains(resource) || principal.agentAdmin.contains(resource) };

// Teams: team admins, and the admins of the team's organization, manage a team.
@id("team-admin")
permit (principal is Astra::User, action == Astra::Action::"team.admin", resource is Astra::Team)
when { principal.teamAdmin.contains(resource) || principal.orgAdmin.contains(resource.org) };

// Users: everyone sees their own account; org admins see the accounts of their members.
@id("user-self")
permit (principal is Astra::User, action == Astra::Action::"user.view", resource is Astra::Account)
when { resource.user == principal };

@id("user-org-admin")
permit (principal is Astra::User, action == Astra::Action::"user.view", resource is Astra::Account)
when { principal.orgAdmin.containsAny(resource.orgs) };

// Agents calling with a service token may see and use agents of their organization that are not
// private, and global agents (agent-to-agent goals).
@id("agent-to-agent")
permit (
  principal is Astra::Agent,
  action in [Astra::Action::"agent.view", Astra::Action::"agent.use"],
  resource is Astra::Agent
)
when {
  resource.visibility == "global" ||
  (resource.org == principal.org && resource.visibility != "private")
};

// Tool calls: an agent's tasks may call the tools its allowed_tools names (checked before this).
// Add forbids to refuse calls, and permits annotated @require_approval to make calls wait for
// people's approval (docs/tools.md, "Policies on tool calls").
@id("agent-tools")
permit (principal is Astra::Agent, action == Astra::Action::"tool.call", resource is Astra::Tool);
`;
