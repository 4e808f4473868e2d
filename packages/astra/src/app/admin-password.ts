import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OWNER_ONLY_FILE_MODE } from './data-dir/ensure-data-dir.js';

/**
 * Where the first start leaves the super-admin's generated password: `<dataDir>/admin-password`,
 * mode 0600, never on standard output (terminal scrollback, CI logs and `astra up | tee` keep what
 * is printed). It is the initial password only: change it after the first login, then delete the file.
 */
export async function writeAdminPassword(dataDir: string, password: string): Promise<string> {
  const file = path.resolve(dataDir, 'admin-password');
  await writeFile(file, `${password}\n`, { mode: OWNER_ONLY_FILE_MODE });
  // A file left from an earlier data dir keeps its mode through writeFile: make it owner-only.
  await chmod(file, OWNER_ONLY_FILE_MODE);
  return file;
}
