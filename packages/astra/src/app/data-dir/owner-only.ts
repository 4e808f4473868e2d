import { chmod, lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * What Astra keeps in a data dir. Only these are tightened: a data dir pointed at a directory that
 * holds other things (`--data-dir .`) must not have the permissions of those things changed.
 */
export const ASTRA_DATA_DIR_ENTRIES: readonly string[] = [
  'pglite',
  'lock',
  'admin-token',
  'admin-password',
  'key-encryption-key',
];

/**
 * Takes group and other permissions off the named entries of `root` and everything under them
 * (symlinks are skipped, not followed; missing entries are fine) and returns how many changed.
 * The process umask (077) covers what Astra creates; this covers what it does not: PGlite's initdb
 * writes its files 0666 whatever the umask, and a data dir made by an older Astra is 0755 with
 * world-readable files. Entries are visited concurrently (a fresh PGlite data dir has ~1,000 files).
 */
export async function restrictToOwner(root: string, entries: readonly string[]): Promise<number> {
  const visit = async (entry: string): Promise<number> => {
    const info = await lstat(entry).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (info === null || info.isSymbolicLink()) return 0;
    const own = (info.mode & 0o077) === 0 ? 0 : 1;
    if (own === 1) await chmod(entry, info.mode & 0o700);
    if (!info.isDirectory()) return own;
    const children = await Promise.all((await readdir(entry)).map((name) => visit(path.join(entry, name))));
    return children.reduce((sum, changed) => sum + changed, own);
  };
  const changed = await Promise.all(entries.map((name) => visit(path.join(root, name))));
  return changed.reduce((sum, count) => sum + count, 0);
}
