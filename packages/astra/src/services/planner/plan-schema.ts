/**
 * The JSON Schema the model answers under (structured output) and its answer is checked against:
 * the subset of the kernel's plan (kernel/tasks/plan.ts) a planner writes. Every field is required
 * and no other is allowed, so the schema also suits providers' strict modes; `payload` is any
 * object, where `$from` references (docs/dataflow.md) may stand for earlier tasks' results.
 * Priorities, retries and timeouts keep the kernel's defaults.
 */
export const PLAN_TASK_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$';

export function plannedPlanSchema(taskTypes: readonly string[], maxTasks: number): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['tasks'],
    properties: {
      tasks: {
        type: 'array',
        minItems: 1,
        maxItems: maxTasks,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'type', 'payload', 'depends_on'],
          properties: {
            id: { type: 'string', pattern: PLAN_TASK_ID_PATTERN },
            type: { type: 'string', enum: [...taskTypes] },
            payload: { type: 'object' },
            depends_on: { type: 'array', items: { type: 'string' } },
          },
        },
      },
    },
  };
}
