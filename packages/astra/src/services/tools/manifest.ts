import { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import { injectionsProblem } from './egress-grants.js';
import { compileSchema } from './json-schema.js';
import { codeProblem } from './tool-code.js';

/**
 * A tool's manifest: everything the runtime enforces about one version of a tool. A version is
 * immutable once registered (a different manifest is a new version), so a plan that named
 * `shell_exec@1.2.0` runs under exactly the manifest it was approved under.
 *
 * - `risk_tier` feeds approval policies (a tier may require people's approval before a call runs).
 * - `sandbox` is where the tool's code runs: `none` for built-in tools whose host code touches only
 *   what the runtime hands it (the goal's workspace, the egress proxy), or a sandbox driver;
 *   `remote` for a tool a remote worker serves (remote-tools.ts): it runs in that user's process.
 * - `egress`: the hosts (exact, or `*.suffix`) and ports a call may reach, through the egress proxy
 *   only; empty: no network.
 * - `filesystem`: `none`, `workspace_read` (the goal's workspace, read only) or `workspace`.
 * - `limits`: wall time, CPU time, memory and output per call.
 * - `side_effect`: `read_only`, `idempotent`, `compensatable` or `irreversible` — how the effect
 *   ledger treats a retry (an irreversible call never runs twice without a new approval).
 * - `secrets`: the names of the secrets a call receives (as files for that call only).
 */
export const RISK_TIERS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskTier = (typeof RISK_TIERS)[number];
export const SANDBOX_KINDS = [
  'none',
  'quickjs',
  'wasi',
  'bubblewrap',
  'docker',
  'browser',
  'mcp',
  'remote',
] as const;
export type SandboxKind = (typeof SANDBOX_KINDS)[number];
export const SIDE_EFFECTS = ['read_only', 'idempotent', 'compensatable', 'irreversible'] as const;
export type SideEffect = (typeof SIDE_EFFECTS)[number];
export const FILESYSTEM_SCOPES = ['none', 'workspace_read', 'workspace'] as const;
export type FilesystemScope = (typeof FILESYSTEM_SCOPES)[number];

/** Names are lower case; `:` and `.` group them (`browser:screenshot`, as upstream names it). */
export const TOOL_NAME = /^[a-z][a-z0-9_.:-]{0,63}$/;
/** Semantic versions, with an optional pre-release part. */
export const TOOL_VERSION = /^\d{1,9}\.\d{1,9}\.\d{1,9}(?:-[0-9A-Za-z.-]{1,32})?$/;

export interface ToolLimits {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly memoryMb: number;
  readonly outputBytes: number;
}

export interface EgressRule {
  readonly host: string;
  readonly port: number;
}

export interface ToolManifest {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
  readonly outputSchema: Record<string, unknown> | null;
  readonly riskTier: RiskTier;
  readonly sandbox: SandboxKind;
  readonly egress: readonly EgressRule[];
  readonly filesystem: FilesystemScope;
  readonly limits: ToolLimits;
  readonly sideEffect: SideEffect;
  readonly secrets: readonly string[];
  readonly metadata: Record<string, unknown>;
}

/** What a manifest gets when it leaves a limit out. */
export const DEFAULT_TOOL_LIMITS: ToolLimits = {
  wallMs: 30_000,
  cpuMs: 30_000,
  memoryMb: 256,
  outputBytes: 1024 * 1024,
};

/** The most any manifest may grant one call. */
export const MAX_TOOL_LIMITS: ToolLimits = {
  wallMs: 15 * 60_000,
  cpuMs: 15 * 60_000,
  memoryMb: 8192,
  outputBytes: 64 * 1024 * 1024,
};

/** A host an egress rule names: a DNS name (its first label may be `*`) or an IP address. */
const EGRESS_HOST =
  /^(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$|^\[?[0-9a-f:.]+\]?$/i;

const limit = (max: number) => z.number().int().min(1).max(max);
const JsonObject = z.record(z.string(), z.unknown());

/** A manifest as the API takes it (snake_case). */
export const ManifestInput = z
  .object({
    name: z.string().regex(TOOL_NAME, 'lower case letters, digits and _ . : -, starting with a letter'),
    version: z.string().regex(TOOL_VERSION, 'a semantic version such as 1.0.0'),
    description: z.string().max(2000).default(''),
    input_schema: JsonObject.default({ type: 'object' }),
    output_schema: JsonObject.nullable().default(null),
    risk_tier: z.enum(RISK_TIERS),
    sandbox: z.enum(SANDBOX_KINDS),
    egress: z
      .array(
        z
          .object({
            host: z.string().max(253).regex(EGRESS_HOST, 'a host name, *.suffix or an IP address'),
            port: z.number().int().min(1).max(65_535),
          })
          .strict(),
      )
      .max(100)
      .default([]),
    filesystem: z.enum(FILESYSTEM_SCOPES).default('none'),
    limits: z
      .object({
        wall_ms: limit(MAX_TOOL_LIMITS.wallMs).default(DEFAULT_TOOL_LIMITS.wallMs),
        cpu_ms: limit(MAX_TOOL_LIMITS.cpuMs).default(DEFAULT_TOOL_LIMITS.cpuMs),
        memory_mb: limit(MAX_TOOL_LIMITS.memoryMb).default(DEFAULT_TOOL_LIMITS.memoryMb),
        output_bytes: limit(MAX_TOOL_LIMITS.outputBytes).default(DEFAULT_TOOL_LIMITS.outputBytes),
      })
      .strict()
      .prefault({}),
    side_effect: z.enum(SIDE_EFFECTS),
    secrets: z
      .array(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a secret name: letters, digits and _'))
      .max(32)
      .default([]),
    metadata: JsonObject.default({}),
  })
  .strict();

/** The manifest a validated input describes; its schemas are checked to be valid JSON Schema. */
export function manifestOf(input: z.output<typeof ManifestInput>): ToolManifest {
  for (const [field, schema] of [
    ['input_schema', input.input_schema],
    ['output_schema', input.output_schema],
  ] as const) {
    if (schema === null) continue;
    const problem = compileSchema(schema).problem;
    if (problem !== null)
      throw new AstraError('ASTRA_VALIDATION_FAILED', `body.${field}: not a usable JSON Schema: ${problem}`, {
        details: { path: `body.${field}`, reason: problem },
      });
  }
  const manifest: ToolManifest = {
    name: input.name,
    version: input.version,
    description: input.description,
    inputSchema: input.input_schema,
    outputSchema: input.output_schema,
    riskTier: input.risk_tier,
    sandbox: input.sandbox,
    egress: input.egress.map((rule) => ({ host: rule.host.toLowerCase(), port: rule.port })),
    filesystem: input.filesystem,
    limits: {
      wallMs: input.limits.wall_ms,
      cpuMs: input.limits.cpu_ms,
      memoryMb: input.limits.memory_mb,
      outputBytes: input.limits.output_bytes,
    },
    sideEffect: input.side_effect,
    secrets: input.secrets,
    metadata: input.metadata,
  };
  const code = codeProblem(manifest);
  if (code !== null)
    throw new AstraError('ASTRA_VALIDATION_FAILED', `body.metadata.${code.path} ${code.reason}`, {
      details: { path: `body.metadata.${code.path}`, reason: code.reason },
    });
  const injections = injectionsProblem(manifest);
  if (injections !== null)
    throw new AstraError('ASTRA_VALIDATION_FAILED', `body.${injections}`, {
      details: { path: 'body.metadata.egress_inject', reason: injections },
    });
  return manifest;
}

/** A reference to a tool in a plan or an allow-list: `name`, `name@version`. */
export interface ToolRef {
  readonly name: string;
  /** null: the newest registered version. */
  readonly version: string | null;
}

/** Parses `name` or `name@version`; null when it is neither. */
export function parseToolRef(ref: string): ToolRef | null {
  const at = ref.lastIndexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  const version = at < 0 ? null : ref.slice(at + 1);
  if (!TOOL_NAME.test(name)) return null;
  if (version !== null && !TOOL_VERSION.test(version)) return null;
  return { name, version };
}
