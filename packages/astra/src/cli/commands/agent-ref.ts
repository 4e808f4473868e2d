import type { AstraClient } from '@astra/sdk';
import { AstraError } from '../../errors/index.js';

/**
 * Commands take an agent by id or by name (`--agent demo`). A UUID is an id; anything else is
 * looked up by exact name among the agents the caller may see (GET /agents?name=): one match is
 * the agent, none is ASTRA_NOT_FOUND, several are ASTRA_VALIDATION_FAILED listing their ids.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function resolveAgentId(client: AstraClient, ref: string): Promise<string> {
  if (UUID.test(ref)) return ref;
  const { agents } = await client.request<{ agents: { id: string; name: string; created_at: string }[] }>(
    'GET',
    `/agents?name=${encodeURIComponent(ref)}&limit=20`,
  );
  const [only, ...others] = agents;
  if (only === undefined)
    throw new AstraError(
      'ASTRA_NOT_FOUND',
      `no agent is named ${JSON.stringify(ref)} (or you may not see it)`,
      {
        details: { name: ref },
      },
    );
  if (others.length > 0)
    throw new AstraError(
      'ASTRA_VALIDATION_FAILED',
      `${agents.length} agents are named ${JSON.stringify(ref)}: ${agents.map((a) => `${a.id} (created ${a.created_at})`).join(', ')}; pass the id instead`,
      { details: { name: ref, matches: agents.map((a) => a.id).join(',') } },
    );
  return only.id;
}
