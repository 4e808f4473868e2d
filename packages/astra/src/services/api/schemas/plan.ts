import { z } from 'zod';

/**
 * The declared plan of a goal, as the API documents it. The kernel validates plans itself
 * (kernel/tasks/plan.ts: ASTRA_PLAN_INVALID with the offending path), so this schema describes
 * that validation rather than performing it; test/unit/plan-schema.test.ts checks that the two
 * agree on the fields and their limits.
 */
export const PlanTask = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/)
      .meta({ description: 'Unique in the plan: 1-128 letters, digits, `_ . : -`, starting alphanumeric.' }),
    type: z
      .string()
      .min(1)
      .meta({ description: 'A task type some worker runs (`noop`, `echo`, `sleep`, ...).' }),
    payload: z
      .unknown()
      .optional()
      .meta({
        description:
          'Any JSON (default `{}`, at most 256 KiB) handed to the handler. An object `{"$from": "<task id>", "pointer"?: "/json/pointer"}` anywhere in it is a TaskReference, and `{"$artifact": "astra://artifacts/..."}` an ArtifactRef (see those schemas).',
        examples: [{ url: 'https://example.com' }, { text: { $from: 'fetch', pointer: '/body' } }],
      }),
    depends_on: z
      .array(z.string())
      .max(1000)
      .optional()
      .meta({ description: 'Ids of tasks of this plan that must complete first; no cycles.' }),
    priority: z
      .number()
      .int()
      .min(-1_000_000)
      .max(1_000_000)
      .optional()
      .meta({ description: 'Default 100.' }),
    max_retries: z.number().int().min(0).max(100).optional().meta({ description: 'Default 5.' }),
    timeout_ms: z
      .number()
      .int()
      .min(1)
      .max(24 * 3600 * 1000)
      .nullable()
      .optional()
      .meta({ description: 'Per attempt; null or absent: no timeout.' }),
    on_dependency_failure: z.enum(['fail', 'skip']).optional().meta({
      description: 'When a dependency ends without completing: fail this task too (default) or skip it.',
    }),
  })
  .strict()
  .meta({ id: 'PlanTask', description: 'One task of a declared plan.' });

export const Plan = z
  .object({ tasks: z.array(PlanTask).min(1).max(10_000) })
  .strict()
  .meta({ id: 'Plan', description: 'A DAG of tasks, run in dependency order.' });
