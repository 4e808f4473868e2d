import { int, jsonObject, nullable, oneOf, tableRow, text, timestamp, uuid } from '../../ports/sql-rows.js';
import type { SqlExecutor } from '../../ports/sql-store.js';

/** Agent documents (rules, skills, context documents, references), agent-wide or goal-scoped. */
export type DocType = 'rule' | 'skill' | 'context_doc' | 'reference';
export const DOC_TYPES: readonly DocType[] = ['rule', 'skill', 'context_doc', 'reference'];

export interface DocumentRecord {
  readonly id: string;
  readonly agentId: string;
  readonly goalId: string | null;
  readonly docType: DocType;
  readonly name: string;
  readonly content: string | null;
  readonly uri: string | null;
  readonly metadata: Record<string, unknown>;
  readonly priority: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The one decoder of an `agent_documents` row. */
export const documentRow = tableRow('agent_documents', {
  id: uuid,
  agentId: uuid,
  goalId: nullable(uuid),
  docType: oneOf(DOC_TYPES),
  name: text,
  content: nullable(text),
  uri: nullable(text),
  metadata: jsonObject,
  priority: int,
  createdAt: timestamp,
  updatedAt: timestamp,
});

const COLUMNS = documentRow.columns();

export async function insertDocument(
  db: SqlExecutor,
  doc: Omit<DocumentRecord, 'id' | 'createdAt' | 'updatedAt'>,
): Promise<DocumentRecord> {
  const { rows } = await db.query(
    `INSERT INTO agent_documents (agent_id, goal_id, doc_type, name, content, uri, metadata, priority)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) RETURNING ${COLUMNS}`,
    [
      doc.agentId,
      doc.goalId,
      doc.docType,
      doc.name,
      doc.content,
      doc.uri,
      JSON.stringify(doc.metadata),
      doc.priority,
    ],
  );
  return documentRow.one(rows);
}

/**
 * An agent's documents, lowest priority number first, then oldest. With a goal: the agent-wide
 * ones and that goal's; without: agent-wide ones only. Optionally one doc_type.
 */
export async function listDocuments(
  db: SqlExecutor,
  filter: { agentId: string; goalId?: string; docType?: DocType },
): Promise<DocumentRecord[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM agent_documents
     WHERE agent_id = $1 AND (goal_id IS NULL OR goal_id = $2) AND ($3::text IS NULL OR doc_type = $3)
     ORDER BY priority, created_at, id`,
    [filter.agentId, filter.goalId ?? null, filter.docType ?? null],
  );
  return rows.map(documentRow.decode);
}

export async function deleteDocument(db: SqlExecutor, agentId: string, id: string): Promise<boolean> {
  const { rowCount } = await db.query(`DELETE FROM agent_documents WHERE agent_id = $1 AND id = $2`, [
    agentId,
    id,
  ]);
  return rowCount > 0;
}
