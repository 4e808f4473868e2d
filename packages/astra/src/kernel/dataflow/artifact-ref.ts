import type { JsonValue } from '../tasks/types.js';

/**
 * Artifact references: how a value too large for a task's payload or result travels.
 *
 * A reference is the object `{"$artifact": "astra://artifacts/<id>"}`, optionally with
 * `"media_type"` (a string such as `text/csv`) and `"size_bytes"` (a non-negative integer). `<id>`
 * is 1-256 characters of letters, digits, `_ . : -`, starting alphanumeric. The kernel never opens
 * an artifact: a reference is passed through `$from` resolution unresolved, as a value like any
 * other, and a JSON pointer cannot walk into one. The store that holds the bytes is the artifacts
 * port (it comes with the tool runtime); a handler whose result would pass the result limit
 * writes the bytes there and returns the reference instead.
 */
export const ARTIFACT_KEY = '$artifact';
export const ARTIFACT_URI_PREFIX = 'astra://artifacts/';
const ARTIFACT_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,255}$/;
const ARTIFACT_FIELDS = new Set([ARTIFACT_KEY, 'media_type', 'size_bytes']);

export interface ArtifactRef {
  readonly $artifact: string;
  readonly media_type?: string;
  readonly size_bytes?: number;
}

/** The reference to artifact `id` (a handler's result, or part of one). */
export function artifactRef(id: string, meta: { mediaType?: string; sizeBytes?: number } = {}): ArtifactRef {
  if (!ARTIFACT_ID.test(id)) throw new Error(`"${id.slice(0, 64)}" is not an artifact id`);
  return {
    $artifact: `${ARTIFACT_URI_PREFIX}${id}`,
    ...(meta.mediaType === undefined ? {} : { media_type: meta.mediaType }),
    ...(meta.sizeBytes === undefined ? {} : { size_bytes: meta.sizeBytes }),
  };
}

export function isArtifactRef(value: JsonValue): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && ARTIFACT_KEY in value;
}

/** Why an object carrying `$artifact` is not a well-formed reference, or null when it is. */
export function artifactRefProblem(value: { readonly [key: string]: JsonValue }): string | null {
  const uri = value[ARTIFACT_KEY];
  if (
    typeof uri !== 'string' ||
    !uri.startsWith(ARTIFACT_URI_PREFIX) ||
    !ARTIFACT_ID.test(uri.slice(ARTIFACT_URI_PREFIX.length))
  )
    return `"${ARTIFACT_KEY}" must be a URI "${ARTIFACT_URI_PREFIX}<id>"`;
  for (const key of Object.keys(value))
    if (!ARTIFACT_FIELDS.has(key)) return `an artifact reference has no field "${key.slice(0, 64)}"`;
  if (value.media_type !== undefined && typeof value.media_type !== 'string')
    return '"media_type" must be a string';
  const size = value.size_bytes;
  if (size !== undefined && (typeof size !== 'number' || !Number.isInteger(size) || size < 0))
    return '"size_bytes" must be a non-negative integer';
  return null;
}
