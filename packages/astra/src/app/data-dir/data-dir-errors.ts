import { AstraError } from '../../errors/index.js';

/** What a failed file operation in the data dir means to the person starting Astra. */
const REASONS: Readonly<Record<string, string>> = {
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'it exists and is not a directory',
  EISDIR: 'a directory stands where a file is expected',
  EACCES: 'this user may not write there',
  EPERM: 'this user may not write there',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
};

/**
 * ASTRA_DATA_DIR_UNWRITABLE for an operating-system error met while creating or writing the data
 * dir; anything else is returned unchanged.
 */
export function dataDirError(dataDir: string, error: unknown): unknown {
  if (error instanceof AstraError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === undefined ? undefined : REASONS[code];
  if (reason === undefined) return error;
  return new AstraError(
    'ASTRA_DATA_DIR_UNWRITABLE',
    `cannot use ${dataDir} as the data dir: ${reason} (${code}); give --data-dir (ASTRA_DATA_DIR) a directory this user can write`,
    { details: { dataDir, errno: code ?? null }, cause: error },
  );
}
