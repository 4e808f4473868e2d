import { z } from 'zod';
import { Timestamp, Uuid } from './common.js';

export const Health = z
  .object({ status: z.literal('ok'), mode: z.string(), version: z.string() })
  .meta({ id: 'Health' });

export const Readiness = z
  .object({
    ready: z.boolean(),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional() })),
  })
  .meta({ id: 'Readiness' });

/** One message of `GET /events/stream` (its `data`) and of the WebSocket feed. */
export const StreamedEvent = z
  .object({
    id: z.number().int().meta({ description: "The event's id in the log; increasing." }),
    type: z.string(),
    agent_id: Uuid.nullable(),
    goal_id: Uuid.nullable(),
    graph_id: Uuid.nullable(),
    task_id: Uuid.nullable(),
    payload: z.unknown(),
    created_at: Timestamp,
  })
  .meta({ id: 'StreamedEvent' });

/** `GET /openapi.json`: served as built (its own schema is OpenAPI's). */
export const OpenApiDocument = z
  .record(z.string(), z.unknown())
  .meta({ description: 'An OpenAPI 3.1 document.' });
