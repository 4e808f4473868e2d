/**
 * A process sandbox's workspace, as a copy (ports/sandbox.ts, `workspace`): the host directory is
 * never mounted into the sandbox. `copyIn` copies its regular files and directories into the run's
 * own directory (owned by the run's host uid when runs have one) and remembers what it copied;
 * `copyOut` finds what the program changed in the copy and applies it back to the host directory.
 *
 * Why a copy: the host workspace sits under Astra's owner-only data dir, which a run's own host uid
 * cannot traverse (and must not: the data dir holds keys); and a live mount would let the program
 * race Astra's own file operations there (swap a directory for a link while Astra writes). The
 * copy is made and read back by Astra after the program is gone, never following a link.
 *
 * Change detection compares each copied file's inode, size, mtime and ctime (a program can set
 * mtime back, never ctime). Applying back, per entry, last writer wins:
 * - a regular file that is new or changed is written to the host (a temporary file renamed over
 *   the old one, 0600, or 0700 when the program left it executable by its owner);
 * - a file that was copied in and is gone from the copy is removed from the host — unless the host
 *   file changed meanwhile (another task wrote it), then it is kept;
 * - a new directory is made; a directory that was copied in and is gone is removed when empty;
 * - links, devices, sockets and fifos the program made are not copied back.
 * Over `maxBytes` or `maxFiles`, either way, nothing is applied (WorkspaceLimitError).
 */
import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { chown, lstat, mkdir, open, readdir, rename, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { SandboxWorkspace, SandboxWorkspaceChanges } from '../../ports/sandbox.js';

export const WORKSPACE_COPY_DEFAULTS = { maxBytes: 256 * 1024 * 1024, maxFiles: 10_000 } as const;

export class WorkspaceLimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkspaceLimitError';
  }
}

interface Seen {
  readonly ino: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

const seen = (info: Stats): Seen => ({
  ino: info.ino,
  size: info.size,
  mtimeMs: info.mtimeMs,
  ctimeMs: info.ctimeMs,
});
const same = (a: Seen, b: Stats): boolean =>
  a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;

export interface WorkspaceCopy {
  /** The copy's host path (bind it at SANDBOX_WORKSPACE_DIR). */
  readonly dir: string;
  /** Applies the program's changes back to the host directory (writable workspaces only). */
  copyOut(): Promise<SandboxWorkspaceChanges>;
}

interface Budget {
  bytes: number;
  entries: number;
  readonly maxBytes: number;
  readonly maxFiles: number;
  readonly direction: 'in' | 'out';
}

function spend(budget: Budget, bytes: number): void {
  budget.bytes += bytes;
  budget.entries += 1;
  const what = budget.direction === 'in' ? 'The workspace holds' : 'The program changed';
  if (budget.entries > budget.maxFiles)
    throw new WorkspaceLimitError(`${what} more than ${budget.maxFiles} files and directories.`);
  if (budget.bytes > budget.maxBytes)
    throw new WorkspaceLimitError(`${what} more than ${budget.maxBytes} bytes of files.`);
}

/** Opens a regular file without following a link; null when it is not one (any more). */
async function openRegular(
  file: string,
): Promise<{ fd: Awaited<ReturnType<typeof open>>; info: Stats } | null> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    () => null,
  );
  if (handle === null) return null;
  const info = await handle.stat();
  if (!info.isFile()) {
    await handle.close();
    return null;
  }
  return { fd: handle, info };
}

/**
 * Copies the open file's bytes to `target` (created exclusively), at most `size` bytes, owned by
 * `owner` when given; answers the written file's own status (after the owner change, so its ctime
 * is the one later compared).
 */
async function copyFrom(
  source: Awaited<ReturnType<typeof open>>,
  target: string,
  mode: number,
  size: number,
  owner?: number,
): Promise<Stats> {
  const out = await open(
    target,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    mode,
  );
  try {
    const buffer = Buffer.allocUnsafe(Math.min(Math.max(size, 1), 1024 * 1024));
    let position = 0;
    while (position < size) {
      const { bytesRead } = await source.read(buffer, 0, Math.min(buffer.length, size - position), position);
      if (bytesRead === 0) break;
      await out.write(buffer, 0, bytesRead);
      position += bytesRead;
    }
    if (owner !== undefined) await out.chown(owner, owner);
    return await out.stat();
  } finally {
    await out.close();
  }
}

/** Runs file copies a few at a time (the thread pool does the I/O); `drain` waits for them all. */
class CopyPool {
  readonly #running = new Set<Promise<void>>();
  #failure: unknown;

  constructor(private readonly width: number) {}

  async add(work: () => Promise<void>): Promise<void> {
    while (this.#running.size >= this.width) await Promise.race(this.#running);
    if (this.#failure !== undefined) throw this.#failure;
    const task: Promise<void> = work()
      .catch((error: unknown) => {
        this.#failure ??= error;
      })
      .finally(() => this.#running.delete(task));
    this.#running.add(task);
  }

  async drain(): Promise<void> {
    await Promise.all(this.#running);
    if (this.#failure !== undefined) throw this.#failure;
  }
}

const COPY_WIDTH = 16;

const modeOf = (info: Stats): number => (info.mode & 0o100 ? 0o700 : 0o600);

export async function copyIn(
  workspace: SandboxWorkspace,
  runDir: string,
  owner: number | undefined,
): Promise<WorkspaceCopy> {
  const host = path.resolve(workspace.dir);
  const copy = path.join(runDir, 'workspace');
  const limits = {
    maxBytes: workspace.maxBytes ?? WORKSPACE_COPY_DEFAULTS.maxBytes,
    maxFiles: workspace.maxFiles ?? WORKSPACE_COPY_DEFAULTS.maxFiles,
  };
  const budget: Budget = { bytes: 0, entries: 0, ...limits, direction: 'in' };
  /** What the copy held after copy-in, and what the host held, by relative path. */
  const files = new Map<string, { copy: Seen; host: Seen }>();
  const dirs = new Set<string>();
  const own = async (target: string): Promise<void> => {
    if (owner !== undefined) await chown(target, owner, owner);
  };

  await mkdir(copy, { mode: 0o700 });
  await own(copy);
  const pool = new CopyPool(COPY_WIDTH);
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(path.join(host, relative), { withFileTypes: true });
    for (const entry of entries) {
      const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const source = path.join(host, rel);
      const target = path.join(copy, rel);
      if (entry.isDirectory()) {
        const info = await lstat(source);
        if (!info.isDirectory()) continue;
        spend(budget, 0);
        await mkdir(target, { mode: 0o700 });
        await own(target);
        dirs.add(rel);
        await walk(rel);
      } else if (entry.isFile()) {
        await pool.add(async () => {
          const opened = await openRegular(source);
          if (opened === null) return;
          try {
            spend(budget, opened.info.size);
            const written = await copyFrom(opened.fd, target, modeOf(opened.info), opened.info.size, owner);
            files.set(rel, { copy: seen(written), host: seen(opened.info) });
          } finally {
            await opened.fd.close();
          }
        });
      }
      // Links, sockets, devices and fifos stay out of the copy.
    }
  };
  try {
    await walk('');
  } finally {
    // Every copy started has ended (or failed) before the run, or its removal, goes on.
    await pool.drain();
  }

  return {
    dir: copy,
    copyOut: () => applyBack(host, copy, files, dirs, limits),
  };
}

interface Plan {
  readonly write: { rel: string; size: number; mode: number }[];
  readonly makeDirs: string[];
  readonly present: Set<string>;
  readonly presentDirs: Set<string>;
}

async function applyBack(
  host: string,
  copy: string,
  files: ReadonlyMap<string, { copy: Seen; host: Seen }>,
  dirs: ReadonlySet<string>,
  limits: { maxBytes: number; maxFiles: number },
): Promise<SandboxWorkspaceChanges> {
  const budget: Budget = { bytes: 0, entries: 0, ...limits, direction: 'out' };
  const plan: Plan = { write: [], makeDirs: [], present: new Set(), presentDirs: new Set() };
  // First the whole change set, within the limits, before anything is applied.
  const walk = async (relative: string): Promise<void> => {
    const entries = await readdir(path.join(copy, relative), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const info = await lstat(path.join(copy, rel)).catch(() => null);
      if (info === null) continue;
      if (info.isDirectory()) {
        plan.presentDirs.add(rel);
        if (!dirs.has(rel)) {
          spend(budget, 0);
          plan.makeDirs.push(rel);
        }
        await walk(rel);
      } else if (info.isFile()) {
        plan.present.add(rel);
        const before = files.get(rel);
        if (before !== undefined && same(before.copy, info)) continue;
        spend(budget, info.size);
        plan.write.push({ rel, size: info.size, mode: modeOf(info) });
      }
    }
  };
  await walk('');

  const written: string[] = [];
  const removed: string[] = [];
  for (const rel of plan.makeDirs) await ensureDir(host, rel);
  // Parent directories first, one at a time (two writes never race to make one), then the files.
  const parents = new Map<string, boolean>();
  for (const change of plan.write) {
    const parent = path.posix.dirname(change.rel);
    if (!parents.has(parent)) parents.set(parent, await ensureDir(host, parent));
  }
  const pool = new CopyPool(COPY_WIDTH);
  for (const change of plan.write) {
    if (parents.get(path.posix.dirname(change.rel)) !== true) continue;
    await pool.add(async () => {
      const opened = await openRegular(path.join(copy, change.rel));
      if (opened === null) return;
      try {
        const target = path.join(host, change.rel);
        const existing = await lstat(target).catch(() => null);
        if (existing !== null && !existing.isFile()) return;
        const temporary = `${target}.astra-${randomBytes(6).toString('hex')}.tmp`;
        await copyFrom(opened.fd, temporary, change.mode, Math.min(change.size, opened.info.size));
        await rename(temporary, target);
        written.push(change.rel);
      } finally {
        await opened.fd.close();
      }
    });
  }
  await pool.drain();
  written.sort();
  for (const [rel, before] of files) {
    if (plan.present.has(rel)) continue;
    const target = path.join(host, rel);
    const now = await lstat(target).catch(() => null);
    // Removed in the sandbox: removed here too, unless someone else changed the host file since.
    if (now?.isFile() && same(before.host, now)) {
      await unlink(target);
      removed.push(rel);
    }
  }
  // Directories the program removed, deepest first, when nothing is left in them.
  for (const rel of [...dirs].sort((a, b) => b.length - a.length)) {
    if (plan.presentDirs.has(rel)) continue;
    if (
      await rmdir(path.join(host, rel)).then(
        () => true,
        () => false,
      )
    )
      removed.push(`${rel}/`);
  }
  return { written, removed };
}

/** Makes `rel`'s directories under `host`, refusing any that exists as something else (a link). */
async function ensureDir(host: string, rel: string): Promise<boolean> {
  if (rel === '.' || rel === '') return true;
  let at = host;
  for (const segment of rel.split('/')) {
    at = path.join(at, segment);
    const info = await lstat(at).catch(() => null);
    if (info === null) await mkdir(at, { mode: 0o700 });
    else if (!info.isDirectory()) return false;
  }
  return true;
}
