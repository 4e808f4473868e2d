import { z } from 'zod';
import { JsonObject, Timestamp, Uuid } from '../api/index.js';
import { DOC_TYPES } from './document-store.js';

const agentFields = {
  id: Uuid,
  name: z.string(),
  actor_type: z.string(),
  status: z.enum(['active', 'stopped', 'error']),
  system_prompt: z.string().nullable(),
  config: JsonObject,
  chat_capable: z.boolean(),
  tags: z.array(z.string()),
  priority: z.number().int(),
  org_id: Uuid,
  team_id: Uuid.nullable(),
  owner_user_id: Uuid.nullable(),
  visibility: z.enum(['global', 'public', 'team', 'private']),
  created_at: Timestamp,
  updated_at: Timestamp,
};

export const Agent = z.object(agentFields).meta({ id: 'Agent' });

const profileFields = {
  ...agentFields,
  slack_notifications_enabled: z.boolean(),
  ingest_source_type: z.enum(['redis_pubsub', 'gcp_pubsub', 'websocket']).nullable(),
  ingest_source_config: JsonObject,
  drain_mode: z.boolean(),
  drain_started_at: Timestamp.nullable(),
  max_concurrent_goals: z.number().int().nullable(),
  daily_token_budget: z.number().int().nullable(),
  allowed_tools: z.array(z.string()).nullable(),
  metadata: JsonObject,
};

export const AgentProfile = z
  .object(profileFields)
  .meta({ id: 'AgentProfile', description: 'An agent with its platform settings.' });

export const AgentProfileWithUsage = z.object({
  ...profileFields,
  tokens_used_today: z.number().int().meta({ description: 'Tokens used today (UTC).' }),
});

export const AgentCreated = z.object({
  id: Uuid.meta({ description: "The agent's id (upstream name)." }),
  actor_id: Uuid.meta({ description: "The agent's id (its actor's)." }),
  agent: Agent,
});
export const AgentList = z.object({ agents: z.array(Agent) });

export const AgentEvent = z
  .object({
    id: z.number().int(),
    type: z.string(),
    task_id: Uuid.nullable(),
    payload: JsonObject,
    created_at: Timestamp,
  })
  .meta({ id: 'AgentEvent' });
export const AgentEvents = z.object({
  events: z.array(AgentEvent),
  next_since: z.number().int().meta({ description: 'Pass as `since` for the next page.' }),
});

export const AgentDocument = z
  .object({
    id: Uuid,
    agent_id: Uuid,
    goal_id: Uuid.nullable(),
    doc_type: z.enum(DOC_TYPES as [string, ...string[]]),
    name: z.string(),
    content: z.string().nullable(),
    uri: z.string().nullable(),
    metadata: JsonObject,
    priority: z.number().int(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'AgentDocument' });
export const AgentDocumentList = z.object({ documents: z.array(AgentDocument) });

export const Revision = z
  .object({
    id: Uuid,
    agent_id: Uuid,
    revision: z.number().int(),
    payload: z.object({ system_prompt: z.string().nullable().optional(), config: JsonObject.optional() }),
    created_by: z.string().nullable(),
    created_at: Timestamp,
    active: z.boolean(),
  })
  .meta({ id: 'Revision', description: "A saved version of an agent's prompt and config." });
export const RevisionList = z.object({ revisions: z.array(Revision) });
export const RevisionActivated = z.object({ agent_id: Uuid, active_config_revision: z.number().int() });
