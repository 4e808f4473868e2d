import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import {
  compileSchema,
  DEFAULT_TOOL_LIMITS,
  type RiskTier,
  type SideEffect,
  TOOL_NAME,
  type ToolManifest,
} from '../tools/index.js';
import type { McpServerSpec, ToolDefaults } from './server-config.js';

/**
 * An MCP tool as an Astra tool: the manifest the runtime enforces for it (allow-lists, approvals
 * by risk tier, the input schema, the wall time, the effect ledger's side-effect class).
 *
 * - Name: `mcp.<server>.<tool>`, the MCP name lower-cased with every character outside
 *   `a-z 0-9 _ -` turned into `_` (Astra's tool names are lower case); the MCP name itself is kept in
 *   `metadata.mcp_tool`, and that is the name the call uses.
 * - Risk tier and side effect, from the MCP annotations unless the registration overrides them
 *   (per tool, then for the server). The annotations are hints the server gives about itself; the
 *   MCP defaults are the cautious ones (not read-only, destructive, not idempotent), and so are
 *   Astra's: `readOnlyHint` → low, read_only; `destructiveHint: false` → medium; otherwise high. A
 *   tool that is not read-only is `idempotent` with `idempotentHint`, else `irreversible`.
 * - Input schema: the MCP tool's `inputSchema`, checked like any manifest's.
 * - Sandbox `mcp`: the code runs in the MCP server's process, not in an Astra sandbox.
 */
export const MCP_TOOL_PREFIX = 'mcp.';
/** Every MCP tool manifest's version until a refresh finds it changed (tool-sync.ts). */
export const FIRST_VERSION = '1.0.0';

export function astraToolName(server: string, mcpTool: string): string {
  return `${MCP_TOOL_PREFIX}${server}.${mcpTool.toLowerCase().replace(/[^a-z0-9_-]/g, '_')}`;
}

function hinted(tool: Tool): { riskTier: RiskTier; sideEffect: SideEffect } {
  const hints = tool.annotations ?? {};
  if (hints.readOnlyHint === true) return { riskTier: 'low', sideEffect: 'read_only' };
  return {
    riskTier: hints.destructiveHint === false ? 'medium' : 'high',
    sideEffect: hints.idempotentHint === true ? 'idempotent' : 'irreversible',
  };
}

export type ManifestOutcome =
  | { readonly ok: true; readonly manifest: ToolManifest }
  | { readonly ok: false; readonly tool: string; readonly reason: string };

/** The manifest of one listed tool (its version FIRST_VERSION), or why it cannot be one. */
export function mcpToolManifest(server: McpServerSpec, defaults: ToolDefaults, tool: Tool): ManifestOutcome {
  const name = astraToolName(server.name, tool.name);
  if (!TOOL_NAME.test(name))
    return {
      ok: false,
      tool: tool.name,
      reason: `${name} is not a usable tool name (at most 64 characters)`,
    };
  const inputSchema = tool.inputSchema as Record<string, unknown>;
  const problem = compileSchema(inputSchema).problem;
  if (problem !== null) return { ok: false, tool: tool.name, reason: `its inputSchema: ${problem}` };
  const override = defaults.tools[tool.name] ?? {};
  const hints = hinted(tool);
  return {
    ok: true,
    manifest: {
      name,
      version: FIRST_VERSION,
      description: (tool.description ?? tool.title ?? '').slice(0, 2000),
      inputSchema,
      outputSchema: null,
      riskTier: override.riskTier ?? defaults.riskTier ?? hints.riskTier,
      sandbox: 'mcp',
      egress: [],
      filesystem: 'none',
      limits: { ...DEFAULT_TOOL_LIMITS, wallMs: defaults.timeoutMs ?? DEFAULT_TOOL_LIMITS.wallMs },
      sideEffect: override.sideEffect ?? defaults.sideEffect ?? hints.sideEffect,
      secrets: [],
      metadata: {
        mcp_server: server.name,
        mcp_tool: tool.name,
        transport: server.transport,
        ...(tool.annotations === undefined ? {} : { annotations: { ...tool.annotations } }),
      },
    },
  };
}
