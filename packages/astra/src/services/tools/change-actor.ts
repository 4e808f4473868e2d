import type { Principal } from '../identity/index.js';

/** Who made a change, as the registries' events name them (tools, MCP servers). */
export const actorOf = (principal: Principal): string =>
  principal.kind === 'admin_token'
    ? 'admin-token'
    : principal.kind === 'agent'
      ? `agent:${principal.agentId}`
      : `user:${principal.userId}`;
