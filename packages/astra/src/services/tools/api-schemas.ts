import { z } from 'zod';
import { JsonObject, Timestamp } from '../api/index.js';
import { FILESYSTEM_SCOPES, RISK_TIERS, SANDBOX_KINDS, SIDE_EFFECTS } from './manifest.js';
import type { ToolRecord } from './tool-store.js';

/** A registered tool version as the API answers it (the manifest, snake_case, and when it was registered). */
export const Tool = z
  .object({
    name: z.string(),
    version: z.string(),
    description: z.string(),
    input_schema: JsonObject,
    output_schema: JsonObject.nullable(),
    risk_tier: z.enum(RISK_TIERS),
    sandbox: z.enum(SANDBOX_KINDS),
    egress: z.array(z.object({ host: z.string(), port: z.number().int() })),
    filesystem: z.enum(FILESYSTEM_SCOPES),
    limits: z.object({
      wall_ms: z.number().int(),
      cpu_ms: z.number().int(),
      memory_mb: z.number().int(),
      output_bytes: z.number().int(),
    }),
    side_effect: z.enum(SIDE_EFFECTS),
    secrets: z.array(z.string()),
    metadata: JsonObject,
    created_at: Timestamp,
  })
  .meta({ id: 'Tool' });

export const ToolList = z.object({ tools: z.array(Tool) });
export const ToolVersions = z.object({ name: z.string(), versions: z.array(Tool) });
export const ToolRemoved = z.object({ name: z.string(), version: z.string(), deleted: z.literal(true) });

export function toolAnswer(tool: ToolRecord): z.output<typeof Tool> {
  return {
    name: tool.name,
    version: tool.version,
    description: tool.description,
    input_schema: tool.inputSchema,
    output_schema: tool.outputSchema,
    risk_tier: tool.riskTier,
    sandbox: tool.sandbox,
    egress: tool.egress.map((rule) => ({ host: rule.host, port: rule.port })),
    filesystem: tool.filesystem,
    limits: {
      wall_ms: tool.limits.wallMs,
      cpu_ms: tool.limits.cpuMs,
      memory_mb: tool.limits.memoryMb,
      output_bytes: tool.limits.outputBytes,
    },
    side_effect: tool.sideEffect,
    secrets: [...tool.secrets],
    metadata: tool.metadata,
    created_at: tool.createdAt,
  };
}
