import type { HandlerRegistry } from '../../../kernel/index.js';
import type { SemanticMemory } from '../semantic-memory.js';
import { checkEpisodePayload, type EpisodeTaskOptions, episodeHandler } from './episode-task.js';

/** What the memory task types are built with (each names what it uses). */
export interface MemoryTaskOptions extends EpisodeTaskOptions {
  /** Where `reflect` writes facts. */
  readonly memory: SemanticMemory;
}

/** The registry with the memory task types added: `memory_episode`. */
export function withMemoryTasks(handlers: HandlerRegistry, options: MemoryTaskOptions): HandlerRegistry {
  if (handlers.get('memory_episode') === undefined)
    handlers.register('memory_episode', episodeHandler(options), { checkPayload: checkEpisodePayload });
  return handlers;
}
