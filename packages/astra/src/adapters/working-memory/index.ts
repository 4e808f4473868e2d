/** Working memory behind `ports/working-memory.ts`: Redis (single node) and in-process (embedded). */
export { createMemoryWorkingMemory } from './memory.js';
export { createRedisWorkingMemory } from './redis.js';
