import path from 'node:path';
import { readStoredAdminToken } from '../../app/admin-token.js';
import { AstraError } from '../../errors/index.js';

/**
 * Where the CLI finds its bearer token, first match wins:
 * 1. --token, then ASTRA_TOKEN, then ASTRA_ADMIN_TOKEN;
 * 2. with --data-dir: `<dir>/admin-token` only (the user named the server's directory);
 * 3. otherwise ASTRA_DATA_DIR's `admin-token`, then `.astra-data/admin-token` in the working
 *    directory and each directory above it, so commands work from anywhere inside a project.
 * Finding none is an error that says, in one line, every place looked at and what to do.
 * `source` names where the token came from, so a refused token can say which one it was.
 */
export interface Credential {
  readonly token: string;
  readonly source: string;
}

export interface CredentialInput {
  readonly token?: string | undefined;
  readonly dataDir?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** The file `astra up` writes in its data directory (app/admin-token.ts). */
const TOKEN_FILE = 'admin-token';
const DEFAULT_DATA_DIR = '.astra-data';

export async function findCredential(input: CredentialInput): Promise<Credential> {
  if (input.token !== undefined) return { token: input.token, source: '--token' };
  for (const name of ['ASTRA_TOKEN', 'ASTRA_ADMIN_TOKEN'] as const) {
    const value = input.env[name];
    if (value !== undefined && value !== '') return { token: value, source: name };
  }
  const dirs = candidateDirs(input);
  for (const dir of dirs) {
    const token = await readStoredAdminToken(dir);
    if (token !== undefined) return { token, source: path.join(dir, TOKEN_FILE) };
  }
  const files = dirs.map((dir) => path.join(dir, TOKEN_FILE));
  throw new AstraError(
    'ASTRA_CREDENTIAL_NOT_FOUND',
    `no API token: looked at --token, ASTRA_TOKEN, ASTRA_ADMIN_TOKEN and ${files.join(', ')}; run the command where \`astra up\` keeps its data (or below it), or pass --data-dir <dir> or --token <token>`,
    { details: { looked_at: ['--token', 'ASTRA_TOKEN', 'ASTRA_ADMIN_TOKEN', ...files].join(',') } },
  );
}

function candidateDirs(input: CredentialInput): string[] {
  if (input.dataDir !== undefined) return [path.resolve(input.cwd, input.dataDir)];
  const dirs: string[] = [];
  const fromEnv = input.env.ASTRA_DATA_DIR;
  if (fromEnv !== undefined && fromEnv !== '') dirs.push(path.resolve(input.cwd, fromEnv));
  for (let dir = path.resolve(input.cwd); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, DEFAULT_DATA_DIR);
    if (!dirs.includes(candidate)) dirs.push(candidate);
    if (path.dirname(dir) === dir) return dirs;
  }
}
