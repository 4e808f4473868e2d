import type { HandlerRegistry } from '../../../kernel/index.js';
import type { SemanticMemory } from '../semantic-memory.js';
import { checkEpisodePayload, type EpisodeTaskOptions, episodeHandler } from './episode-task.js';
import { janitorHandler } from './janitor.js';
import { checkReflectPayload, reflectHandler } from './reflect-task.js';

/** What the memory task types are built with (each names what it uses). */
export interface MemoryTaskOptions extends EpisodeTaskOptions {
  /** Where `reflect` writes facts. */
  readonly memory: SemanticMemory;
}

/** The memory task types: the episode writer, the janitor and `reflect`. */
export const MEMORY_TASK_TYPES = ['memory_episode', 'memory_janitor', 'reflect'] as const;

/** The registry with the memory task types added (each unless the caller registered its own). */
export function withMemoryTasks(handlers: HandlerRegistry, options: MemoryTaskOptions): HandlerRegistry {
  if (handlers.get('memory_episode') === undefined)
    handlers.register('memory_episode', episodeHandler(options), { checkPayload: checkEpisodePayload });
  if (handlers.get('memory_janitor') === undefined)
    handlers.register('memory_janitor', janitorHandler(options));
  if (handlers.get('reflect') === undefined)
    handlers.register('reflect', reflectHandler(options), { checkPayload: checkReflectPayload });
  return handlers;
}
