import { AstraError } from '../../errors/index.js';
import { oneOf, text } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { OrgRole } from './directory.js';
import { INVITATION_STATES, invitationRow } from './rows.js';

/**
 * Invitations to join an organization, as stored (migration 0012). Each is, in its life:
 *
 *   pending ──accept──▶ accepted   (the membership is made in the same statement)
 *      │ ──decline─▶ declined
 *      │ ──cancel──▶ cancelled   (by the organization's admins)
 *      └─(expires_at passes)─▶ expired   (read from the time: the row stays `pending`)
 *
 * Only a pending, unexpired invitation can be decided; one user has at most one pending invitation
 * per organization, and inviting again renews it (role, inviter, expiry). Every change is one
 * statement that also appends its event (`OrgInvitationCreated`, `…Accepted`, `…Declined`,
 * `…Cancelled`, and `OrgMemberSet` for the membership an acceptance makes), as org-store.ts does.
 * Times come from the caller's clock (`now`), so expiry follows an injected clock.
 */
export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'cancelled' | 'expired';

export interface Invitation {
  readonly id: string;
  readonly orgId: string;
  /** The inviting organization's name: what the invited user needs to decide. */
  readonly orgName: string;
  readonly userId: string;
  readonly role: OrgRole;
  readonly status: InvitationStatus;
  readonly invitedBy: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
}

/** The columns of an invitation as answered, its status as of `$now` (parameter `now`). */
const columns = (now: string) => `i.id, i.org_id, o.name AS org_name, i.user_id, i.role, i.invited_by,
  i.created_at, i.expires_at,
  CASE WHEN i.status = 'pending' AND i.expires_at <= ${now} THEN 'expired' ELSE i.status END AS status`;

const event = (type: string, from: string) => `
  INSERT INTO events (event_type, payload)
  SELECT '${type}', jsonb_build_object('invitation_id', id, 'org_id', org_id, 'user_id', user_id, 'role', role)
  FROM ${from}`;

/**
 * Changes the role of a user who is a member of the organization already (`member`), or else
 * invites them (`invited`: a new pending invitation, or the pending one renewed). One statement, so
 * a membership made meanwhile is never shadowed by an invitation.
 */
export async function setRoleOrInvite(
  db: SqlExecutor,
  input: {
    orgId: string;
    userId: string;
    role: OrgRole;
    invitedBy: string | null;
    now: Date;
    ttlSeconds: number;
  },
): Promise<{ readonly kind: 'member' } | { readonly kind: 'invited'; readonly invitation: Invitation }> {
  const { rows } = await db.query(
    `WITH member AS (
       UPDATE org_memberships SET role = $3::text WHERE org_id = $1::uuid AND user_id = $2::uuid
       RETURNING org_id, user_id, role
     ),
     member_logged AS (
       INSERT INTO events (event_type, payload)
       SELECT 'OrgMemberSet', jsonb_build_object('org_id', org_id, 'user_id', user_id, 'role', role) FROM member
     ),
     changed AS (
       INSERT INTO org_invitations (org_id, user_id, role, invited_by, created_at, expires_at)
       SELECT $1::uuid, $2::uuid, $3::text, $4::uuid, $5::timestamptz,
              $5::timestamptz + make_interval(secs => $6::int)
       WHERE NOT EXISTS (SELECT 1 FROM member)
       ON CONFLICT (org_id, user_id) WHERE status = 'pending' DO UPDATE SET
         role = EXCLUDED.role, invited_by = EXCLUDED.invited_by,
         created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
       RETURNING *
     ),
     logged AS (${event('OrgInvitationCreated', 'changed')})
     SELECT ${columns('$5::timestamptz')} FROM changed i JOIN organizations o ON o.id = i.org_id`,
    [input.orgId, input.userId, input.role, input.invitedBy, input.now, input.ttlSeconds],
  );
  return rows[0] === undefined ? { kind: 'member' } : { kind: 'invited', invitation: toInvitation(rows[0]) };
}

/** The organization's pending invitations that have not expired, newest first. */
export async function listOrgInvitations(db: SqlExecutor, orgId: string, now: Date): Promise<Invitation[]> {
  const { rows } = await db.query(
    `SELECT ${columns('$2')} FROM org_invitations i JOIN organizations o ON o.id = i.org_id
     WHERE i.org_id = $1 AND i.status = 'pending' AND i.expires_at > $2 ORDER BY i.created_at DESC, i.id`,
    [orgId, now],
  );
  return rows.map(toInvitation);
}

/** The user's pending invitations that have not expired, newest first. */
export async function listUserInvitations(db: SqlExecutor, userId: string, now: Date): Promise<Invitation[]> {
  const { rows } = await db.query(
    `SELECT ${columns('$2')} FROM org_invitations i JOIN organizations o ON o.id = i.org_id
     WHERE i.user_id = $1 AND i.status = 'pending' AND i.expires_at > $2 ORDER BY i.created_at DESC, i.id`,
    [userId, now],
  );
  return rows.map(toInvitation);
}

/**
 * The invited user accepts (the membership is made, with the invitation's role) or declines.
 * Null when the invitation is not this user's (or does not exist); ASTRA_STATE_CONFLICT with
 * `details.status` when it is no longer pending or has expired.
 */
export async function decideInvitation(
  db: SqlExecutor,
  input: { id: string; userId: string; decision: 'accept' | 'decline'; now: Date },
): Promise<Invitation | null> {
  const accepted = input.decision === 'accept';
  const { rows } = await db.query(
    `WITH changed AS (
       UPDATE org_invitations SET status = $4, decided_at = $3
       WHERE id = $1 AND user_id = $2 AND status = 'pending' AND expires_at > $3
       RETURNING *
     ),
     joined AS (
       INSERT INTO org_memberships (org_id, user_id, role) SELECT org_id, user_id, role FROM changed WHERE $5
       ON CONFLICT (org_id, user_id) DO UPDATE SET role = EXCLUDED.role RETURNING org_id, user_id, role
     ),
     member_logged AS (
       INSERT INTO events (event_type, payload)
       SELECT 'OrgMemberSet', jsonb_build_object('org_id', org_id, 'user_id', user_id, 'role', role) FROM joined
     ),
     logged AS (${event(accepted ? 'OrgInvitationAccepted' : 'OrgInvitationDeclined', 'changed')})
     SELECT ${columns('$3')} FROM changed i JOIN organizations o ON o.id = i.org_id`,
    [input.id, input.userId, input.now, accepted ? 'accepted' : 'declined', accepted],
  );
  if (rows[0] !== undefined) return toInvitation(rows[0]);
  const current = await readInvitation(db, input.id, input.now);
  if (current === null || current.userId !== input.userId) return null;
  throw notPending(current);
}

/** The organization's admins withdraw a pending, unexpired invitation; false when there is none. */
export async function cancelInvitation(
  db: SqlExecutor,
  input: { orgId: string; id: string; now: Date },
): Promise<boolean> {
  const { rows } = await db.query(
    `WITH changed AS (
       UPDATE org_invitations SET status = 'cancelled', decided_at = $3
       WHERE id = $1 AND org_id = $2 AND status = 'pending' AND expires_at > $3
       RETURNING *
     ),
     logged AS (${event('OrgInvitationCancelled', 'changed')})
     SELECT 1 FROM changed`,
    [input.id, input.orgId, input.now],
  );
  return rows.length > 0;
}

async function readInvitation(db: SqlExecutor, id: string, now: Date): Promise<Invitation | null> {
  const { rows } = await db.query(
    `SELECT ${columns('$2')} FROM org_invitations i JOIN organizations o ON o.id = i.org_id WHERE i.id = $1`,
    [id, now],
  );
  return rows[0] === undefined ? null : toInvitation(rows[0]);
}

function notPending(invitation: Invitation): AstraError {
  return new AstraError('ASTRA_STATE_CONFLICT', `the invitation is ${invitation.status}`, {
    details: { invitation_id: invitation.id, status: invitation.status },
  });
}

/** What `columns` selects: the stored invitation, its organization's name, its status as of now. */
const invitation = invitationRow
  .pick('id', 'orgId', 'userId', 'role', 'invitedBy', 'createdAt', 'expiresAt')
  .extend({ orgName: text, status: oneOf([...INVITATION_STATES, 'expired']) });
const toInvitation = invitation.decode;
