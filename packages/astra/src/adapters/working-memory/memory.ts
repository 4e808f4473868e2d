import type { WorkingMemory } from '../../ports/working-memory.js';
import type { Clock } from '../../time/clock.js';

/** Working memory in process (embedded mode): a map per agent and its expiry, on the injected clock. */
export function createMemoryWorkingMemory(options: { ttlMs: number; clock: Clock }): WorkingMemory {
  const agents = new Map<string, { entries: Map<string, string>; expiresAt: number }>();
  const live = (agentId: string) => {
    const agent = agents.get(agentId);
    if (agent === undefined) return undefined;
    if (agent.expiresAt <= options.clock.now()) {
      agents.delete(agentId);
      return undefined;
    }
    return agent;
  };
  return {
    async set(agentId, key, value) {
      const agent = live(agentId) ?? { entries: new Map<string, string>(), expiresAt: 0 };
      agent.entries.set(key, value);
      agent.expiresAt = options.clock.now() + options.ttlMs;
      agents.set(agentId, agent);
    },
    async get(agentId, key) {
      return live(agentId)?.entries.get(key) ?? null;
    },
    async all(agentId) {
      return Object.fromEntries(live(agentId)?.entries ?? []);
    },
    async delete(agentId, key) {
      const agent = live(agentId);
      const existed = agent?.entries.delete(key) ?? false;
      if (agent !== undefined && agent.entries.size === 0) agents.delete(agentId);
      return existed;
    },
    async clear(agentId) {
      agents.delete(agentId);
    },
    async remainingMs(agentId) {
      const agent = live(agentId);
      return agent === undefined ? null : agent.expiresAt - options.clock.now();
    },
    async close() {
      agents.clear();
    },
  };
}
