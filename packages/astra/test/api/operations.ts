import type { JsonSchema } from './schema-arbitrary.js';

/**
 * The operations of a served OpenAPI 3.1 document, in the form the fuzzer needs: method, path
 * template, parameters by place, the JSON body schema, whether it is public, who may call it, and
 * the statuses it documents. Read at run time, so routes added after this file was written are fuzzed too.
 */
export interface Parameter {
  readonly name: string;
  readonly required: boolean;
  readonly schema: JsonSchema;
}

/** Who may call an operation (`x-astra-access`, services/access/rules.ts). */
export interface Access {
  readonly action?: string;
  readonly resource?: { readonly type: string };
  readonly filtered?: true;
  readonly self?: true;
}

export interface Operation {
  readonly method: string;
  /** OpenAPI form: `/agents/{id}/documents/{doc_id}`. */
  readonly path: string;
  readonly pathParams: readonly Parameter[];
  readonly query: readonly Parameter[];
  readonly headers: readonly Parameter[];
  readonly body: JsonSchema | undefined;
  readonly public: boolean;
  readonly access: Access | undefined;
  readonly statuses: ReadonlySet<number>;
}

interface DocumentShape {
  readonly paths: Record<
    string,
    Record<
      string,
      {
        security?: unknown[];
        'x-astra-access'?: Access;
        parameters?: { name: string; in: string; required?: boolean; schema?: JsonSchema }[];
        requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
        responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
      }
    >
  >;
}

export function operationsOf(document: unknown): Operation[] {
  const { paths } = document as DocumentShape;
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (where: string): Parameter[] =>
        (op.parameters ?? [])
          .filter((p) => p.in === where)
          .map((p) => ({ name: p.name, required: p.required === true, schema: p.schema ?? {} }));
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: params('path'),
        query: params('query'),
        headers: params('header'),
        body: op.requestBody?.content?.['application/json']?.schema,
        public: Array.isArray(op.security) && op.security.length === 0,
        access: op['x-astra-access'],
        statuses: new Set(Object.keys(op.responses ?? {}).map(Number)),
      });
    }
  }
  return operations;
}

/** Every error code any operation's error schema allows (the registry, docs/errors.md). */
export function errorCodesOf(document: unknown): Set<string> {
  const codes = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, unknown>;
      const code = (record.properties as Record<string, { enum?: unknown[] }> | undefined)?.code;
      if (Array.isArray(code?.enum) && 'retryable' in (record.properties as object))
        for (const c of code.enum) codes.add(String(c));
      Object.values(record).forEach(visit);
    }
  };
  visit(document);
  return codes;
}

/**
 * The collection a path parameter names: the segment before it (`/agents/{id}` → `agents`,
 * `/agents/{id}/documents/{doc_id}` → `documents` for `doc_id`).
 */
export function collectionOf(path: string, param: string): string {
  const segments = path.split('/');
  const at = segments.indexOf(`{${param}}`);
  return at > 0 ? (segments[at - 1] as string) : '';
}

/** The path with its parameters filled in (values already encoded). */
export function fillPath(path: string, values: Readonly<Record<string, string>>): string {
  return path.replace(/\{([A-Za-z_]+)\}/g, (_, name: string) => values[name] ?? '');
}
