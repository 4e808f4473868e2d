import type { SqlExecutor } from '../../ports/sql-store.js';
import { scanReferences, type TaskReference } from '../dataflow/references.js';
import { resolvePayload } from '../dataflow/resolve.js';
import { ancestorResults } from './sql/ancestor-results.js';
import type { AttemptFailure } from './sql/fail-tasks.js';
import type { ClaimedTask, JsonValue } from './types.js';

/**
 * Claim-time `$from` resolution for a claimed batch (docs/dataflow.md).
 *
 * The claim statement returns each task's direct dependencies' results; a reference to a farther
 * ancestor is read by one more statement for the whole batch, and only when some payload in it
 * names one. A task whose references cannot resolve is returned as a failure to write without
 * retry; the others come back with their payloads resolved (the stored payload keeps its
 * references, so a retry resolves them again).
 */
export interface ClaimResolution {
  readonly ready: ClaimedTask[];
  readonly unresolvable: AttemptFailure[];
}

export async function resolveClaimed(
  tx: SqlExecutor,
  claimed: readonly ClaimedTask[],
): Promise<ClaimResolution> {
  const scanned: { task: ClaimedTask; references: TaskReference[] | Error }[] = claimed.map((task) => {
    try {
      return { task, references: scanReferences(task.payload, 'payload') };
    } catch (error) {
      return { task, references: error instanceof Error ? error : new Error(String(error)) };
    }
  });
  const wanted = new Map<string, { graphId: string; name: string }>();
  for (const { task, references } of scanned)
    if (!(references instanceof Error))
      for (const { from } of references)
        if (!Object.hasOwn(task.dependencies, from))
          wanted.set(JSON.stringify([task.graphId, from]), { graphId: task.graphId, name: from });
  const farther = await ancestorResults(tx, [...wanted.values()]);
  const ready: ClaimedTask[] = [];
  const unresolvable: AttemptFailure[] = [];
  for (const { task, references } of scanned) {
    try {
      if (references instanceof Error) throw references;
      const resultOf = (name: string): JsonValue | undefined =>
        Object.hasOwn(task.dependencies, name)
          ? task.dependencies[name]
          : farther.get(task.graphId)?.get(name);
      ready.push(
        references.length === 0
          ? task
          : { ...task, payload: resolvePayload(task.payload, references, resultOf) },
      );
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      unresolvable.push({
        taskId: task.id,
        attempt: task.attempt,
        error: `the payload's references cannot resolve: ${message}`,
        retryable: false,
      });
    }
  }
  return { ready, unresolvable };
}
