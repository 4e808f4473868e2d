import { constants } from 'node:fs';
import { access, chmod, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { dataDirError } from './data-dir-errors.js';

/** Owner-only: what every directory Astra creates under the data dir gets. */
export const OWNER_ONLY_DIR_MODE = 0o700;
export const OWNER_ONLY_FILE_MODE = 0o600;

/**
 * Creates the data dir (and missing parents) with mode 0700, tightens an existing one to 0700, and
 * checks this process may write in it. Returns its absolute path. Failures are one
 * ASTRA_DATA_DIR_UNWRITABLE naming the directory, the reason and what to do.
 */
export async function ensureDataDir(dataDir: string): Promise<string> {
  const absolute = path.resolve(dataDir);
  try {
    await mkdir(absolute, { recursive: true, mode: OWNER_ONLY_DIR_MODE });
    const info = await stat(absolute);
    if (!info.isDirectory())
      throw Object.assign(new Error(`${absolute} is not a directory`), { code: 'EEXIST' });
    if ((info.mode & 0o777) !== OWNER_ONLY_DIR_MODE) await chmod(absolute, OWNER_ONLY_DIR_MODE);
    await access(absolute, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw dataDirError(absolute, error);
  }
  return absolute;
}
