import type { ToolRunner } from '../tools/index.js';
import { MCP_TOOL_PREFIX } from './tool-manifests.js';

/**
 * The node's runners with the MCP runner behind every `mcp.*` name: MCP tools are registered while
 * the node runs (a server's listing), so their names cannot be known when the runner map is built.
 * A name with a runner of its own keeps it.
 */
class WithMcpRunner extends Map<string, ToolRunner> {
  readonly #mcp: ToolRunner;

  constructor(runners: ReadonlyMap<string, ToolRunner>, mcp: ToolRunner) {
    super(runners);
    this.#mcp = mcp;
  }

  override get(name: string): ToolRunner | undefined {
    return super.get(name) ?? (name.startsWith(MCP_TOOL_PREFIX) ? this.#mcp : undefined);
  }

  override has(name: string): boolean {
    return this.get(name) !== undefined;
  }
}

export function withMcpRunner(
  runners: ReadonlyMap<string, ToolRunner>,
  mcp: ToolRunner,
): ReadonlyMap<string, ToolRunner> {
  return new WithMcpRunner(runners, mcp);
}
