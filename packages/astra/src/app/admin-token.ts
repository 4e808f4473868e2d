import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The API's bearer token: the configured one (ASTRA_ADMIN_TOKEN) when given; otherwise the one
 * stored in `<dataDir>/admin-token`, generated (32 random bytes, base64url) on first start and
 * written with mode 0600. `created` tells the caller to print it, once.
 */
export async function resolveAdminToken(
  dataDir: string,
  configured: string | undefined,
): Promise<{ token: string; created: boolean; file: string }> {
  const file = path.resolve(dataDir, 'admin-token');
  if (configured !== undefined) return { token: configured, created: false, file };
  try {
    const stored = (await readFile(file, 'utf8')).trim();
    if (stored.length >= 24) return { token: stored, created: false, file };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = randomBytes(32).toString('base64url');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return { token, created: true, file };
}

/** Reads the stored token for CLI commands that call the API; undefined when there is none. */
export async function readStoredAdminToken(dataDir: string): Promise<string | undefined> {
  try {
    const stored = (await readFile(path.resolve(dataDir, 'admin-token'), 'utf8')).trim();
    return stored.length > 0 ? stored : undefined;
  } catch {
    return undefined;
  }
}
