import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { type JsonValue, TaskError } from '../../kernel/index.js';
import type { Redactable } from '../../ports/secret-redactor.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { ToolCallError, type ToolManifest, type ToolRunner } from '../tools/index.js';
import type { McpClientPool, PooledSession } from './client-pool.js';
import { McpConnectError } from './connect.js';
import { readServer } from './server-store.js';

/**
 * The runner of every `mcp.*` tool: the call goes to the tool's server (`metadata.mcp_server`)
 * under its MCP name (`metadata.mcp_tool`) through the node's session with that server, with the
 * manifest's wall time as the request's timeout and the task's signal to cancel it. Outcomes:
 * - the tool answered: the task's result is `{content, structured_content?}` as the server gave
 *   it, redacted of the connection's secrets, within the manifest's output limit;
 * - the tool answered `isError`: ASTRA_TOOL_FAILED with the text of its content;
 * - the server refused the request (an MCP error): ASTRA_TOOL_FAILED;
 * - no session could be opened: ASTRA_TOOL_UNAVAILABLE, retryable (nothing was sent);
 * - the session broke during the call: ASTRA_TOOL_UNAVAILABLE, retryable, and no answer within the
 *   wall time: ASTRA_TOOL_FAILED. The request had left, so whether the tool acted is unknown: these
 *   two are not reported as the tool's outcome (a ToolCallError), so the effect ledger keeps the
 *   call uncertain and an irreversible tool does not run again without a new approval. A broken
 *   session is dropped, so the retry connects again.
 * Every error is the task's JSON `{code, message, details}`, as ToolCallError writes it.
 */
export interface McpRunnerOptions {
  readonly store: SqlExecutor;
  readonly pool: McpClientPool;
}

const label = (manifest: ToolManifest): string => `${manifest.name}@${manifest.version}`;

function textOf(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content
    .filter(
      (part): part is { type: 'text'; text: string } =>
        part?.type === 'text' && typeof part.text === 'string',
    )
    .map((part) => part.text)
    .join('\n');
}

/** Errors of a connection that was refused or never resolved: the request never left. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function neverSent(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 4; depth++) {
    if (NEVER_SENT.has(String((cause as Error & { code?: unknown }).code))) return true;
    cause = cause.cause;
  }
  return false;
}

/** A call whose outcome is unknown: the same JSON error, not a ToolCallError (see above). */
function uncertain(
  code: 'ASTRA_TOOL_UNAVAILABLE' | 'ASTRA_TOOL_FAILED',
  message: string,
  details: Record<string, unknown>,
  retryable: boolean,
): TaskError {
  return new TaskError(JSON.stringify({ code, message, details }), { retryable });
}

function unavailable(manifest: ToolManifest, server: string, message: string): ToolCallError {
  return new ToolCallError(
    'ASTRA_TOOL_UNAVAILABLE',
    message,
    { tool: label(manifest), mcp_server: server },
    { retryable: true },
  );
}

export function mcpToolRunner(options: McpRunnerOptions): ToolRunner {
  return async ({ input, manifest, signal }) => {
    const server = String(manifest.metadata.mcp_server);
    const tool = String(manifest.metadata.mcp_tool);
    let session: PooledSession | null;
    try {
      session = await options.pool.session(
        server,
        async () => (await readServer(options.store, server))?.spec ?? null,
      );
    } catch (error) {
      if (!(error instanceof McpConnectError)) throw error;
      throw unavailable(manifest, server, error.message);
    }
    if (session === null)
      throw new ToolCallError('ASTRA_TOOL_UNAVAILABLE', `no MCP server ${server} is registered`, {
        tool: label(manifest),
        mcp_server: server,
      });
    const { client } = session.connection;
    const redact = (text: string): string => session.redactor.redact(text);
    let result: Awaited<ReturnType<typeof client.callTool>>;
    try {
      result = await client.callTool({ name: tool, arguments: input }, undefined, {
        signal,
        timeout: manifest.limits.wallMs,
        maxTotalTimeout: manifest.limits.wallMs,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      if (error instanceof McpError && error.code === ErrorCode.RequestTimeout)
        throw uncertain(
          'ASTRA_TOOL_FAILED',
          `${manifest.name}: no answer within ${manifest.limits.wallMs} ms`,
          { tool: label(manifest), mcp_server: server, wall_ms: manifest.limits.wallMs },
          false,
        );
      if (error instanceof McpError && error.code !== ErrorCode.ConnectionClosed)
        throw new ToolCallError('ASTRA_TOOL_FAILED', `${manifest.name}: ${redact(error.message)}`, {
          tool: label(manifest),
          mcp_server: server,
          mcp_code: error.code,
        });
      options.pool.drop(server);
      const reason = error instanceof Error ? error.message : String(error);
      if (neverSent(error))
        throw unavailable(manifest, server, `${server} could not be reached: ${redact(reason)}`);
      throw uncertain(
        'ASTRA_TOOL_UNAVAILABLE',
        `${server}: the session broke during the call: ${redact(reason)}`,
        { tool: label(manifest), mcp_server: server },
        true,
      );
    }
    const answer = session.redactor.redactJson(
      JSON.parse(
        JSON.stringify({
          content: result.content ?? [],
          ...(result.structuredContent === undefined ? {} : { structured_content: result.structuredContent }),
        }),
      ) as Redactable,
    ) as { content: JsonValue; structured_content?: JsonValue };
    if (result.isError === true)
      throw new ToolCallError(
        'ASTRA_TOOL_FAILED',
        `${manifest.name}: ${textOf(answer.content) || 'failed'}`,
        {
          tool: label(manifest),
          mcp_server: server,
          content: answer.content,
        },
      );
    const bytes = Buffer.byteLength(JSON.stringify(answer));
    if (bytes > manifest.limits.outputBytes)
      throw new ToolCallError(
        'ASTRA_TOOL_FAILED',
        `${manifest.name}: its answer (${bytes} bytes) is over the output limit of ${manifest.limits.outputBytes} bytes`,
        { tool: label(manifest), mcp_server: server, output_bytes: manifest.limits.outputBytes },
      );
    return answer;
  };
}
