import type { ToolRunner } from './tool-call.js';

/**
 * The built-in tools whose code is the runtime's own (`sandbox: none`): they touch only the goal's
 * workspace, through Workspace's path rules. Each gets the call's checked input and its manifest
 * (for its limits) and answers the task's result.
 */

/** Most entries `list_files` answers. */
const MAX_ENTRIES = 1000;

export const BUILTIN_RUNNERS: ReadonlyMap<string, ToolRunner> = new Map<string, ToolRunner>([
  [
    'file_read',
    async ({ input, manifest, workspace }) => {
      const path = String(input.path);
      const read = await (await workspace()).read(path, manifest.limits.outputBytes);
      return { path, content: read.content, bytes: read.bytes, truncated: read.truncated };
    },
  ],
  [
    'file_write',
    async ({ input, workspace }) => {
      const path = String(input.path);
      const written = await (await workspace()).write(path, String(input.content));
      return { path, bytes: written.bytes };
    },
  ],
  [
    'list_files',
    async ({ input, workspace }) => {
      const path = typeof input.path === 'string' ? input.path : '';
      const listed = await (await workspace()).list(path, MAX_ENTRIES);
      return { path, entries: listed.entries.map((entry) => ({ ...entry })), truncated: listed.truncated };
    },
  ],
]);
