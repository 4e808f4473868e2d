/**
 * Per-run host directories: `<root>/<random>/scratch`, created empty for each run and removed with
 * everything in it when the run ends. The root is 0711 (others may pass through, never list it); a
 * run's directory is 0700 and, when runs have their own host uid, owned by that uid alone.
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface RunDir {
  readonly dir: string;
  readonly scratch: string;
  remove(): Promise<void>;
}

export const DEFAULT_SANDBOX_ROOT = path.join(os.tmpdir(), 'astra-sandboxes');

export async function createRunDir(root: string, owner?: number): Promise<RunDir> {
  await mkdir(root, { recursive: true, mode: 0o711 });
  await chmod(root, 0o711);
  const dir = path.join(root, randomBytes(9).toString('base64url'));
  const scratch = path.join(dir, 'scratch');
  await mkdir(dir, { mode: 0o700 });
  await mkdir(scratch, { mode: 0o700 });
  if (owner !== undefined) {
    await chown(dir, owner, owner);
    await chown(scratch, owner, owner);
  }
  return { dir, scratch, remove: () => rm(dir, { recursive: true, force: true, maxRetries: 3 }) };
}
