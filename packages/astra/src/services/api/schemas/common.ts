import { z } from 'zod';

/**
 * Building blocks of the answer schemas (schemas/*.ts). Answers are described in their output
 * form: what the server sends, field by field; the serializer keeps exactly these fields.
 */
export const Uuid = z.uuid();

/** ISO 8601 in UTC, as every timestamp in an answer. */
export const Timestamp = z.string().meta({ format: 'date-time' });

export const JsonObject = z.record(z.string(), z.unknown());

/** Any JSON value (a payload, a result, a checkpoint). */
export const AnyJson = z.unknown();

export const Deleted = z.object({ id: Uuid, deleted: z.literal(true) });

export const Revoked = z.object({ id: Uuid, revoked: z.literal(true) });
