import { z } from 'zod';
import { artifactUri } from '../../ports/artifacts.js';
import { JsonObject, Timestamp } from '../api/index.js';
import type { TaskArtifact } from './artifact-ledger.js';
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

/** An artifact a task stored, as the API lists it. */
export const TaskArtifactAnswer = z
  .object({
    uri: z.string(),
    sha256: z.string(),
    media_type: z.string(),
    size_bytes: z.number().int(),
    task_id: z.string(),
    goal_id: z.string(),
    agent_id: z.string(),
    created_at: Timestamp,
    expires_at: Timestamp.nullable(),
  })
  .meta({ id: 'TaskArtifact' });

export const TaskArtifactList = z.object({ task_id: z.string(), artifacts: z.array(TaskArtifactAnswer) });

export function taskArtifactAnswer(record: TaskArtifact): z.output<typeof TaskArtifactAnswer> {
  return {
    uri: artifactUri(record.sha256),
    sha256: record.sha256,
    media_type: record.mediaType,
    size_bytes: record.sizeBytes,
    task_id: record.taskId,
    goal_id: record.goalId,
    agent_id: record.agentId,
    created_at: record.createdAt,
    expires_at: record.expiresAt,
  };
}

/** `POST /execute`'s answer when the tool ran (or, with `dry_run`, would run). */
export const ExecuteAnswer = z
  .object({
    output: z.string(),
    exit_code: z.number().int(),
    duration_ms: z.number().int(),
    artifacts: z.array(z.string()),
    tool: z.string(),
    task_id: z.string(),
    dry_run: z.boolean(),
    approval_required: z.boolean().optional(),
  })
  .meta({ id: 'ExecuteResult' });

/** `POST /execute`'s answer when the call waits for approval. */
export const ExecutePending = z.object({
  status: z.enum(['pending_approval', 'queued']),
  approval_request_id: z.string().nullable(),
  approval_id: z.string().nullable(),
  goal_id: z.string(),
  /** Null while the plan itself waits (an agent that requires plan approval). */
  task_id: z.string().nullable(),
  tool: z.string(),
});
