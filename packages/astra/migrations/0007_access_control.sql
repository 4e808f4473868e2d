-- Access control: organizations, teams, memberships with roles, agent ownership, visibility and
-- collaborators, the versioned policy set the decisions come from, and the decision audit.
-- Roles: super_admin is a user flag (users.is_super_admin); org_admin, org_member and agent_admin
-- are per organization; team_admin and team_member per team.

CREATE TABLE organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organizations_name_idx ON organizations (lower(name));
CREATE TRIGGER organizations_updated_at BEFORE UPDATE ON organizations
  FOR EACH ROW EXECUTE FUNCTION update_updated_at();

-- Agents made before organizations existed, and agents made with the admin token without naming
-- one, belong to the default organization.
INSERT INTO organizations (id, name) VALUES ('00000000-0000-4000-8000-000000000001', 'default');

CREATE TABLE teams (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX teams_org_name_idx ON teams (org_id, lower(name));

CREATE TABLE org_memberships (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL
    CONSTRAINT org_memberships_role_check CHECK (role IN ('org_admin', 'org_member', 'agent_admin')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_memberships_user_idx ON org_memberships (user_id);

CREATE TABLE team_memberships (
  team_id uuid NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL
    CONSTRAINT team_memberships_role_check CHECK (role IN ('team_admin', 'team_member')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_memberships_user_idx ON team_memberships (user_id);

ALTER TABLE agents
  ADD COLUMN org_id uuid REFERENCES organizations (id) ON DELETE CASCADE,
  ADD COLUMN team_id uuid REFERENCES teams (id) ON DELETE SET NULL,
  ADD COLUMN owner_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  ADD COLUMN visibility text NOT NULL DEFAULT 'public'
    CONSTRAINT agents_visibility_check CHECK (visibility IN ('global', 'public', 'team', 'private'));
UPDATE agents SET org_id = '00000000-0000-4000-8000-000000000001' WHERE org_id IS NULL;
ALTER TABLE agents ALTER COLUMN org_id SET DEFAULT '00000000-0000-4000-8000-000000000001';
ALTER TABLE agents ALTER COLUMN org_id SET NOT NULL;
CREATE INDEX agents_org_idx ON agents (org_id);

CREATE TABLE agent_collaborators (
  agent_id uuid NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  level text NOT NULL CONSTRAINT agent_collaborators_level_check CHECK (level IN ('use', 'edit', 'admin')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (agent_id, user_id)
);
CREATE INDEX agent_collaborators_user_idx ON agent_collaborators (user_id);

-- The policy set, versioned: every change is a new version; the active one is the version most
-- recently activated. Version 1 (the built-in policies) is written at first start by the service.
CREATE TABLE policy_sets (
  version integer PRIMARY KEY,
  policies text NOT NULL,
  description text NOT NULL DEFAULT '',
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  activated_at timestamptz
);
CREATE INDEX policy_sets_activated_idx ON policy_sets (activated_at DESC) WHERE activated_at IS NOT NULL;

-- Every decision that denies, and every allowed change (reads that are allowed are counted, not
-- stored one by one: see docs/access.md).
CREATE TABLE access_decisions (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  principal text NOT NULL,
  action text NOT NULL,
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  org_id uuid,
  decision text NOT NULL CONSTRAINT access_decisions_decision_check CHECK (decision IN ('allow', 'deny')),
  policy_version integer,
  reasons jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX access_decisions_at_idx ON access_decisions (at);
CREATE INDEX access_decisions_org_idx ON access_decisions (org_id, at) WHERE org_id IS NOT NULL;
