import { jsonObject, nullable, oneOf, tableRow, text, textArray, timestamp } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import {
  MCP_TRANSPORTS,
  type McpServerInput,
  McpServerInput as McpServerInputSchema,
  type McpServerRecord,
  serverOf,
} from './server-config.js';

/**
 * The MCP servers' table (migration 0016): add, read, list, record a listing, remove. A row keeps
 * the registration as it was given (its connection and tool defaults, snake_case), and reading it
 * back runs it through the same schema as the API, so a row and a request cannot disagree. Every
 * change writes its event (`McpServerRegistered`, `McpServerRemoved`) in the same statement.
 */
export const mcpServerRow = tableRow('mcp_servers', {
  name: text,
  transport: oneOf(MCP_TRANSPORTS),
  connection: jsonObject,
  toolDefaults: jsonObject,
  tools: textArray,
  createdBy: text,
  createdAt: timestamp,
  refreshedAt: nullable(timestamp),
});

const COLUMNS = 'name, transport, connection, tool_defaults, tools, created_by, created_at, refreshed_at';

function recordOf(row: Record<string, unknown>): McpServerRecord {
  const decoded = mcpServerRow.decode(row);
  const { spec, toolDefaults } = serverOf(
    McpServerInputSchema.parse({
      name: decoded.name,
      transport: decoded.transport,
      ...decoded.connection,
      ...decoded.toolDefaults,
    }),
  );
  return {
    spec,
    toolDefaults,
    tools: decoded.tools,
    createdBy: decoded.createdBy,
    createdAt: decoded.createdAt,
    refreshedAt: decoded.refreshedAt,
  };
}

/** The parts of a registration the row keeps in each of its two JSON columns. */
function columnsOf(input: McpServerInput): { connection: object; toolDefaults: object } {
  const {
    name: _name,
    transport: _transport,
    risk_tier,
    side_effect,
    timeout_ms,
    tools,
    ...connection
  } = input;
  return { connection, toolDefaults: { risk_tier, side_effect, timeout_ms, tools } };
}

/** Adds a server; null when one of that name exists. */
export async function insertServer(
  db: SqlExecutor,
  input: McpServerInput,
  by: string,
): Promise<McpServerRecord | null> {
  const { connection, toolDefaults } = columnsOf(input);
  const { rows } = await db.query(
    `WITH created AS (
       INSERT INTO mcp_servers (name, transport, connection, tool_defaults, created_by)
       VALUES ($1, $2, $3::jsonb, $4::jsonb, $5)
       ON CONFLICT (name) DO NOTHING
       RETURNING ${COLUMNS}
     ),
     logged AS (
       INSERT INTO events (event_type, payload)
       SELECT 'McpServerRegistered', jsonb_build_object('name', name, 'transport', transport, 'by', $5::text)
       FROM created
     )
     SELECT ${COLUMNS} FROM created`,
    [input.name, input.transport, JSON.stringify(connection), JSON.stringify(toolDefaults), by],
  );
  return rows[0] === undefined ? null : recordOf(rows[0]);
}

export async function readServer(db: SqlExecutor, name: string): Promise<McpServerRecord | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM mcp_servers WHERE name = $1`, [name]);
  return rows[0] === undefined ? null : recordOf(rows[0]);
}

export async function listServers(db: SqlExecutor): Promise<McpServerRecord[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM mcp_servers ORDER BY name`);
  return rows.map(recordOf);
}

/** Records the Astra tool names a listing registered; null when the server is gone. */
export async function recordTools(
  db: SqlExecutor,
  name: string,
  tools: readonly string[],
): Promise<McpServerRecord | null> {
  const { rows } = await db.query(
    `UPDATE mcp_servers SET tools = $2::text[], refreshed_at = now() WHERE name = $1 RETURNING ${COLUMNS}`,
    [name, [...tools]],
  );
  return rows[0] === undefined ? null : recordOf(rows[0]);
}

/** Removes a server; its row as it was, or null when there is none. */
export async function deleteServer(
  db: SqlExecutor,
  name: string,
  by: string,
): Promise<McpServerRecord | null> {
  const { rows } = await db.query(
    `WITH gone AS (DELETE FROM mcp_servers WHERE name = $1 RETURNING ${COLUMNS}),
     logged AS (
       INSERT INTO events (event_type, payload)
       SELECT 'McpServerRemoved', jsonb_build_object('name', name, 'by', $2::text) FROM gone
     )
     SELECT ${COLUMNS} FROM gone`,
    [name, by],
  );
  return rows[0] === undefined ? null : recordOf(rows[0]);
}
