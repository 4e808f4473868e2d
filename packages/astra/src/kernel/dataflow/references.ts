import type { JsonValue } from '../tasks/types.js';
import { ARTIFACT_KEY, artifactRefProblem } from './artifact-ref.js';
import { type PointerTokens, parsePointer } from './json-pointer.js';

/**
 * Task references inside a payload: `{"$from": "<task id>"}` stands for that task's whole result,
 * `{"$from": "<task id>", "pointer": "/body"}` for the part an RFC 6901 JSON Pointer names. They
 * may sit anywhere in the JSON (the payload itself, an object's value, an array's element); an
 * object carrying `$from` has no other key than `pointer`, so `$from` is reserved as a key.
 * Objects carrying `$artifact` are artifact references (artifact-ref.ts) and are checked here too.
 *
 * The scan is iterative (an explicit stack), so a deeply nested payload cannot overflow the call
 * stack; its cost is linear in the payload's size.
 */
export const FROM_KEY = '$from';
export const POINTER_KEY = 'pointer';

/** One step from a container to a child: an object key or an array index. */
export type Step = string | number;

export interface TaskReference {
  /** The plan id of the task whose result is referenced. */
  readonly from: string;
  /** The pointer as written (`""` when absent: the whole result). */
  readonly pointer: string;
  readonly tokens: PointerTokens;
  /** Where the reference sits, from the payload's root. */
  readonly steps: readonly Step[];
  /** The same place as a readable path prefixed by the scan's base (`tasks[2].payload.body[0]`). */
  readonly path: string;
}

/** A malformed reference: where it is and what is wrong. */
export class ReferenceShapeError extends Error {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'ReferenceShapeError';
    this.path = path;
    this.reason = reason;
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function childPath(path: string, step: Step): string {
  if (typeof step === 'number') return `${path}[${step}]`;
  return IDENTIFIER.test(step) ? `${path}.${step}` : `${path}[${JSON.stringify(step)}]`;
}

type JsonObject = { readonly [key: string]: JsonValue };

function isObject(value: JsonValue): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readReference(node: JsonObject, steps: readonly Step[], path: string): TaskReference {
  const from = node[FROM_KEY];
  if (typeof from !== 'string' || from.length === 0)
    throw new ReferenceShapeError(path, `"${FROM_KEY}" must be a task id`);
  for (const key of Object.keys(node))
    if (key !== FROM_KEY && key !== POINTER_KEY)
      throw new ReferenceShapeError(
        path,
        `a reference has only "${FROM_KEY}" and "${POINTER_KEY}", not "${key.slice(0, 64)}"`,
      );
  const pointer = node[POINTER_KEY] ?? '';
  if (typeof pointer !== 'string') throw new ReferenceShapeError(path, `"${POINTER_KEY}" must be a string`);
  const tokens = parsePointer(pointer);
  if (tokens === null)
    throw new ReferenceShapeError(
      path,
      `"${POINTER_KEY}" is not a JSON Pointer (RFC 6901: empty, or "/" tokens with ~0 and ~1 escapes)`,
    );
  return { from, pointer, tokens, steps, path };
}

/** The way from the root to a node, linked child to parent so a step costs O(1) whatever the depth. */
interface Trail {
  readonly parent: Trail | null;
  readonly step: Step;
}

export function pathOf(basePath: string, steps: readonly Step[]): string {
  return steps.reduce<string>(childPath, basePath);
}

function stepsOf(trail: Trail | null): Step[] {
  const steps: Step[] = [];
  for (let at = trail; at !== null; at = at.parent) steps.push(at.step);
  return steps.reverse();
}

/** Every reference in value, in document order; throws ReferenceShapeError at the first malformed one. */
export function scanReferences(value: JsonValue, basePath: string): TaskReference[] {
  const found: TaskReference[] = [];
  const stack: { node: JsonValue; trail: Trail | null }[] = [{ node: value, trail: null }];
  while (stack.length > 0) {
    const { node, trail } = stack.pop() as (typeof stack)[number];
    if (Array.isArray(node)) {
      for (let index = node.length - 1; index >= 0; index--)
        stack.push({
          node: node[index] as JsonValue,
          trail: { parent: trail, step: index },
        });
    } else if (isObject(node)) {
      if (Object.hasOwn(node, FROM_KEY)) {
        const steps = stepsOf(trail);
        found.push(readReference(node, steps, pathOf(basePath, steps)));
        continue;
      }
      if (Object.hasOwn(node, ARTIFACT_KEY)) {
        const problem = artifactRefProblem(node);
        if (problem !== null) throw new ReferenceShapeError(pathOf(basePath, stepsOf(trail)), problem);
        continue;
      }
      const keys = Object.keys(node);
      for (let index = keys.length - 1; index >= 0; index--) {
        const key = keys[index] as string;
        stack.push({
          node: node[key] as JsonValue,
          trail: { parent: trail, step: key },
        });
      }
    }
  }
  return found;
}

/**
 * The payload with each reference replaced by its value (values in the order of `references`).
 * Only the containers on the way to a reference are copied; the payload itself is left as it is.
 */
export function replaceReferences(
  payload: JsonValue,
  references: readonly TaskReference[],
  values: readonly JsonValue[],
): JsonValue {
  const copies = new Set<JsonValue>();
  const copy = (node: JsonValue): JsonValue => {
    if (copies.has(node)) return node;
    const copied: JsonValue = Array.isArray(node) ? [...node] : { ...(node as JsonObject) };
    copies.add(copied);
    return copied;
  };
  let root = payload;
  for (const [index, reference] of references.entries()) {
    const value = values[index] as JsonValue;
    const { steps } = reference;
    if (steps.length === 0) return value;
    root = copy(root);
    let parent = root as Record<Step, JsonValue>;
    for (const step of steps.slice(0, -1)) {
      const child = copy(parent[step] as JsonValue);
      parent[step] = child;
      parent = child as Record<Step, JsonValue>;
    }
    parent[steps[steps.length - 1] as Step] = value;
  }
  return root;
}

/** Whether `path` is a reference's place or inside it (a field whose value is known only at claim). */
export function isReferencePath(references: readonly TaskReference[], path: string): boolean {
  return references.some(
    (reference) =>
      path === reference.path ||
      path.startsWith(`${reference.path}.`) ||
      path.startsWith(`${reference.path}[`),
  );
}
