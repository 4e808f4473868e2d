import { z } from 'zod';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { DOC_TYPES, type DocType as DocKind, insertDocument } from './document-store.js';

/**
 * What a document is given as, in the API: on its own (`POST /agents/{id}/documents`,
 * routes-documents.ts) or sent with a goal (`documents` of the goal routes, services/goals), which
 * stores it scoped to that goal in the goal's own transaction.
 */
export const DocType = z.enum(DOC_TYPES as [string, ...string[]]);
export const DocumentFields = z.object({
  doc_type: DocType,
  name: z.string().trim().min(1).max(500),
  content: z.string().max(1_000_000).optional(),
  uri: z.string().url().max(2000).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  priority: z.number().int().min(-1_000_000).max(1_000_000).optional(),
});
export const oneSource = (body: { content?: string | undefined; uri?: string | undefined }): boolean =>
  (body.content === undefined) !== (body.uri === undefined);
/** A document sent with a goal (`documents` of `POST /goals`): scoped to that goal. */
export const GoalDocument = DocumentFields.refine(oneSource, 'give exactly one of content and uri');

/** Stores documents sent with a goal, in the goal's transaction. */
export async function insertGoalDocuments(
  tx: SqlExecutor,
  agentId: string,
  goalId: string,
  documents: readonly z.output<typeof GoalDocument>[],
): Promise<void> {
  for (const doc of documents)
    await insertDocument(tx, {
      agentId,
      goalId,
      docType: doc.doc_type as DocKind,
      name: doc.name,
      content: doc.content ?? null,
      uri: doc.uri ?? null,
      metadata: doc.metadata ?? {},
      priority: doc.priority ?? 100,
    });
}
