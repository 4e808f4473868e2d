import { z } from 'zod';

/**
 * zod schemas as JSON Schema 2020-12, for the OpenAPI document and for Fastify's serializer.
 *
 * A schema with an `id` in its metadata (`.meta({ id: 'Task' })`) is a named schema: converted, it
 * is written once under `$defs` and referenced; the document lifts every `$defs` into
 * `components.schemas` (see `liftDefinitions`), so an API reference and the SDK show it by name.
 *
 * A request field the kernel validates itself (the plan: ASTRA_PLAN_INVALID with its own paths) is
 * parsed here as any JSON and described by a separate schema (`describedAs`); a test checks that the
 * description and the kernel's rules agree.
 */
const DESCRIBED = new WeakMap<z.core.$ZodType, z.core.$ZodType>();

/** `runtime` parses the value; the JSON Schema shows `shown` instead. */
export function describedAs<S extends z.core.$ZodType>(runtime: S, shown: z.core.$ZodType): S {
  DESCRIBED.set(runtime, shown);
  return runtime;
}

export type JsonSchemaObject = Record<string, unknown>;

export function toJsonSchema(schema: z.core.$ZodType, io: 'input' | 'output'): JsonSchemaObject {
  const converted = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    override: (ctx) => {
      const shown = DESCRIBED.get(ctx.zodSchema);
      if (shown === undefined) return;
      for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as JsonSchemaObject)[key];
      Object.assign(ctx.jsonSchema, toJsonSchema(shown, io));
    },
  }) as JsonSchemaObject;
  const { $schema: _, ...rest } = converted;
  return rest;
}

/**
 * Moves every `$defs` entry found anywhere in `value` into `into` and points its references at
 * `#/components/schemas/<id>`. Two definitions of one id must be the same schema: the same zod
 * schema converted twice is, and anything else is a mistake worth failing on.
 */
export function liftDefinitions(value: unknown, into: Record<string, unknown>): unknown {
  if (Array.isArray(value)) return value.map((item) => liftDefinitions(item, into));
  if (typeof value !== 'object' || value === null) return value;
  const out: JsonSchemaObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === '$defs') {
      for (const [id, definition] of Object.entries(item as JsonSchemaObject)) {
        const lifted = liftDefinitions(definition, into);
        const known = into[id];
        if (known !== undefined && JSON.stringify(known) !== JSON.stringify(lifted))
          throw new Error(`two different schemas are named ${id}`);
        into[id] = lifted;
      }
    } else if (key === '$ref' && typeof item === 'string' && item.startsWith('#/$defs/')) {
      out.$ref = `#/components/schemas/${item.slice('#/$defs/'.length)}`;
    } else out[key] = liftDefinitions(item, into);
  }
  return out;
}

const NULLABLE_TYPES = new Set(['string', 'integer', 'number', 'boolean', 'array', 'object']);

/**
 * The same schema for Fastify's serializer, with each nullable typed schema (`anyOf: [<typed>, {type:
 * 'null'}]`, as zod writes `.nullable()`) written as a type list (`type: [<type>, 'null']`).
 * fast-json-stringify picks an `anyOf` branch by running a validator on the value (a date-time
 * field: a regular expression on every answer); a type list it picks by `typeof`. What is written
 * is the same for every value the schema admits.
 */
export function forSerializer(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(forSerializer);
  if (typeof value !== 'object' || value === null) return value;
  const out: JsonSchemaObject = {};
  for (const [key, item] of Object.entries(value)) out[key] = forSerializer(item);
  const typed = nullableTyped(out);
  if (typed === undefined) return out;
  const { anyOf: _, ...siblings } = out;
  return { ...siblings, ...typed, type: [typed.type, 'null'] };
}

function nullableTyped(schema: JsonSchemaObject): JsonSchemaObject | undefined {
  const options = schema.anyOf;
  if (!Array.isArray(options) || options.length !== 2) return undefined;
  const isNull = (option: unknown): boolean =>
    typeof option === 'object' &&
    option !== null &&
    Object.keys(option).length === 1 &&
    (option as JsonSchemaObject).type === 'null';
  const other = isNull(options[0]) ? options[1] : isNull(options[1]) ? options[0] : undefined;
  if (typeof other !== 'object' || other === null) return undefined;
  const type = (other as JsonSchemaObject).type;
  if (typeof type !== 'string' || !NULLABLE_TYPES.has(type)) return undefined;
  // An option with nothing that needs a branch of its own (no choices or references of its own).
  for (const key of Object.keys(other))
    if (['anyOf', 'oneOf', 'allOf', '$ref', 'not', 'if'].includes(key)) return undefined;
  return other as JsonSchemaObject;
}
