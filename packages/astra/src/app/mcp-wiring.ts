import type { AstraConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { SecretStore } from '../ports/secrets.js';
import type { SqlStore } from '../ports/sql-store.js';
import { type RoutePlugin, routePlugin } from '../services/api/index.js';
import { McpClientPool, mcpToolRunner, withMcpRunner } from '../services/mcp/index.js';
import { mcpServerRoutes } from '../services/mcp/routes-mcp.js';
import { mcpEndpointRoutes } from '../services/mcp/routes-mcp-endpoint.js';
import type { ToolRunner } from '../services/tools/index.js';

/**
 * MCP on a node (docs/mcp.md): one pool of client sessions to the registered MCP servers, shared
 * by the runner of their tools (executor) and the registration routes (gateway); the routes of
 * `/mcp/servers` and of Astra's own MCP endpoint `/mcp`. `close` ends every session, terminating
 * the stdio servers' child processes.
 */
export interface NodeMcp {
  /** The node's runners with the MCP runner behind every `mcp.*` tool. */
  runners(base: ReadonlyMap<string, ToolRunner>): ReadonlyMap<string, ToolRunner>;
  /** The MCP routes, over the gateway's store. */
  routes(store: SqlStore): RoutePlugin[];
  close(): Promise<void>;
}

export function openMcp(
  config: AstraConfig,
  deps: {
    readonly store: SqlStore;
    readonly secrets: SecretStore;
    readonly logger: Logger;
    readonly version: string;
  },
): NodeMcp {
  const pool = new McpClientPool({
    secrets: deps.secrets,
    logger: deps.logger,
    timeoutMs: config.mcpTimeoutMs,
    clientVersion: deps.version,
  });
  return {
    runners: (base) => withMcpRunner(base, mcpToolRunner({ store: deps.store, pool })),
    routes: (store) =>
      mcpRoutes({
        store,
        pool,
        timeoutMs: config.mcpTimeoutMs,
        stdioCommands: config.mcpStdioCommands,
        version: deps.version,
      }),
    close: () => pool.close(),
  };
}

/** The MCP service's route plugins: the servers Astra calls (`/mcp/servers`), Astra's own endpoint (`/mcp`). */
export function mcpRoutes(options: {
  readonly store: SqlStore;
  readonly pool: McpClientPool;
  readonly timeoutMs: number;
  readonly stdioCommands: readonly string[];
  readonly version: string;
}): RoutePlugin[] {
  const { version, ...servers } = options;
  return [routePlugin(mcpServerRoutes, servers), routePlugin(mcpEndpointRoutes, { version })];
}
