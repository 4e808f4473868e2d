import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Logger } from '../../log/logger.js';
import { createSecretRedactor, type RedactableSecret } from '../../ports/secret-redactor.js';
import type { SecretStore } from '../../ports/secrets.js';
import type { McpServerSpec } from './server-config.js';

/**
 * Opens an MCP client session to a server: the secrets its connection names are read from the
 * secrets store (a server that names one on a node without a store cannot be reached), the
 * transport is built (a child process for stdio, Streamable HTTP otherwise) and the MCP
 * handshake runs within `timeoutMs`. The connection's secret values come back with the client, so
 * whatever the server answers is redacted of them (a server may well echo its environment).
 *
 * A stdio child's stderr is read and logged at debug level, line by line, never shown to callers.
 */
export interface ConnectOptions {
  readonly secrets: SecretStore | undefined;
  readonly logger: Logger;
  readonly timeoutMs: number;
  readonly clientVersion: string;
}

export interface Connection {
  readonly client: Client;
  readonly secrets: readonly RedactableSecret[];
}

/** A secret its connection names could not be read, or the server did not answer the handshake. */
export class McpConnectError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'McpConnectError';
  }
}

async function secretValues(
  names: readonly string[],
  store: SecretStore | undefined,
  server: string,
): Promise<RedactableSecret[]> {
  if (names.length === 0) return [];
  if (store === undefined)
    throw new McpConnectError(`${server} names secrets, and this node has no secrets store`);
  const values: RedactableSecret[] = [];
  for (const name of new Set(names)) {
    try {
      values.push({ name, value: (await store.get(name)).value });
    } catch (error) {
      throw new McpConnectError(`${server}: secret ${name} could not be read`, { cause: error });
    }
  }
  return values;
}

function transportOf(spec: McpServerSpec, values: ReadonlyMap<string, string>, logger: Logger): Transport {
  if (spec.transport === 'http') {
    const headers: Record<string, string> = {};
    for (const [header, { secret, prefix }] of Object.entries(spec.http.headers))
      headers[header] = `${prefix}${values.get(secret) ?? ''}`;
    return new StreamableHTTPClientTransport(new URL(spec.http.url), { requestInit: { headers } });
  }
  const env: Record<string, string> = { ...spec.stdio.env };
  for (const [variable, secret] of Object.entries(spec.stdio.envSecrets))
    env[variable] = values.get(secret) ?? '';
  const transport = new StdioClientTransport({
    command: spec.stdio.command,
    args: [...spec.stdio.args],
    env,
    stderr: 'pipe',
    ...(spec.stdio.cwd === null ? {} : { cwd: spec.stdio.cwd }),
  });
  let pending = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString('utf8')).split('\n');
    pending = (lines.pop() ?? '').slice(-4096);
    for (const line of lines)
      if (line.length > 0)
        logger.debug({ mcp_server: spec.name, line: line.slice(0, 1000) }, 'mcp server stderr');
  });
  return transport;
}

export async function connectServer(spec: McpServerSpec, options: ConnectOptions): Promise<Connection> {
  const names =
    spec.transport === 'http'
      ? Object.values(spec.http.headers).map((header) => header.secret)
      : Object.values(spec.stdio.envSecrets);
  const secrets = await secretValues(names, options.secrets, spec.name);
  const transport = transportOf(spec, new Map(secrets.map((s) => [s.name, s.value])), options.logger);
  const client = new Client({ name: 'astra', version: options.clientVersion });
  try {
    await client.connect(transport, { timeout: options.timeoutMs });
  } catch (error) {
    await client.close().catch(() => undefined);
    // What the server said may hold what it was sent.
    const reason = createSecretRedactor(secrets).redact(
      error instanceof Error ? error.message : String(error),
    );
    throw new McpConnectError(`${spec.name} did not answer the MCP handshake: ${reason}`);
  }
  return { client, secrets };
}
