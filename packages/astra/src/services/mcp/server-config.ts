import { z } from 'zod';
import { SECRET_NAME } from '../../ports/secrets.js';
import { MAX_TOOL_LIMITS, RISK_TIERS, type RiskTier, SIDE_EFFECTS, type SideEffect } from '../tools/index.js';

/**
 * An MCP server as Astra knows it: its name (the middle part of its tools' names,
 * `mcp.<server>.<tool>`), how to reach it, and what its tools' manifests default to.
 *
 * - `stdio`: Astra starts `command` with `args` as a child process of the node that calls it and
 *   speaks MCP over its stdin/stdout. The child gets a small default environment (HOME, LOGNAME,
 *   PATH, SHELL, TERM, USER), then `env` (plain values, shown to admins: no secrets there), then
 *   `env_secrets` (variable → secret name, read from the secrets store when the child starts).
 *   The child runs on the host with the node's user and rights — no sandbox — which is why only
 *   platform admins may register one.
 * - `http`: Streamable HTTP at `url`; `headers` name, per header, the secret whose value (after an
 *   optional `prefix` such as `Bearer `) is sent, read from the secrets store when connecting.
 * - `risk_tier`, `side_effect`: the defaults of every tool's manifest, overriding what the MCP
 *   annotations suggest (tool-manifests.ts); `tools` overrides them per MCP tool name.
 * - `timeout_ms`: the wall time of one call (the manifest's `limits.wall_ms`).
 */
export const MCP_SERVER_NAME = /^[a-z][a-z0-9_-]{0,31}$/;
export const MCP_TRANSPORTS = ['stdio', 'http'] as const;
export type McpTransport = (typeof MCP_TRANSPORTS)[number];

export interface StdioConnection {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly envSecrets: Readonly<Record<string, string>>;
  /** The child's working directory (default: the node's). */
  readonly cwd: string | null;
}

export interface HeaderSecret {
  readonly secret: string;
  readonly prefix: string;
}

export interface HttpConnection {
  readonly url: string;
  readonly headers: Readonly<Record<string, HeaderSecret>>;
}

export interface ToolOverride {
  readonly riskTier?: RiskTier;
  readonly sideEffect?: SideEffect;
}

export interface ToolDefaults extends ToolOverride {
  readonly timeoutMs?: number;
  readonly tools: Readonly<Record<string, ToolOverride>>;
}

export type McpServerSpec =
  | { readonly name: string; readonly transport: 'stdio'; readonly stdio: StdioConnection }
  | { readonly name: string; readonly transport: 'http'; readonly http: HttpConnection };

export interface McpServerRecord {
  readonly spec: McpServerSpec;
  readonly toolDefaults: ToolDefaults;
  /** The Astra tool names the last listing registered. */
  readonly tools: readonly string[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly refreshedAt: string | null;
}

const ENV_NAME = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'an environment variable name');
const HEADER_NAME = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, 'an HTTP header name');
const SecretName = z.string().regex(SECRET_NAME, 'a secret name: lower case letters, digits and _');

const Override = z
  .object({ risk_tier: z.enum(RISK_TIERS).optional(), side_effect: z.enum(SIDE_EFFECTS).optional() })
  .strict();

const Defaults = {
  risk_tier: z.enum(RISK_TIERS).optional(),
  side_effect: z.enum(SIDE_EFFECTS).optional(),
  timeout_ms: z.number().int().min(1).max(MAX_TOOL_LIMITS.wallMs).optional(),
  tools: z.record(z.string().max(128), Override).default({}),
};

/** A registration as the API takes it (`POST /mcp/servers`). */
export const McpServerInput = z.discriminatedUnion('transport', [
  z
    .object({
      name: z.string().regex(MCP_SERVER_NAME, 'lower case letters, digits, _ and -, starting with a letter'),
      transport: z.literal('stdio'),
      command: z.string().min(1).max(4096),
      args: z.array(z.string().max(4096)).max(256).default([]),
      env: z.record(ENV_NAME, z.string().max(32_768)).default({}),
      env_secrets: z.record(ENV_NAME, SecretName).default({}),
      cwd: z.string().min(1).max(4096).optional(),
      ...Defaults,
    })
    .strict(),
  z
    .object({
      name: z.string().regex(MCP_SERVER_NAME, 'lower case letters, digits, _ and -, starting with a letter'),
      transport: z.literal('http'),
      url: z
        .string()
        .max(4096)
        .refine(
          (value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol),
          'an http(s) URL',
        ),
      headers: z
        .record(
          HEADER_NAME,
          z.object({ secret: SecretName, prefix: z.string().max(64).default('') }).strict(),
        )
        .default({}),
      ...Defaults,
    })
    .strict(),
]);
export type McpServerInput = z.output<typeof McpServerInput>;

/** The spec and tool defaults a validated registration describes. */
export function serverOf(input: McpServerInput): { spec: McpServerSpec; toolDefaults: ToolDefaults } {
  const toolDefaults: ToolDefaults = {
    ...(input.risk_tier === undefined ? {} : { riskTier: input.risk_tier }),
    ...(input.side_effect === undefined ? {} : { sideEffect: input.side_effect }),
    ...(input.timeout_ms === undefined ? {} : { timeoutMs: input.timeout_ms }),
    tools: Object.fromEntries(
      Object.entries(input.tools).map(([tool, override]) => [
        tool,
        {
          ...(override.risk_tier === undefined ? {} : { riskTier: override.risk_tier }),
          ...(override.side_effect === undefined ? {} : { sideEffect: override.side_effect }),
        },
      ]),
    ),
  };
  if (input.transport === 'stdio')
    return {
      spec: {
        name: input.name,
        transport: 'stdio',
        stdio: {
          command: input.command,
          args: input.args,
          env: input.env,
          envSecrets: input.env_secrets,
          cwd: input.cwd ?? null,
        },
      },
      toolDefaults,
    };
  return {
    spec: {
      name: input.name,
      transport: 'http',
      http: {
        url: input.url,
        headers: Object.fromEntries(
          Object.entries(input.headers).map(([header, value]) => [
            header,
            { secret: value.secret, prefix: value.prefix },
          ]),
        ),
      },
    },
    toolDefaults,
  };
}
