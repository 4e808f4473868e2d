/**
 * Working memory port: a small per-agent scratchpad of named text values that lives for a while
 * after its last write (docs/memory.md). Adapters: Redis (one hash per agent, `PEXPIRE` on every
 * write; single-node mode) and in-process (embedded mode), in `src/adapters/working-memory/`.
 *
 * Rules every adapter keeps (test/conformance/working-memory.suite.ts):
 * - Agents are isolated: one agent's entries are never seen through another's id.
 * - `set` writes one entry and restarts the agent's TTL (the whole hash expires together, `ttlMs`
 *   after the last write); reads do not extend it. After it, `get` is null and `all` is `{}`.
 * - `delete` answers whether the entry existed; `clear` drops all of an agent's entries.
 * - `remainingMs` is the time until the agent's entries expire (null when it has none).
 * - Failures of the backing server are ASTRA_CACHE_UNAVAILABLE.
 */
export interface WorkingMemory {
  set(agentId: string, key: string, value: string): Promise<void>;
  get(agentId: string, key: string): Promise<string | null>;
  all(agentId: string): Promise<Record<string, string>>;
  delete(agentId: string, key: string): Promise<boolean>;
  clear(agentId: string): Promise<void>;
  remainingMs(agentId: string): Promise<number | null>;
  close(): Promise<void>;
}
