import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { listVersions, readTool, registerTool, removeTool, type ToolRecord } from '../tools/index.js';
import type { McpServerRecord } from './server-config.js';
import { recordTools } from './server-store.js';
import { FIRST_VERSION, mcpToolManifest } from './tool-manifests.js';

/**
 * A server's tools into the registry: its `tools/list` (every page) becomes one manifest per tool
 * (tool-manifests.ts). A manifest equal to the newest registered version of its name is left as
 * it is; a changed one (a new schema, new annotations, other defaults) is registered as the next
 * patch version, since versions are immutable; the tools the server no longer lists are removed,
 * every version. A tool that cannot be an Astra tool (its name too long, its schema unusable) is
 * skipped, with the reason, and the others are registered.
 */
export interface SyncedTool {
  readonly tool: ToolRecord;
  readonly mcpTool: string;
  readonly outcome: 'created' | 'existing';
}

export interface SyncOutcome {
  readonly server: McpServerRecord;
  readonly tools: readonly SyncedTool[];
  readonly skipped: readonly { readonly tool: string; readonly reason: string }[];
  readonly removed: readonly string[];
}

/** Most pages of a listing read; a server that pages on is cut there. */
const MAX_PAGES = 50;

async function listAll(client: Client, timeoutMs: number): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const listed = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: timeoutMs });
    tools.push(...listed.tools);
    cursor = listed.nextCursor;
    if (cursor === undefined) break;
  }
  return tools;
}

function nextPatch(version: string): string {
  const [major = '1', minor = '0', patch = '0'] = (version.split('-')[0] ?? '').split('.');
  return `${major}.${minor}.${Number(patch) + 1}`;
}

export async function syncTools(
  db: SqlExecutor,
  server: McpServerRecord,
  client: Client,
  options: { readonly by: string; readonly timeoutMs: number },
): Promise<SyncOutcome> {
  const listed = await listAll(client, options.timeoutMs);
  const synced: SyncedTool[] = [];
  const skipped: { tool: string; reason: string }[] = [];
  const names = new Set<string>();
  for (const tool of listed) {
    const made = mcpToolManifest(server.spec, server.toolDefaults, tool);
    if (!made.ok) {
      skipped.push({ tool: made.tool, reason: made.reason });
      continue;
    }
    if (names.has(made.manifest.name)) {
      skipped.push({
        tool: tool.name,
        reason: `another tool of ${server.spec.name} is named ${made.manifest.name}`,
      });
      continue;
    }
    names.add(made.manifest.name);
    const newest = await readTool(db, made.manifest.name, null);
    let registered = await registerTool(
      db,
      { ...made.manifest, version: newest?.version ?? FIRST_VERSION },
      options.by,
    );
    if (registered.outcome === 'conflict')
      registered = await registerTool(
        db,
        { ...made.manifest, version: nextPatch(registered.tool.version) },
        options.by,
      );
    if (registered.outcome === 'conflict') {
      skipped.push({ tool: tool.name, reason: `${made.manifest.name} has a newer conflicting version` });
      continue;
    }
    synced.push({ tool: registered.tool, mcpTool: tool.name, outcome: registered.outcome });
  }
  const removed = server.tools.filter((name) => !names.has(name));
  for (const name of removed)
    for (const version of await listVersions(db, name))
      await removeTool(db, name, version.version, options.by);
  const recorded = (await recordTools(db, server.spec.name, [...names].sort())) ?? server;
  return { server: recorded, tools: synced, skipped, removed };
}

/** Removes every version of the tools a server registered (its removal). */
export async function removeServerTools(db: SqlExecutor, server: McpServerRecord, by: string): Promise<void> {
  for (const name of server.tools)
    for (const version of await listVersions(db, name)) await removeTool(db, name, version.version, by);
}
