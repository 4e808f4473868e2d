/**
 * The memory service's background work (docs/memory.md): episodes of ended goals and chat
 * sessions (`memory_episode`), the janitor (`memory_janitor`) and the `reflect` task type. Other
 * services import these through the memory service's index.
 */
export type { ChatTranscript } from './chat-material.js';
export {
  createEpisodeRecorder,
  type EpisodeRecorder,
  type EpisodeRecorderOptions,
} from './episode-recorder.js';
export { type Episode, episodeRow, listEpisodes } from './episode-store.js';
export { checkEpisodePayload, type EpisodeTaskOptions, episodeHandler } from './episode-task.js';
export {
  type JanitorRoundOptions,
  type JanitorTaskOptions,
  janitorHandler,
  type MemoryJanitor,
  runJanitorRound,
  startMemoryJanitor,
} from './janitor.js';
export { checkReflectPayload, type ReflectTaskOptions, reflectHandler } from './reflect-task.js';
export { MEMORY_TASK_TYPES, type MemoryTaskOptions, withMemoryTasks } from './register.js';
export {
  janitorStateRow,
  type RetentionSettings,
  retentionOf,
  retentionRow,
  setRetention,
} from './retention-store.js';
export {
  MEMORY_BACKGROUND_TYPES,
  MEMORY_GOAL_KEY_PREFIX,
  MEMORY_TASK_DEFAULTS,
  RETENTION_DEFAULTS,
  type Retention,
} from './task-defaults.js';
export type { MemoryModel } from './task-model.js';
