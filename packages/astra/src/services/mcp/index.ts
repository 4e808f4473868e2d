/**
 * The MCP service, both ways (docs/mcp.md): the MCP servers Astra calls (registered through
 * `/mcp/servers`, their tools registered as `mcp.<server>.<tool>` manifests and run by the MCP
 * runner over a pool of client sessions), and Astra itself as an MCP server at `/mcp`.
 * Other services import this file only (tools/check-imports.mjs).
 */
export { McpClientPool } from './client-pool.js';
export { mcpToolRunner } from './mcp-runner.js';
export { withMcpRunner } from './runner-map.js';
export { mcpServerRow } from './server-store.js';
