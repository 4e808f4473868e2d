import { chmod, lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/**
 * Takes group and other permissions off everything under `root` (symlinks are skipped, not
 * followed) and returns how many entries changed. The process umask (077) covers what Astra
 * creates; this covers what it does not: PGlite's initdb writes its files 0666 whatever the umask,
 * and a data dir made by an older Astra is 0755 with world-readable files. Entries of a directory
 * are visited concurrently (about 1,000 files in a fresh PGlite data dir).
 */
export async function restrictToOwner(root: string): Promise<number> {
  const visit = async (entry: string): Promise<number> => {
    const info = await lstat(entry);
    if (info.isSymbolicLink()) return 0;
    const own = (info.mode & 0o077) === 0 ? 0 : 1;
    if (own === 1) await chmod(entry, info.mode & 0o700);
    if (!info.isDirectory()) return own;
    const children = await Promise.all((await readdir(entry)).map((name) => visit(path.join(entry, name))));
    return children.reduce((sum, changed) => sum + changed, own);
  };
  return visit(root);
}
