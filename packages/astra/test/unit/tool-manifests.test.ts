import { describe, expect, it } from 'vitest';
import { checkAgainst, compareVersions, parseToolRef, toolAllowed } from '../../src/services/tools/index.js';

describe('tool allow-lists (upstream entries)', () => {
  it.each([
    [null, true],
    [[], true],
    [['*'], true],
    [['shell_exec'], true],
    [['shell_exec@*'], true],
    [['shell_exec@1.0.0'], true],
    [['shell_exec@1.0.1'], false],
    [['file_read', 'file_write'], false],
    [['shell'], false],
  ] as const)('%j allows shell_exec@1.0.0: %s', (allowed, expected) => {
    expect(toolAllowed(allowed, 'shell_exec', '1.0.0')).toBe(expected);
  });
});

describe('tool references', () => {
  it('parses name and name@version, and refuses anything else', () => {
    expect(parseToolRef('shell_exec')).toEqual({ name: 'shell_exec', version: null });
    expect(parseToolRef('browser:screenshot@1.2.3')).toEqual({
      name: 'browser:screenshot',
      version: '1.2.3',
    });
    expect(parseToolRef('x@latest')).toBeNull();
    expect(parseToolRef('Shell')).toBeNull();
    expect(parseToolRef('@1.0.0')).toBeNull();
  });

  it('orders versions semantically, a pre-release below its release', () => {
    const sorted = ['1.10.0', '1.2.0', '1.10.0-rc.1', '2.0.0', '1.2.0-alpha'].sort(compareVersions);
    expect(sorted).toEqual(['1.2.0-alpha', '1.2.0', '1.10.0-rc.1', '1.10.0', '2.0.0']);
  });
});

describe('tool input checks', () => {
  const schema = {
    type: 'object',
    properties: {
      path: { type: 'string', minLength: 1 },
      options: { type: 'object', properties: { 'a/b': { type: 'integer' } } },
    },
    required: ['path'],
    additionalProperties: false,
  };

  it('answers nothing for a conforming input', () => {
    expect(checkAgainst(schema, { path: 'a.txt' })).toEqual([]);
  });

  it('points at each offending value with a JSON Pointer a model can act on', () => {
    expect(checkAgainst(schema, { extra: 1, options: { 'a/b': 'x' } })).toEqual([
      { path: '/path', message: 'is required' },
      { path: '/extra', message: 'is not an allowed property' },
      { path: '/options/a~1b', message: 'must be integer' },
    ]);
    expect(checkAgainst(schema, 'not an object')).toEqual([{ path: '', message: 'must be object' }]);
  });
});
