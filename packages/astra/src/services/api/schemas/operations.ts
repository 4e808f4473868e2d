import { z } from 'zod';

export const Health = z
  .object({ status: z.literal('ok'), mode: z.string(), version: z.string() })
  .meta({ id: 'Health' });

export const Readiness = z
  .object({
    ready: z.boolean(),
    checks: z.record(
      z.string(),
      z.object({
        ok: z.boolean(),
        latency_ms: z.number().meta({ description: 'How long the check took to answer or fail.' }),
        error: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'Readiness' });

/** `GET /openapi.json`: served as built (its own schema is OpenAPI's). */
export const OpenApiDocument = z
  .record(z.string(), z.unknown())
  .meta({ description: 'An OpenAPI 3.1 document.' });
