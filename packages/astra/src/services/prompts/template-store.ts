import { AstraError } from '../../errors/index.js';
import { int, jsonObject, tableRow, text, timestamp, uuid } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';

/**
 * Prompt template versions (migration 0022): write one, read one, the latest, list, delete. A
 * version is immutable: writing the same body and schema again answers the stored one
 * (`existing`), another under a written version is refused (`conflict`). Writes and deletions log
 * their event (`PromptVersionWritten`, `PromptVersionDeleted`) in the same statement, naming who.
 */
export interface PromptVersion {
  readonly orgId: string;
  readonly name: string;
  readonly version: number;
  readonly body: string;
  readonly variablesSchema: Record<string, unknown>;
  readonly createdBy: string;
  readonly createdAt: string;
}

/** The one decoder of a `prompt_templates` row. */
export const promptTemplateRow = tableRow('prompt_templates', {
  orgId: uuid,
  name: text,
  version: int,
  body: text,
  variablesSchema: jsonObject,
  createdBy: text,
  createdAt: timestamp,
});

const COLUMNS = promptTemplateRow.columns();

export type NewPromptVersion = Omit<PromptVersion, 'createdAt'>;

export async function writePromptVersion(
  db: SqlExecutor,
  input: NewPromptVersion,
): Promise<{ readonly outcome: 'created' | 'existing' | 'conflict'; readonly prompt: PromptVersion }> {
  // A concurrent write of the same version that commits after this statement's snapshot leaves
  // it no row to answer: the next statement sees that version.
  for (let attempt = 0; attempt < 3; attempt++) {
    const written = await writeOnce(db, input);
    if (written !== null) return written;
  }
  throw new AstraError(
    'ASTRA_STATE_CONFLICT',
    `prompt ${input.name} version ${input.version} is being written and deleted concurrently`,
  );
}

async function writeOnce(
  db: SqlExecutor,
  input: NewPromptVersion,
): Promise<{ readonly outcome: 'created' | 'existing' | 'conflict'; readonly prompt: PromptVersion } | null> {
  const { rows } = await db.query(
    `WITH created AS (
       INSERT INTO prompt_templates (org_id, name, version, body, variables_schema, created_by)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6)
       ON CONFLICT (org_id, name, version) DO NOTHING
       RETURNING ${COLUMNS}
     ),
     logged AS (
       INSERT INTO events (event_type, payload)
       SELECT 'PromptVersionWritten',
              jsonb_build_object('org_id', org_id, 'name', name, 'version', version, 'by', created_by)
       FROM created
     )
     SELECT true AS created, ${COLUMNS} FROM created
     UNION ALL
     SELECT false, ${COLUMNS} FROM prompt_templates
     WHERE org_id = $1 AND name = $2 AND version = $3 AND NOT EXISTS (SELECT 1 FROM created)`,
    [
      input.orgId,
      input.name,
      input.version,
      input.body,
      JSON.stringify(input.variablesSchema),
      input.createdBy,
    ],
  );
  const row = rows[0];
  if (row === undefined) return null;
  const prompt = promptTemplateRow.decode(row);
  if (row.created === true) return { outcome: 'created', prompt };
  const same =
    prompt.body === input.body && canonical(prompt.variablesSchema) === canonical(input.variablesSchema);
  return { outcome: same ? 'existing' : 'conflict', prompt };
}

/** JSON with object keys sorted, so jsonb's key order does not make equal schemas differ. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

export async function readPromptVersion(
  db: SqlExecutor,
  orgId: string,
  name: string,
  version: number,
): Promise<PromptVersion | null> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM prompt_templates WHERE org_id = $1 AND name = $2 AND version = $3`,
    [orgId, name, version],
  );
  return promptTemplateRow.first(rows);
}

/** The highest version of a template, or null when it has none. */
export async function readLatestPrompt(
  db: SqlExecutor,
  orgId: string,
  name: string,
): Promise<PromptVersion | null> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM prompt_templates WHERE org_id = $1 AND name = $2 ORDER BY version DESC LIMIT 1`,
    [orgId, name],
  );
  return promptTemplateRow.first(rows);
}

/** Every version of a template, newest first. */
export async function listPromptVersions(
  db: SqlExecutor,
  orgId: string,
  name: string,
): Promise<PromptVersion[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM prompt_templates WHERE org_id = $1 AND name = $2 ORDER BY version DESC`,
    [orgId, name],
  );
  return rows.map(promptTemplateRow.decode);
}

/** The latest version of every template of an organization, by name. */
export async function listPrompts(db: SqlExecutor, orgId: string): Promise<PromptVersion[]> {
  const { rows } = await db.query(
    `SELECT DISTINCT ON (name) ${COLUMNS} FROM prompt_templates WHERE org_id = $1 ORDER BY name, version DESC`,
    [orgId],
  );
  return rows.map(promptTemplateRow.decode);
}

/**
 * Deletes a version: `deleted`, `missing`, or `in_use` when a running experiment of the
 * organization has it as a variant (stop the experiment first).
 */
export async function deletePromptVersion(
  db: SqlExecutor,
  input: { orgId: string; name: string; version: number; by: string },
): Promise<'deleted' | 'missing' | 'in_use'> {
  const { rows } = await db.query<{ outcome: string }>(
    `WITH used AS (
       SELECT 1 FROM prompt_experiments e, jsonb_array_elements(e.variants) v
       WHERE e.org_id = $1 AND e.prompt_name = $2 AND e.status = 'running' AND (v->>'version')::int = $3
     ),
     removed AS (
       DELETE FROM prompt_templates
       WHERE org_id = $1 AND name = $2 AND version = $3 AND NOT EXISTS (SELECT 1 FROM used)
       RETURNING org_id, name, version
     ),
     logged AS (
       INSERT INTO events (event_type, payload)
       SELECT 'PromptVersionDeleted',
              jsonb_build_object('org_id', org_id, 'name', name, 'version', version, 'by', $4::text)
       FROM removed
     )
     SELECT CASE WHEN EXISTS (SELECT 1 FROM removed) THEN 'deleted'
                 WHEN EXISTS (SELECT 1 FROM used) THEN 'in_use'
                 ELSE 'missing' END AS outcome`,
    [input.orgId, input.name, input.version, input.by],
  );
  return rows[0]?.outcome as 'deleted' | 'missing' | 'in_use';
}
