import type { SqlStore } from '../../src/ports/sql-store.js';

/** An organization and an agent in it, for the memory tests. */
export async function seedAgent(
  store: SqlStore,
  name = 'memory-agent',
): Promise<{ orgId: string; agentId: string }> {
  const org = await store.query<{ id: string }>(`INSERT INTO organizations (name) VALUES ($1) RETURNING id`, [
    `${name}-org`,
  ]);
  const orgId = org.rows[0]?.id as string;
  const agent = await store.query<{ id: string }>(
    `INSERT INTO agents (name, org_id) VALUES ($1, $2) RETURNING id`,
    [name, orgId],
  );
  return { orgId, agentId: agent.rows[0]?.id as string };
}
