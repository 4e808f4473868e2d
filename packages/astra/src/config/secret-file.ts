import { readFileSync } from 'node:fs';
import { AstraError } from '../errors/index.js';

/**
 * Reads a secret setting's value from the file its file form names (`--admin-password-file`,
 * `ASTRA_ADMIN_PASSWORD_FILE`…): the whole file, less one trailing newline. Errors name the
 * setting, where the path came from and the path — never the content.
 */
export function readSecretFile(key: string, file: unknown, where: string): string {
  if (typeof file !== 'string' || file.trim() === '')
    throw new AstraError('ASTRA_CONFIG_INVALID', `invalid ${key} (from ${where}): must name a file`, {
      details: { setting: key, source: where },
    });
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new AstraError('ASTRA_CONFIG_INVALID', `cannot read ${key} from ${file} (${where}): ${code}`, {
      details: { setting: key, source: where, file },
      cause,
    });
  }
  const value = content.replace(/\r?\n$/, '');
  if (value === '')
    throw new AstraError('ASTRA_CONFIG_INVALID', `${file} (${where}) is empty; it should hold ${key}`, {
      details: { setting: key, source: where, file },
    });
  return value;
}
