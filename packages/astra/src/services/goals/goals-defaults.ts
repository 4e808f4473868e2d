/**
 * The goal routes' defaults, in one place (the routes and the settings table use them):
 * agentGoalsPerMinute — goals one agent (a service token) may send per minute, on every goal route
 * (ASTRA_AGENT_GOALS_PER_MINUTE).
 */
export const GOALS_DEFAULTS = { agentGoalsPerMinute: 100 } as const;
