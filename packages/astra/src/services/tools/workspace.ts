import { lstat, mkdir, readdir, readFile, realpath, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ToolCallError } from './tool-errors.js';

/**
 * A goal's workspace: one directory per goal under the workspace root, shared by the goal's tasks
 * (a file one task writes, the next reads). Paths are relative to it: absolute paths, `..`
 * segments, NUL and backslashes are refused, and so is a path that resolves outside the workspace
 * through a symbolic link (a sandboxed tool may have made one). Directories are owner-only.
 *
 * The workspace is on this node's disk: the tasks of one goal see each other's files when they run
 * on nodes that share the root (one node, or a shared volume).
 */
export class Workspaces {
  readonly #root: string;

  constructor(root: string) {
    this.#root = path.resolve(root);
  }

  /** The goal's workspace directory, made if missing. */
  async of(goalId: string): Promise<Workspace> {
    if (!/^[0-9a-f-]{36}$/i.test(goalId)) throw new Error(`not a goal id: ${goalId}`);
    const dir = path.join(this.#root, goalId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return new Workspace(await realpath(dir));
  }
}

/** Why a path is not a workspace-relative one (before any link is followed), or null when it is. */
export function workspacePathProblem(relative: string): string | null {
  if (relative.includes('\0') || relative.includes('\\')) return 'holds a NUL or a backslash';
  if (path.isAbsolute(relative)) return 'is absolute: paths are relative to the goal workspace';
  if (relative.split('/').includes('..')) return 'has a .. segment';
  return null;
}

export interface WorkspaceEntry {
  readonly name: string;
  readonly type: 'file' | 'directory' | 'other';
  readonly bytes: number;
}

export class Workspace {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The absolute path of a workspace-relative one; ASTRA_TOOL_PATH_INVALID when it is not one. */
  resolve(relative: string): string {
    const problem = workspacePathProblem(relative);
    if (problem !== null) throw pathError(relative, problem);
    return path.join(this.dir, relative);
  }

  /** Refuses a path whose nearest existing ancestor resolves outside the workspace (a link out). */
  async #inside(absolute: string, relative: string): Promise<void> {
    let probe = absolute;
    for (;;) {
      const real = await realpath(probe).catch(() => null);
      if (real !== null) {
        if (real !== this.dir && !real.startsWith(`${this.dir}${path.sep}`))
          throw pathError(relative, 'leads outside the goal workspace');
        return;
      }
      probe = path.dirname(probe);
    }
  }

  async read(
    relative: string,
    maxBytes: number,
  ): Promise<{ content: string; bytes: number; truncated: boolean }> {
    const file = this.resolve(relative);
    await this.#inside(file, relative);
    const info = await stat(file).catch(() => null);
    if (info === null)
      throw new ToolCallError('ASTRA_TOOL_FAILED', `${relative}: no such file in the workspace`);
    if (!info.isFile()) throw new ToolCallError('ASTRA_TOOL_FAILED', `${relative}: not a file`);
    const buffer = await readFile(file);
    const truncated = buffer.length > maxBytes;
    return {
      content: buffer.subarray(0, maxBytes).toString('utf8'),
      bytes: buffer.length,
      truncated,
    };
  }

  /** Writes the whole file at once (a temporary file renamed over it), making its directories. */
  async write(relative: string, content: string): Promise<{ bytes: number }> {
    const file = this.resolve(relative);
    if (relative === '' || relative.endsWith('/')) throw pathError(relative, 'names a directory, not a file');
    await this.#inside(file, relative);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await this.#inside(path.dirname(file), relative);
    const existing = await lstat(file).catch(() => null);
    if (existing?.isSymbolicLink()) throw pathError(relative, 'is a symbolic link');
    const temporary = `${file}.astra-${process.pid}-${Date.now()}.tmp`;
    await writeFile(temporary, content, { mode: 0o600 });
    await rename(temporary, file);
    return { bytes: Buffer.byteLength(content) };
  }

  async list(
    relative: string,
    maxEntries: number,
  ): Promise<{ entries: WorkspaceEntry[]; truncated: boolean }> {
    const dir = this.resolve(relative === '' ? '.' : relative);
    await this.#inside(dir, relative);
    const found = await readdir(dir, { withFileTypes: true }).catch(() => null);
    if (found === null)
      throw new ToolCallError('ASTRA_TOOL_FAILED', `${relative || '.'}: no such directory in the workspace`);
    const sorted = found.sort((a, b) => (a.name < b.name ? -1 : 1)).slice(0, maxEntries);
    const entries = await Promise.all(
      sorted.map(async (entry): Promise<WorkspaceEntry> => {
        const type = entry.isFile() ? 'file' : entry.isDirectory() ? 'directory' : 'other';
        const bytes = type === 'file' ? (await stat(path.join(dir, entry.name))).size : 0;
        return { name: entry.name, type, bytes };
      }),
    );
    return { entries, truncated: found.length > maxEntries };
  }
}

const pathError = (relative: string, problem: string): ToolCallError =>
  new ToolCallError('ASTRA_TOOL_PATH_INVALID', `path ${JSON.stringify(relative)} ${problem}`, {
    path: relative,
  });
