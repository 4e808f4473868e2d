import type { SqlExecutor } from '../../../ports/sql-store.js';
import { taskRow } from '../rows.js';
import type { JsonValue } from '../types.js';

/**
 * ancestor-results: the results of tasks named by plan id within their graphs, for `$from`
 * references to ancestors that are not direct dependencies (their results are not in the claim).
 *
 * Inputs: pairs (graph id, plan task id). Reads: tasks through the (graph_id, name) unique index.
 * Returns: graph id → name → result, for the pairs that exist.
 * Read only: every ancestor of a claimed task has completed, and a completed result never changes.
 */
const SQL = `
SELECT t.graph_id, t.name, t.result
FROM unnest($1::uuid[], $2::text[]) AS r(graph_id, name)
JOIN tasks t ON t.graph_id = r.graph_id AND t.name = r.name`;

const namedResult = taskRow.pick('graphId', 'name', 'result');

export async function ancestorResults(
  tx: SqlExecutor,
  wanted: readonly { readonly graphId: string; readonly name: string }[],
): Promise<Map<string, Map<string, JsonValue>>> {
  const results = new Map<string, Map<string, JsonValue>>();
  if (wanted.length === 0) return results;
  const { rows } = await tx.query(SQL, [wanted.map((w) => w.graphId), wanted.map((w) => w.name)]);
  for (const task of rows.map(namedResult.decode)) {
    const graph = results.get(task.graphId) ?? new Map<string, JsonValue>();
    graph.set(task.name, task.result);
    results.set(task.graphId, graph);
  }
  return results;
}
