import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkingMemory } from '../../src/ports/working-memory.js';

/** The working memory port's conformance suite (rules in src/ports/working-memory.ts). */
export interface WorkingMemoryHarness {
  readonly memory: WorkingMemory;
  /** Makes the agent's entries expire now (the clock moved past the TTL, or the key's TTL ran out). */
  expire(agentId: string): Promise<void>;
}

export const TTL_MS = 60_000;

export function describeWorkingMemoryConformance(
  name: string,
  factory: () => Promise<WorkingMemoryHarness>,
): void {
  describe(`working memory conformance: ${name}`, () => {
    let harness: WorkingMemoryHarness | undefined;
    const open = async () => {
      harness = await factory();
      return harness;
    };
    afterEach(async () => {
      await harness?.memory.close();
      harness = undefined;
    });

    it('keeps entries per agent, isolated', async () => {
      const { memory } = await open();
      const [a, b] = [randomUUID(), randomUUID()];
      await memory.set(a, 'plan', 'step 2 of 5');
      await memory.set(a, 'user', 'Dana');
      await memory.set(b, 'plan', 'other');
      expect(await memory.get(a, 'plan')).toBe('step 2 of 5');
      expect(await memory.all(a)).toEqual({ plan: 'step 2 of 5', user: 'Dana' });
      expect(await memory.get(b, 'user')).toBeNull();
      expect(await memory.delete(a, 'user')).toBe(true);
      expect(await memory.delete(a, 'user')).toBe(false);
      await memory.clear(a);
      expect(await memory.all(a)).toEqual({});
      expect(await memory.all(b)).toEqual({ plan: 'other' });
    });

    it('a write sets the TTL of the whole agent; after it everything is gone', async () => {
      const h = await open();
      const agent = randomUUID();
      expect(await h.memory.remainingMs(agent)).toBeNull();
      await h.memory.set(agent, 'k', 'v');
      const left = await h.memory.remainingMs(agent);
      expect(left).toBeGreaterThan(TTL_MS - 5000);
      expect(left).toBeLessThanOrEqual(TTL_MS);
      await h.expire(agent);
      expect(await h.memory.get(agent, 'k')).toBeNull();
      expect(await h.memory.all(agent)).toEqual({});
      expect(await h.memory.remainingMs(agent)).toBeNull();
    });
  });
}
