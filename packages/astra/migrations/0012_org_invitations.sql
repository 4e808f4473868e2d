-- Invitations to join an organization: how a user who is not yet a member comes in when the one
-- adding them is not a super-admin. The user accepts (the membership is made) or declines; the
-- organization's admins may cancel; an invitation still pending at expires_at is expired (that state
-- is read from the time, never written). Decided invitations stay as the record of who invited whom.
-- user_id is deliberately no foreign key: an invitation naming an id that is no user is stored and
-- answered like any other, so inviting tells the inviter nothing about who exists; it expires unread.
CREATE TABLE org_invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  role text NOT NULL
    CONSTRAINT org_invitations_role_check CHECK (role IN ('org_admin', 'org_member', 'agent_admin')),
  status text NOT NULL DEFAULT 'pending'
    CONSTRAINT org_invitations_status_check CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled')),
  invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  decided_at timestamptz,
  CONSTRAINT org_invitations_decided_check CHECK ((status = 'pending') = (decided_at IS NULL))
);
-- At most one pending invitation per user and organization: inviting again renews it.
CREATE UNIQUE INDEX org_invitations_pending_idx ON org_invitations (org_id, user_id) WHERE status = 'pending';
CREATE INDEX org_invitations_user_idx ON org_invitations (user_id) WHERE status = 'pending';
