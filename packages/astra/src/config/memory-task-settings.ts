import { z } from 'zod';
import { MEMORY_TASK_DEFAULTS } from '../services/memory/tasks/task-defaults.js';

/**
 * The memory service's background work (docs/memory.md): episodes of ended goals, and how often
 * the janitor's round runs. settings.ts spreads these into its table.
 */
export const MEMORY_TASK_SETTINGS = {
  memoryEpisodes: {
    env: 'ASTRA_MEMORY_EPISODES',
    flag: 'memory-episodes',
    schema: z.stringbool(),
    default: 'true',
    description:
      "Write an episode (events and a summary) of each ended goal, in background memory_episode tasks on the goal's agent.",
  },
  memoryJanitorEveryMs: {
    env: 'ASTRA_MEMORY_JANITOR_EVERY_MS',
    flag: 'memory-janitor-every-ms',
    schema: z.coerce.number().int().min(0),
    default: MEMORY_TASK_DEFAULTS.janitorEveryMs,
    description:
      'How often the scheduler role submits the memory janitor (expiry, retention, consolidation) for each agent with work; 0: never.',
  },
} as const;
