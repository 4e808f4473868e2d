import { z } from 'zod';
import { Timestamp } from '../api/index.js';
import { RISK_TIERS, SIDE_EFFECTS } from '../tools/index.js';
import type { McpServerRecord } from './server-config.js';
import type { SyncOutcome } from './tool-sync.js';

/**
 * A registered MCP server as the API answers it: how it is reached (a stdio server's environment by
 * variable names only, secrets by secret names only), its tool defaults, and its Astra tool names.
 */
const Override = z.object({
  risk_tier: z.enum(RISK_TIERS).optional(),
  side_effect: z.enum(SIDE_EFFECTS).optional(),
});

export const McpServer = z
  .object({
    name: z.string(),
    transport: z.enum(['stdio', 'http']),
    command: z.string().optional(),
    args: z.array(z.string()).optional(),
    env_names: z.array(z.string()).optional(),
    env_secrets: z.record(z.string(), z.string()).optional(),
    cwd: z.string().nullable().optional(),
    url: z.string().optional(),
    headers: z.record(z.string(), z.object({ secret: z.string(), prefix: z.string() })).optional(),
    risk_tier: z.enum(RISK_TIERS).optional(),
    side_effect: z.enum(SIDE_EFFECTS).optional(),
    timeout_ms: z.number().int().optional(),
    tool_overrides: z.record(z.string(), Override),
    tools: z.array(z.string()),
    created_by: z.string(),
    created_at: Timestamp,
    refreshed_at: Timestamp.nullable(),
  })
  .meta({ id: 'McpServer' });

export const McpServerList = z.object({ servers: z.array(McpServer) });

export const McpServerSynced = z
  .object({
    server: McpServer,
    tools: z.array(
      z.object({
        name: z.string(),
        version: z.string(),
        mcp_tool: z.string(),
        risk_tier: z.enum(RISK_TIERS),
        side_effect: z.enum(SIDE_EFFECTS),
        created: z.boolean(),
      }),
    ),
    skipped: z.array(z.object({ tool: z.string(), reason: z.string() })),
    removed: z.array(z.string()),
  })
  .meta({ id: 'McpServerSynced' });

export const McpServerRemoved = z.object({ name: z.string(), deleted: z.literal(true) });

export function serverAnswer(server: McpServerRecord): z.output<typeof McpServer> {
  const { spec, toolDefaults } = server;
  const connection =
    spec.transport === 'stdio'
      ? {
          command: spec.stdio.command,
          args: [...spec.stdio.args],
          env_names: Object.keys(spec.stdio.env).sort(),
          env_secrets: { ...spec.stdio.envSecrets },
          cwd: spec.stdio.cwd,
        }
      : { url: spec.http.url, headers: { ...spec.http.headers } };
  return {
    name: spec.name,
    transport: spec.transport,
    ...connection,
    ...(toolDefaults.riskTier === undefined ? {} : { risk_tier: toolDefaults.riskTier }),
    ...(toolDefaults.sideEffect === undefined ? {} : { side_effect: toolDefaults.sideEffect }),
    ...(toolDefaults.timeoutMs === undefined ? {} : { timeout_ms: toolDefaults.timeoutMs }),
    tool_overrides: Object.fromEntries(
      Object.entries(toolDefaults.tools).map(([tool, override]) => [
        tool,
        {
          ...(override.riskTier === undefined ? {} : { risk_tier: override.riskTier }),
          ...(override.sideEffect === undefined ? {} : { side_effect: override.sideEffect }),
        },
      ]),
    ),
    tools: [...server.tools],
    created_by: server.createdBy,
    created_at: server.createdAt,
    refreshed_at: server.refreshedAt,
  };
}

export function syncAnswer(outcome: SyncOutcome): z.output<typeof McpServerSynced> {
  return {
    server: serverAnswer(outcome.server),
    tools: outcome.tools.map(({ tool, mcpTool, outcome: made }) => ({
      name: tool.name,
      version: tool.version,
      mcp_tool: mcpTool,
      risk_tier: tool.riskTier,
      side_effect: tool.sideEffect,
      created: made === 'created',
    })),
    skipped: outcome.skipped.map((skip) => ({ ...skip })),
    removed: [...outcome.removed],
  };
}
