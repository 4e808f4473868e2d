/**
 * Checks a sandbox request once, before anything starts, and compiles it into the form every
 * driver runs from: limits with defaults applied, file paths proven to stay inside their directory,
 * the environment the program will see (the request's plus the driver's fixed variables).
 */
import { AstraError } from '../../errors/index.js';
import {
  SANDBOX_EGRESS_SOCKET,
  SANDBOX_FILES_DIR,
  SANDBOX_SCRATCH_DIR,
  type SandboxEgress,
  type SandboxFile,
  type SandboxLimits,
  type SandboxProgram,
  type SandboxRequest,
  type SandboxWorkspace,
} from '../../ports/sandbox.js';

/** Limits a request gets for what it leaves out (drivers may be configured with others). */
export const SANDBOX_LIMIT_DEFAULTS: SandboxLimits = {
  wallTimeMs: 30_000,
  cpuTimeMs: 10_000,
  memoryBytes: 256 * 1024 * 1024,
  outputBytes: 1024 * 1024,
  processes: 32,
};

/** Variables the driver sets itself; a request may not set them. */
const FIXED_ENV = ['HOME', 'ASTRA_SCRATCH', 'ASTRA_FILES', 'ASTRA_EGRESS_SOCKET'] as const;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FILE_SEGMENT = /^[A-Za-z0-9._-]+$/;
const MAX_FILES = 64;

export interface ResolvedRequest<P extends SandboxProgram = SandboxProgram> {
  readonly program: P;
  readonly limits: SandboxLimits;
  /** The whole environment the program sees, fixed variables included. */
  readonly env: Readonly<Record<string, string>>;
  readonly files: readonly { readonly path: string; readonly content: Uint8Array }[];
  readonly egress: SandboxEgress | undefined;
  readonly workspace: SandboxWorkspace | undefined;
}

export function invalidRequest(message: string): AstraError {
  return new AstraError('ASTRA_SANDBOX_INVALID_REQUEST', message);
}

function resolveLimits(given: Partial<SandboxLimits> | undefined, defaults: SandboxLimits): SandboxLimits {
  const limits = { ...defaults, ...given };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0)
      throw invalidRequest(`limits.${name} must be a positive integer, got ${String(value)}`);
  }
  return limits;
}

function resolveFiles(files: readonly SandboxFile[] | undefined): ResolvedRequest['files'] {
  if (files === undefined) return [];
  if (files.length > MAX_FILES) throw invalidRequest(`at most ${MAX_FILES} files may be placed in a sandbox`);
  const seen = new Set<string>();
  return files.map((file) => {
    const segments = file.path.split('/');
    const bad = segments.some(
      (segment) => !FILE_SEGMENT.test(segment) || segment === '.' || segment === '..',
    );
    if (bad)
      throw invalidRequest(
        `file path ${JSON.stringify(file.path)} must be relative segments of [A-Za-z0-9._-]`,
      );
    if (seen.has(file.path)) throw invalidRequest(`file path ${JSON.stringify(file.path)} is given twice`);
    seen.add(file.path);
    const content = typeof file.content === 'string' ? new TextEncoder().encode(file.content) : file.content;
    return { path: file.path, content };
  });
}

function resolveEnv(
  env: Readonly<Record<string, string>> | undefined,
  egress: SandboxEgress | undefined,
): Record<string, string> {
  const resolved: Record<string, string> = { PATH: '/usr/local/bin:/usr/bin:/bin' };
  for (const [name, value] of Object.entries(env ?? {})) {
    if (!ENV_NAME.test(name))
      throw invalidRequest(`environment variable name ${JSON.stringify(name)} is not valid`);
    if ((FIXED_ENV as readonly string[]).includes(name))
      throw invalidRequest(`environment variable ${name} is set by the sandbox and may not be given`);
    if (typeof value !== 'string' || value.includes('\0'))
      throw invalidRequest(`environment variable ${name} must be a string without NUL bytes`);
    resolved[name] = value;
  }
  resolved.HOME = SANDBOX_SCRATCH_DIR;
  resolved.ASTRA_SCRATCH = SANDBOX_SCRATCH_DIR;
  resolved.ASTRA_FILES = SANDBOX_FILES_DIR;
  if (egress?.socketPath !== undefined) resolved.ASTRA_EGRESS_SOCKET = SANDBOX_EGRESS_SOCKET;
  return resolved;
}

/** Validates `request` for a driver that runs `kind` programs; throws ASTRA_SANDBOX_INVALID_REQUEST. */
export function resolveRequest<K extends SandboxProgram['kind']>(
  request: SandboxRequest,
  kind: K,
  defaults: SandboxLimits = SANDBOX_LIMIT_DEFAULTS,
): ResolvedRequest<Extract<SandboxProgram, { kind: K }>> {
  const program = request.program;
  if (program?.kind !== kind)
    throw invalidRequest(`this sandbox runs ${kind} programs, not ${String(program?.kind)}`);
  if (program.kind === 'process' && (program.argv.length === 0 || !program.argv[0]?.startsWith('/')))
    throw invalidRequest('argv[0] must be an absolute path inside the sandbox, such as /usr/bin/env');
  if (program.kind === 'javascript' && typeof program.source !== 'string')
    throw invalidRequest('a javascript program needs its source as a string');
  if (program.kind === 'wasm' && !(program.module instanceof Uint8Array))
    throw invalidRequest('a wasm program needs its module as bytes');
  const egress = request.egress;
  if (egress?.socketPath !== undefined && kind !== 'process')
    throw invalidRequest(
      'an egress socket is for process sandboxes; JavaScript programs are granted egress.fetch',
    );
  if (egress?.fetch !== undefined && kind !== 'javascript')
    throw invalidRequest(
      'egress.fetch is for JavaScript programs; process sandboxes are granted egress.socketPath',
    );
  const workspace = request.workspace;
  if (workspace !== undefined) {
    if (kind !== 'process') throw invalidRequest('a workspace is for process sandboxes');
    if (typeof workspace.dir !== 'string' || !workspace.dir.startsWith('/') || workspace.dir.includes('\0'))
      throw invalidRequest('workspace.dir must be an absolute host path');
    if (typeof workspace.writable !== 'boolean') throw invalidRequest('workspace.writable must be a boolean');
    for (const name of ['maxBytes', 'maxFiles'] as const) {
      const value = workspace[name];
      if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0))
        throw invalidRequest(`workspace.${name} must be a positive integer, got ${String(value)}`);
    }
  }
  return {
    program: program as Extract<SandboxProgram, { kind: K }>,
    workspace,
    limits: resolveLimits(request.limits, defaults),
    env: resolveEnv(request.env, egress),
    files: resolveFiles(request.files),
    egress,
  };
}
