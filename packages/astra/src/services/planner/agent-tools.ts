import type { SqlExecutor } from '../../ports/sql-store.js';
import { listTools, listVersions, type ToolRecord, toolAllowed } from '../tools/index.js';

/**
 * The tool versions an agent may use (its `allowed_tools`, services/tools/allowed-tools.ts): the
 * newest version of each allowed tool, and every version an entry pins (`name@1.2.0`).
 */
export async function agentTools(
  db: SqlExecutor,
  allowed: readonly string[] | null,
): Promise<{ tools: ToolRecord[]; registered: Set<string> }> {
  const newest = await listTools(db);
  const tools: ToolRecord[] = newest.filter((tool) => toolAllowed(allowed, tool.name, tool.version));
  const pinned = new Set(
    (allowed ?? []).filter((entry) => /@\d/.test(entry)).map((entry) => entry.split('@')[0]),
  );
  for (const name of pinned) {
    if (name === undefined) continue;
    for (const tool of await listVersions(db, name))
      if (
        toolAllowed(allowed, tool.name, tool.version) &&
        !tools.includes(tool) &&
        !tools.some((t) => t.name === tool.name && t.version === tool.version)
      )
        tools.push(tool);
  }
  return { tools, registered: new Set(newest.map((tool) => tool.name)) };
}

/** Each tool's risk tier by every reference a plan may name it with (`name`: the newest allowed; `name@version`). */
export function tiersOf(tools: readonly ToolRecord[]): Map<string, ToolRecord['riskTier']> {
  const tiers = new Map<string, ToolRecord['riskTier']>();
  for (const tool of tools) tiers.set(`${tool.name}@${tool.version}`, tool.riskTier);
  for (const tool of tools) if (!tiers.has(tool.name)) tiers.set(tool.name, tool.riskTier);
  return tiers;
}
