import { AstraApiError, AstraClient } from '@astra/sdk';
import { type Command, Option } from 'commander';
import type { CliContext } from './context.js';
import { type Credential, findCredential } from './credentials.js';

/**
 * How client commands reach a running Astra: --url (ASTRA_URL, default http://127.0.0.1:8080) and
 * a token found by credentials.ts. `withClient` runs a command's work with a client and turns the
 * server's 401 into a line that says which token was refused and what to do.
 */
export interface ClientFlags {
  url?: string;
  token?: string;
  dataDir?: string;
}

export function withClientOptions(command: Command): Command {
  return command
    .addOption(new Option('--url <url>', 'Astra server URL [ASTRA_URL] (default http://127.0.0.1:8080)'))
    .addOption(
      new Option(
        '--token <token>',
        'API bearer token [ASTRA_TOKEN] (default: the admin token `astra up` stored)',
      ),
    )
    .addOption(
      new Option(
        '--data-dir <dir>',
        'where `astra up` stored its token [ASTRA_DATA_DIR] (default: .astra-data here or in a parent directory)',
      ),
    );
}

export async function withClient<T>(
  context: CliContext,
  flags: ClientFlags,
  work: (client: AstraClient) => Promise<T>,
): Promise<T> {
  const baseUrl =
    flags.url ?? context.env.ASTRA_URL ?? `http://127.0.0.1:${context.env.ASTRA_PORT ?? '8080'}`;
  const credential = await findCredential({
    token: flags.token,
    dataDir: flags.dataDir,
    env: context.env,
    cwd: process.cwd(),
  });
  const client = new AstraClient({ baseUrl, token: credential.token, timeoutMs: 30_000 });
  try {
    return await work(client);
  } catch (error) {
    throw error instanceof AstraApiError && error.status === 401 ? refused(error, credential) : error;
  }
}

/** The server's code decides; servers that answer only a message are matched on its wording. */
function refused(error: AstraApiError, credential: Credential): AstraApiError {
  const expired = error.code === 'ASTRA_AUTH_TOKEN_EXPIRED' || /\bexpired\b/i.test(error.message);
  const message = expired
    ? `the token from ${credential.source} expired: log in again for a new one (POST /login, or \`auth/refresh\` with the refresh token) or use the admin token`
    : `the server refused the token from ${credential.source} (${error.message}): check it belongs to this server (--url) and is not revoked, or pass another with --token`;
  return new AstraApiError(401, {
    code: error.code,
    message,
    retryable: false,
    details: { ...error.details, token_source: credential.source },
  });
}
