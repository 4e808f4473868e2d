import { describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import { DEFAULT_PLAN_LIMITS, parsePlan } from '../../src/kernel/tasks/plan.js';
import { toJsonSchema } from '../../src/services/api/json-schema.js';
import { PlanTask } from '../../src/services/api/schemas/plan.js';

/**
 * The plan's documented schema (schemas/plan.ts) describes what the kernel's parsePlan accepts:
 * the same task fields, the same bounds, the same id rule, the same policies. The kernel stays the
 * one that validates; this test keeps the description from drifting away from it.
 */
interface Property {
  readonly minimum?: number;
  readonly maximum?: number;
  readonly pattern?: string;
  readonly enum?: readonly string[];
  readonly anyOf?: readonly Property[];
}
interface ObjectSchema {
  readonly properties: Record<string, Property>;
  readonly required: string[];
}
const converted = toJsonSchema(PlanTask, 'input') as unknown as ObjectSchema & {
  $defs?: Record<string, ObjectSchema>;
};
const documented = converted.$defs?.PlanTask ?? converted;
const limits = { ...DEFAULT_PLAN_LIMITS, knownTypes: new Set(['noop']) };
const accepts = (task: Record<string, unknown>): boolean => {
  try {
    parsePlan({ tasks: [{ id: 'a', type: 'noop', ...task }] }, limits);
    return true;
  } catch (error) {
    if (isAstraError(error, 'ASTRA_PLAN_INVALID')) return false;
    throw error;
  }
};
const bounds = (name: string): Property => {
  const property = documented.properties[name] as Property;
  return property.anyOf?.find((p) => p.minimum !== undefined) ?? property;
};

describe('the documented plan schema', () => {
  it('names exactly the task fields the kernel accepts, and requires id and type', () => {
    const sample: Record<string, unknown> = {
      id: 'a',
      type: 'noop',
      payload: { text: 'hello' },
      depends_on: [],
      priority: 1,
      max_retries: 1,
      timeout_ms: 1,
      on_dependency_failure: 'skip',
    };
    expect(Object.keys(documented.properties).sort()).toEqual(Object.keys(sample).sort());
    for (const [field, value] of Object.entries(sample))
      expect(accepts({ [field]: value }), field).toBe(true);
    expect(accepts({ undocumented: 1 })).toBe(false);
    expect(documented.required.sort()).toEqual(['id', 'type']);
  });

  it('gives the bounds the kernel enforces', () => {
    for (const field of ['priority', 'max_retries', 'timeout_ms']) {
      const { minimum, maximum } = bounds(field);
      expect(minimum, field).toBeTypeOf('number');
      expect(maximum, field).toBeTypeOf('number');
      expect(accepts({ [field]: minimum }), `${field} = ${minimum}`).toBe(true);
      expect(accepts({ [field]: maximum }), `${field} = ${maximum}`).toBe(true);
      expect(accepts({ [field]: (minimum as number) - 1 }), `${field} below`).toBe(false);
      expect(accepts({ [field]: (maximum as number) + 1 }), `${field} above`).toBe(false);
    }
  });

  it('gives the id rule and the dependency-failure policies the kernel enforces', () => {
    const pattern = new RegExp(documented.properties.id?.pattern as string);
    for (const id of ['a', 'step-1', 'A.b:c_d', 'x'.repeat(128), 'x'.repeat(129), '-a', 'a b', ''])
      expect(pattern.test(id), JSON.stringify(id)).toBe(accepts({ id }));
    const policies = documented.properties.on_dependency_failure?.enum ?? [];
    for (const policy of [...policies, 'retry'])
      expect(accepts({ on_dependency_failure: policy })).toBe(policies.includes(policy));
  });
});
