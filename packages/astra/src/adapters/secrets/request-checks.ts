import { AstraError } from '../../errors/index.js';
import { SECRET_NAME, type SecretGetOptions } from '../../ports/secrets.js';

/** The checks every secret store makes before any I/O: a well-formed name and version. */
export function checkSecretRequest(name: string, options: SecretGetOptions | undefined): void {
  if (typeof name !== 'string' || !SECRET_NAME.test(name))
    throw new AstraError(
      'ASTRA_VALIDATION_FAILED',
      'a secret name is 1-128 lowercase letters, digits and _, starting with a letter',
      { details: { path: 'name' } },
    );
  const version = options?.version;
  if (version !== undefined && (!Number.isInteger(version) || version < 1))
    throw new AstraError('ASTRA_VALIDATION_FAILED', 'a secret version is a positive integer', {
      details: { path: 'version' },
    });
}

export function secretNotFound(name: string, version: number | undefined, reason?: string): AstraError {
  const what = version === undefined ? `secret ${name}` : `version ${version} of secret ${name}`;
  return new AstraError('ASTRA_SECRET_NOT_FOUND', `${what} ${reason ?? 'does not exist'}`, {
    details: { name, version: version ?? null },
  });
}
