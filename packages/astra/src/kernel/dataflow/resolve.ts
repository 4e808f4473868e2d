import type { JsonValue } from '../tasks/types.js';
import { ARTIFACT_KEY, isArtifactRef } from './artifact-ref.js';
import { evaluatePointer } from './json-pointer.js';
import { replaceReferences, type TaskReference } from './references.js';

/**
 * Claim-time resolution of a payload's references against the results of the task's ancestors
 * (all of them completed, or the task would not be claimable). A reference whose pointer names
 * nothing in the result, or walks into an artifact reference, cannot resolve: ResolutionError,
 * which fails the task without retry (the results it reads never change, so a retry would fail
 * the same way).
 */
export class ResolutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResolutionError';
  }
}

const artifactStop = (value: JsonValue): string | null =>
  isArtifactRef(value)
    ? `is an artifact reference ("${ARTIFACT_KEY}"), passed whole: point at it, not into it`
    : null;

/** The value one reference stands for. */
export function referencedValue(reference: TaskReference, result: JsonValue | undefined): JsonValue {
  const { from, pointer, path } = reference;
  if (result === undefined)
    throw new ResolutionError(`${path}: "$from": "${from}" names no completed ancestor of this task`);
  const outcome = evaluatePointer(result, reference.tokens, artifactStop);
  if (outcome.found) return outcome.value;
  const where = outcome.missingAt === '' ? 'the result itself' : `"${outcome.missingAt}"`;
  throw new ResolutionError(
    outcome.reason === undefined
      ? `${path}: pointer "${pointer}" does not resolve in the result of task "${from}" (nothing at ${where})`
      : `${path}: pointer "${pointer}" does not resolve in the result of task "${from}": ${where} ${outcome.reason}`,
  );
}

/** The payload with its references replaced, given the referenced tasks' results by plan id. */
export function resolvePayload(
  payload: JsonValue,
  references: readonly TaskReference[],
  resultOf: (taskName: string) => JsonValue | undefined,
): JsonValue {
  if (references.length === 0) return payload;
  return replaceReferences(
    payload,
    references,
    references.map((reference) => referencedValue(reference, resultOf(reference.from))),
  );
}
