import { describe, expect, it } from 'vitest';
import { type AstraError, isAstraError } from '../../src/errors/index.js';
import { DEFAULT_PLAN_LIMITS, parsePlan } from '../../src/kernel/tasks/plan.js';

const limits = { ...DEFAULT_PLAN_LIMITS, knownTypes: new Set(['echo', 'noop']) };

function refusal(plan: unknown): AstraError {
  try {
    parsePlan(plan, limits);
  } catch (error) {
    if (isAstraError(error)) return error;
    throw error;
  }
  throw new Error('the plan was accepted');
}

describe('plan validation of $from references', () => {
  it('accepts references to direct dependencies and to farther ancestors', () => {
    const plan = parsePlan(
      {
        tasks: [
          { id: 'fetch', type: 'echo', payload: { body: 'x' } },
          { id: 'parse', type: 'echo', payload: { raw: { $from: 'fetch' } }, depends_on: ['fetch'] },
          {
            id: 'report',
            type: 'echo',
            payload: { parsed: { $from: 'parse' }, body: { $from: 'fetch', pointer: '/body' } },
            depends_on: ['parse'],
          },
        ],
      },
      limits,
    );
    expect(plan.tasks[2]?.payload).toEqual({
      parsed: { $from: 'parse' },
      body: { $from: 'fetch', pointer: '/body' },
    });
  });

  it.each([
    [
      'an unknown task',
      [{ id: 'a', type: 'echo', payload: { x: [{ $from: 'ghost' }] } }],
      'tasks[0].payload.x[0]',
      'unknown task "ghost"',
    ],
    [
      'the task itself',
      [{ id: 'a', type: 'echo', payload: { $from: 'a' } }],
      'tasks[0].payload',
      'the task itself',
    ],
    [
      'a sibling that is not an ancestor',
      [
        { id: 'root', type: 'noop' },
        { id: 'left', type: 'noop', depends_on: ['root'] },
        { id: 'right', type: 'echo', payload: { l: { $from: 'left' } }, depends_on: ['root'] },
      ],
      'tasks[2].payload.l',
      'not an ancestor of "right"',
    ],
    [
      'a descendant',
      [
        { id: 'a', type: 'echo', payload: { b: { $from: 'b' } } },
        { id: 'b', type: 'noop', depends_on: ['a'] },
      ],
      'tasks[0].payload.b',
      'not an ancestor of "a"',
    ],
    [
      'a malformed pointer',
      [
        { id: 'a', type: 'noop' },
        { id: 'b', type: 'echo', payload: { v: { $from: 'a', pointer: 'body' } }, depends_on: ['a'] },
      ],
      'tasks[1].payload.v',
      'is not a JSON Pointer',
    ],
    [
      'a key beside $from and pointer',
      [
        { id: 'a', type: 'noop' },
        { id: 'b', type: 'echo', payload: { v: { $from: 'a', default: 1 } }, depends_on: ['a'] },
      ],
      'tasks[1].payload.v',
      'not "default"',
    ],
  ])('refuses a reference to %s with ASTRA_PLAN_INVALID and its path', (_name, tasks, path, reason) => {
    const error = refusal({ tasks });
    expect(error.code).toBe('ASTRA_PLAN_INVALID');
    expect(error.details).toMatchObject({ path });
    expect(String(error.details.reason)).toContain(reason);
  });

  it('accepts references to the root from every task of a 2,000-task chain', () => {
    const tasks = Array.from({ length: 2000 }, (_, i) => ({
      id: `t${i}`,
      type: 'echo',
      payload: i === 0 ? {} : { root: { $from: 't0' }, previous: { $from: `t${i - 1}` } },
      depends_on: i === 0 ? [] : [`t${i - 1}`],
    }));
    expect(parsePlan({ tasks }, limits).tasks).toHaveLength(2000);
  });

  it('accepts a 10,000-task chain in which each task references a different far ancestor', () => {
    const tasks = Array.from({ length: 10_000 }, (_, i) => ({
      id: `t${i}`,
      type: 'echo',
      payload: i < 2 ? {} : { half: { $from: `t${Math.floor(i / 2) - 1}` } },
      depends_on: i === 0 ? [] : [`t${i - 1}`],
    }));
    expect(parsePlan({ tasks }, limits).tasks).toHaveLength(10_000);
  });
});
