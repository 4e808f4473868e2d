import { describe, expect, it } from 'vitest';
import { HandlerRegistry } from '../../src/kernel/executor/handlers.js';

describe('handler registry (kernel/executor/handlers.ts)', () => {
  it('gives the executor one type list until a type is registered, then a new one', () => {
    const handlers = new HandlerRegistry().register('a', async () => null);
    const first = handlers.typeList();
    expect(first).toEqual(['a']);
    expect(handlers.typeList()).toBe(first);
    handlers.register('b', async () => null);
    expect(handlers.typeList()).toEqual(['a', 'b']);
    expect(first).toEqual(['a']);
    expect([...handlers.types()]).toEqual(['a', 'b']);
  });
});
