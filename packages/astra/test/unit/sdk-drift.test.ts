import { readFileSync } from 'node:fs';
import { AstraOperations } from '@astra/sdk';
import { describe, expect, it } from 'vitest';
import { formatModule, renderSdk } from '../../../../tools/sdk-codegen.mjs';
import { describeApi } from '../../src/app/describe-api.js';

/**
 * The SDK's operations module is generated from the OpenAPI document the routes describe
 * (tools/generate-sdk.mjs); this is its drift check: a route or schema changed without
 * `npm run generate:sdk` fails here. The document is built from the route registry, no server.
 */
const OPERATIONS_FILE = new URL('../../../sdk/src/operations.ts', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('../../../sdk/package.json', import.meta.url), 'utf8'));

interface Operation {
  readonly operationId?: string;
  readonly responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>;
}

const document = (await describeApi(version)) as { paths: Record<string, Record<string, Operation>> };
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
);

describe('the SDK generated from the OpenAPI document', () => {
  it('is what the generator writes today (run `npm run generate:sdk` after changing a route)', () => {
    expect(readFileSync(OPERATIONS_FILE, 'utf8')).toBe(formatModule(renderSdk(document)));
  });

  it('has one method per operation but the WebSocket ones and those that never succeed, under the operation id', () => {
    const ids = operations.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { name, op } of operations) {
      expect(op.operationId, name).toMatch(/^[a-z][A-Za-z]+$/);
      const statuses = Object.keys(op.responses);
      if (statuses.includes('101') || !statuses.some((status) => status.startsWith('2'))) continue;
      expect(
        typeof (AstraOperations.prototype as unknown as Record<string, unknown>)[op.operationId as string],
        name,
      ).toBe('function');
    }
  });

  it('documents every JSON answer with a schema of its own fields, never a bare object', () => {
    for (const { name, op } of operations)
      for (const [status, answer] of Object.entries(op.responses)) {
        const schema = answer.content?.['application/json']?.schema;
        if (schema === undefined) continue;
        const described =
          typeof schema.$ref === 'string' || 'properties' in schema || 'additionalProperties' in schema;
        expect(described, `${name} ${status}`).toBe(true);
      }
  });
});
