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
 * names one. A resolved payload passes its type's check again (the fields its references gave were
 * skipped at submission). A task whose references cannot resolve, or whose resolved payload fails
 * the check, is returned as a failure to write without retry; the others come back with their payloads resolved (the stored payload keeps its
 * references, so a retry resolves them again).
 */
export interface ClaimResolution {
  readonly ready: ClaimedTask[];
  readonly unresolvable: AttemptFailure[];
}

/** A task type's payload check (executor/payload-checks.ts), as the engine was given it. */
export type ClaimPayloadCheck = (type: string, payload: JsonValue) => { path: string; reason: string } | null;

export async function resolveClaimed(
  tx: SqlExecutor,
  claimed: readonly ClaimedTask[],
  check?: ClaimPayloadCheck,
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
  const refuse = (task: ClaimedTask, error: string): void => {
    unresolvable.push({ taskId: task.id, attempt: task.attempt, error, retryable: false });
  };
  for (const { task, references } of scanned) {
    if (references instanceof Error) {
      refuse(task, `the payload's references cannot resolve: ${references.message}`);
      continue;
    }
    if (references.length === 0) {
      ready.push(task);
      continue;
    }
    const resultOf = (name: string): JsonValue | undefined =>
      Object.hasOwn(task.dependencies, name) ? task.dependencies[name] : farther.get(task.graphId)?.get(name);
    let payload: JsonValue;
    try {
      payload = resolvePayload(task.payload, references, resultOf);
    } catch (error) {
      refuse(
        task,
        `the payload's references cannot resolve: ${error instanceof Error ? error.message : String(error)}`,
      );
      continue;
    }
    const issue = check?.(task.type, payload) ?? null;
    if (issue === null) ready.push({ ...task, payload });
    else refuse(task, `the resolved payload is invalid: payload${issue.path} ${issue.reason}`);
  }
  return { ready, unresolvable };
}
