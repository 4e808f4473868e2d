import {
  column,
  jsonObject,
  nullable,
  oneOf,
  tableRow,
  text,
  textArray,
  timestamp,
} from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import {
  type EgressRule,
  FILESYSTEM_SCOPES,
  parseToolRef,
  RISK_TIERS,
  SANDBOX_KINDS,
  SIDE_EFFECTS,
  type ToolLimits,
  type ToolManifest,
} from './manifest.js';

/**
 * The tool registry's table (migration 0013): register a version, read one, list, remove. Every
 * change writes its event (`ToolRegistered`, `ToolRemoved`) in the same statement, naming who made it.
 */
const isEgress = (value: unknown): value is EgressRule[] =>
  Array.isArray(value) &&
  value.every(
    (rule) =>
      typeof rule === 'object' &&
      rule !== null &&
      typeof rule.host === 'string' &&
      Number.isInteger(rule.port),
  );
const LIMIT_KEYS = ['wall_ms', 'cpu_ms', 'memory_mb', 'output_bytes'] as const;
type StoredLimits = Record<(typeof LIMIT_KEYS)[number], number>;
const isLimits = (value: unknown): value is StoredLimits =>
  typeof value === 'object' &&
  value !== null &&
  LIMIT_KEYS.every((key) => Number.isInteger((value as Record<string, unknown>)[key]));

export const toolRow = tableRow('tool_definitions', {
  name: text,
  version: text,
  riskTier: oneOf(RISK_TIERS),
  sandbox: oneOf(SANDBOX_KINDS),
  description: text,
  metadata: jsonObject,
  inputSchema: jsonObject,
  outputSchema: nullable(jsonObject),
  egress: column('egress rules [{host, port}]', ['jsonb'], isEgress),
  filesystem: oneOf(FILESYSTEM_SCOPES),
  limits: column('limits {wall_ms, cpu_ms, memory_mb, output_bytes}', ['jsonb'], isLimits),
  sideEffect: oneOf(SIDE_EFFECTS),
  secrets: textArray,
  createdAt: timestamp,
});

/** A registered version: its manifest and when it was registered. */
export interface ToolRecord extends ToolManifest {
  readonly createdAt: string;
}

const COLUMNS = `name, version, risk_tier, sandbox, description, metadata, input_schema, output_schema, egress,
  filesystem, limits, side_effect, secrets, created_at`;

function recordOf(row: Record<string, unknown>): ToolRecord {
  const { limits, ...decoded } = toolRow.decode(row);
  return {
    ...decoded,
    limits: {
      wallMs: limits.wall_ms,
      cpuMs: limits.cpu_ms,
      memoryMb: limits.memory_mb,
      outputBytes: limits.output_bytes,
    },
  };
}

const limitsJson = (limits: ToolLimits): StoredLimits => ({
  wall_ms: limits.wallMs,
  cpu_ms: limits.cpuMs,
  memory_mb: limits.memoryMb,
  output_bytes: limits.outputBytes,
});

/**
 * Registers a version. An identical manifest already registered is answered as it is (`created`
 * false: registering is idempotent); a different one under the same version is refused
 * (`conflict`): versions are immutable.
 */
export async function registerTool(
  db: SqlExecutor,
  manifest: ToolManifest,
  by: string,
): Promise<{ readonly outcome: 'created' | 'existing' | 'conflict'; readonly tool: ToolRecord }> {
  const { rows } = await db.query(
    `WITH created AS (
       INSERT INTO tool_definitions (name, version, risk_tier, sandbox, description, metadata, input_schema,
                                     output_schema, egress, filesystem, limits, side_effect, secrets)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9::jsonb, $10, $11::jsonb, $12, $13::text[])
       ON CONFLICT (name, version) DO NOTHING
       RETURNING ${COLUMNS}
     ),
     logged AS (
       INSERT INTO events (event_type, payload)
       SELECT 'ToolRegistered', jsonb_build_object('name', name, 'version', version, 'risk_tier', risk_tier, 'by', $14::text)
       FROM created
     )
     SELECT true AS created, ${COLUMNS} FROM created
     UNION ALL
     SELECT false, ${COLUMNS} FROM tool_definitions
     WHERE name = $1 AND version = $2 AND NOT EXISTS (SELECT 1 FROM created)`,
    [
      manifest.name,
      manifest.version,
      manifest.riskTier,
      manifest.sandbox,
      manifest.description,
      JSON.stringify(manifest.metadata),
      JSON.stringify(manifest.inputSchema),
      manifest.outputSchema === null ? null : JSON.stringify(manifest.outputSchema),
      JSON.stringify(manifest.egress),
      manifest.filesystem,
      JSON.stringify(limitsJson(manifest.limits)),
      manifest.sideEffect,
      manifest.secrets,
      by,
    ],
  );
  const row = rows[0] as Record<string, unknown>;
  const tool = recordOf(row);
  if (row.created === true) return { outcome: 'created', tool };
  return { outcome: sameManifest(tool, manifest) ? 'existing' : 'conflict', tool };
}

/** Whether two manifests say the same (what JSON equality of their stored forms decides). */
function sameManifest(stored: ToolRecord, manifest: ToolManifest): boolean {
  const { createdAt: _createdAt, ...rest } = stored;
  return canonical(rest) === canonical(manifest);
}

/** JSON with object keys sorted, so jsonb's key order does not make equal manifests differ. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** One version, or the newest version (by semantic order) when `version` is null. */
export async function readTool(
  db: SqlExecutor,
  name: string,
  version: string | null,
): Promise<ToolRecord | null> {
  if (version !== null) {
    const { rows } = await db.query(
      `SELECT ${COLUMNS} FROM tool_definitions WHERE name = $1 AND version = $2`,
      [name, version],
    );
    return rows[0] === undefined ? null : recordOf(rows[0]);
  }
  return newest(await listVersions(db, name))[0] ?? null;
}

/** Every version of a tool, newest first. */
export async function listVersions(db: SqlExecutor, name: string): Promise<ToolRecord[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM tool_definitions WHERE name = $1`, [name]);
  return newest(rows.map(recordOf));
}

/** The newest version of every tool, by name. */
export async function listTools(db: SqlExecutor): Promise<ToolRecord[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM tool_definitions`);
  const byName = new Map<string, ToolRecord[]>();
  for (const tool of rows.map(recordOf)) byName.set(tool.name, [...(byName.get(tool.name) ?? []), tool]);
  return [...byName.keys()].sort().map((name) => newest(byName.get(name) ?? [])[0] as ToolRecord);
}

/** Removes a version; false when there is none. Plans already submitted keep the manifest they were checked against. */
export async function removeTool(
  db: SqlExecutor,
  name: string,
  version: string,
  by: string,
): Promise<boolean> {
  const { rows } = await db.query(
    `WITH gone AS (DELETE FROM tool_definitions WHERE name = $1 AND version = $2 RETURNING name, version),
     logged AS (
       INSERT INTO events (event_type, payload)
       SELECT 'ToolRemoved', jsonb_build_object('name', name, 'version', version, 'by', $3::text) FROM gone
     )
     SELECT name FROM gone`,
    [name, version, by],
  );
  return rows.length > 0;
}

/** Newest first by semantic version: numeric parts compared as numbers, a pre-release below its release. */
function newest(tools: readonly ToolRecord[]): ToolRecord[] {
  return [...tools].sort((a, b) => compareVersions(b.version, a.version));
}

export function compareVersions(a: string, b: string): number {
  const [coreA = '', preA] = a.split(/-(.*)/s);
  const [coreB = '', preB] = b.split(/-(.*)/s);
  const partsA = coreA.split('.').map(Number);
  const partsB = coreB.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const diff = (partsA[i] ?? 0) - (partsB[i] ?? 0);
    if (diff !== 0) return diff;
  }
  if (preA === undefined || preB === undefined) return preA === undefined ? (preB === undefined ? 0 : 1) : -1;
  return preA < preB ? -1 : preA > preB ? 1 : 0;
}

/**
 * The risk tiers of the tools a plan's tool tasks name, keyed by the reference as written
 * (`name` or `name@version`); references to no registered tool are left out.
 */
export async function toolRiskTiers(
  db: SqlExecutor,
  refs: Iterable<string>,
): Promise<Map<string, ToolManifest['riskTier']>> {
  const tiers = new Map<string, ToolManifest['riskTier']>();
  for (const ref of new Set(refs)) {
    const parsed = parseToolRef(ref);
    const tool = parsed === null ? null : await readTool(db, parsed.name, parsed.version);
    if (tool !== null) tiers.set(ref, tool.riskTier);
  }
  return tiers;
}
