/**
 * The access service's defaults, in one place (the routes and the settings table use them):
 * - invitationTtlSeconds: how long an invitation to join an organization stays open before it
 *   expires unanswered (ASTRA_INVITATION_TTL_SECONDS); seven days, long enough to span a weekend
 *   and a holiday, short enough that a forgotten one does not linger.
 */
export const ACCESS_DEFAULTS = { invitationTtlSeconds: 7 * 86_400 } as const;
