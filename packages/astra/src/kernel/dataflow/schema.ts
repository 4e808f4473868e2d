import { ARTIFACT_KEY, ARTIFACT_URI_PREFIX } from './artifact-ref.js';
import { FROM_KEY, POINTER_KEY } from './references.js';

/**
 * JSON Schemas (draft 2020-12) of the values with a meaning inside a task's payload or result,
 * for the API description (the plan's `payload`) and for clients. They describe what the plan
 * validation enforces (plan-references.ts, artifact-ref.ts); ancestry is beyond a schema.
 */
export const TASK_REFERENCE_SCHEMA = {
  title: 'TaskReference',
  description:
    'Stands for the result of an ancestor task (a task reached through depends_on), or the part of it a JSON Pointer names; replaced by that value when the referencing task is claimed. Anywhere in a payload.',
  type: 'object',
  required: [FROM_KEY],
  additionalProperties: false,
  properties: {
    [FROM_KEY]: { type: 'string', minLength: 1, description: 'The plan id of an ancestor task.' },
    [POINTER_KEY]: {
      type: 'string',
      pattern: '^(/([^~/]|~[01])*)*$',
      description: 'An RFC 6901 JSON Pointer into that result; absent or "": the whole result.',
    },
  },
  examples: [{ [FROM_KEY]: 'fetch' }, { [FROM_KEY]: 'fetch', [POINTER_KEY]: '/body/items/0' }],
} as const;

export const ARTIFACT_REF_SCHEMA = {
  title: 'ArtifactRef',
  description:
    'A value stored as an artifact, passed by reference (whole, never walked into); a result larger than the result limit travels this way.',
  type: 'object',
  required: [ARTIFACT_KEY],
  additionalProperties: false,
  properties: {
    [ARTIFACT_KEY]: {
      type: 'string',
      pattern: `^${ARTIFACT_URI_PREFIX.replaceAll('/', '\\/')}[A-Za-z0-9][A-Za-z0-9_.:-]{0,255}$`,
    },
    media_type: { type: 'string' },
    size_bytes: { type: 'integer', minimum: 0 },
  },
  examples: [{ [ARTIFACT_KEY]: `${ARTIFACT_URI_PREFIX}report-1`, media_type: 'text/csv' }],
} as const;
