import { describe, expect, it } from 'vitest';
import { artifactRef } from '../../src/kernel/dataflow/artifact-ref.js';
import { evaluatePointer, parsePointer } from '../../src/kernel/dataflow/json-pointer.js';
import { ReferenceShapeError, scanReferences } from '../../src/kernel/dataflow/references.js';
import { ResolutionError, resolvePayload } from '../../src/kernel/dataflow/resolve.js';
import { ARTIFACT_REF_SCHEMA, TASK_REFERENCE_SCHEMA } from '../../src/kernel/dataflow/schema.js';
import type { JsonValue } from '../../src/kernel/tasks/types.js';

describe('JSON Pointer (RFC 6901)', () => {
  const doc: JsonValue = { foo: ['bar', 'baz'], '': 0, 'a/b': 1, 'm~n': 8, ' ': 7 };
  it.each([
    ['', doc],
    ['/foo', ['bar', 'baz']],
    ['/foo/0', 'bar'],
    ['/', 0],
    ['/a~1b', 1],
    ['/m~0n', 8],
    ['/ ', 7],
  ])('evaluates %j', (pointer, expected) => {
    expect(evaluatePointer(doc, parsePointer(pointer) ?? [])).toEqual({ found: true, value: expected });
  });

  it.each(['foo', '/a~2', '/~'])('refuses the malformed pointer %j', (pointer) => {
    expect(parsePointer(pointer)).toBeNull();
  });

  it.each([
    ['/foo/2', '/foo/2'],
    ['/foo/01', '/foo/01'],
    ['/foo/-', '/foo/-'],
    ['/nope/x', '/nope'],
  ])('reports where %j names nothing', (pointer, missingAt) => {
    expect(evaluatePointer(doc, parsePointer(pointer) ?? [])).toEqual({ found: false, missingAt });
  });
});

describe('$from references', () => {
  it('finds references anywhere in a payload, with their paths', () => {
    const found = scanReferences(
      { a: { $from: 'fetch' }, list: [1, { $from: 'parse', pointer: '/rows/0' }], 'odd key': { $from: 'x' } },
      'tasks[1].payload',
    );
    expect(found.map(({ from, pointer, steps, path }) => ({ from, pointer, steps, path }))).toEqual([
      { from: 'fetch', pointer: '', steps: ['a'], path: 'tasks[1].payload.a' },
      { from: 'parse', pointer: '/rows/0', steps: ['list', 1], path: 'tasks[1].payload.list[1]' },
      { from: 'x', pointer: '', steps: ['odd key'], path: 'tasks[1].payload["odd key"]' },
    ]);
  });

  it.each([
    [{ x: { $from: 'a', extra: 1 } }, 'payload.x', 'not "extra"'],
    [{ x: { $from: 'a', pointer: 'body' } }, 'payload.x', 'is not a JSON Pointer'],
    [{ x: { $from: 'a', pointer: 3 } }, 'payload.x', '"pointer" must be a string'],
    [[{ $from: 7 }], 'payload[0]', '"$from" must be a task id'],
    [{ f: { $artifact: 'http://elsewhere/x' } }, 'payload.f', 'astra://artifacts/<id>'],
  ])('refuses the malformed %j at its path', (payload, path, reason) => {
    let caught: unknown;
    try {
      scanReferences(payload as JsonValue, 'payload');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ReferenceShapeError);
    expect((caught as ReferenceShapeError).path).toBe(path);
    expect((caught as ReferenceShapeError).reason).toContain(reason);
  });

  it('scans a deeply nested payload without overflowing the stack', () => {
    let deep: JsonValue = { $from: 'a' };
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(scanReferences(deep, 'payload')[0]?.steps).toHaveLength(100_000);
  });

  it('replaces references by values, copying only the way to them', () => {
    const shared = { untouched: true };
    const payload: JsonValue = {
      whole: { $from: 'fetch' },
      part: [{ $from: 'fetch', pointer: '/body/n' }],
      root: { $from: 'parse', pointer: '' },
      shared,
    };
    const results: Record<string, JsonValue> = { fetch: { body: { n: 42 } }, parse: null };
    const refs = scanReferences(payload, 'payload');
    const resolved = resolvePayload(payload, refs, (name) => results[name]) as Record<string, JsonValue>;
    expect(resolved).toEqual({ whole: { body: { n: 42 } }, part: [42], root: null, shared });
    expect(resolved.shared).toBe(shared);
    expect(payload.part).toEqual([{ $from: 'fetch', pointer: '/body/n' }]);
  });

  it('passes an artifact reference through whole, and refuses a pointer into one', () => {
    const file = artifactRef('report-1', { mediaType: 'text/csv', sizeBytes: 10 });
    const results: Record<string, JsonValue> = { fetch: { file: { ...file } } };
    const lookup = (name: string): JsonValue | undefined => results[name];
    const ok: JsonValue = { f: { $from: 'fetch', pointer: '/file' } };
    expect(resolvePayload(ok, scanReferences(ok, 'payload'), lookup)).toEqual({
      f: { $artifact: 'astra://artifacts/report-1', media_type: 'text/csv', size_bytes: 10 },
    });
    const into: JsonValue = { f: { $from: 'fetch', pointer: '/file/media_type' } };
    expect(() => resolvePayload(into, scanReferences(into, 'payload'), lookup)).toThrow(
      /pointer "\/file\/media_type" does not resolve in the result of task "fetch": "\/file" is an artifact reference/,
    );
  });

  it('names the reference, the pointer and where it stopped when a pointer does not resolve', () => {
    const payload: JsonValue = { q: { $from: 'fetch', pointer: '/body/missing' } };
    expect(() => resolvePayload(payload, scanReferences(payload, 'payload'), () => ({ body: {} }))).toThrow(
      new ResolutionError(
        'payload.q: pointer "/body/missing" does not resolve in the result of task "fetch" (nothing at "/body/missing")',
      ),
    );
  });
});

describe('the published schemas', () => {
  it('accept the pointers and artifact URIs the kernel accepts, and only those', () => {
    const pointer = new RegExp(TASK_REFERENCE_SCHEMA.properties.pointer.pattern);
    for (const sample of ['', '/', '/a/0', '/a~1b/~0', '/ ', 'a', '/~', '/a~2', '~1'])
      expect(pointer.test(sample), sample).toBe(parsePointer(sample) !== null);
    const uri = new RegExp(ARTIFACT_REF_SCHEMA.properties.$artifact.pattern);
    expect(uri.test(artifactRef('report-1.csv').$artifact)).toBe(true);
    for (const bad of ['astra://artifacts/', 'http://x/y', 'astra://artifacts/-x', 'astra://artifacts/a/b'])
      expect(uri.test(bad), bad).toBe(false);
  });
});
