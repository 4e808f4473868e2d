import { z } from 'zod';
import { JsonObject, Timestamp, Uuid } from '../api/index.js';
import { EXPERIMENT_STATUSES, EXPERIMENT_SUBJECTS, type PromptExperiment } from './experiment-store.js';
import type { ExperimentReport } from './experiments.js';
import type { PromptVersion } from './template-store.js';

/** A template name: letters, digits and `_ . : -`, starting with a letter or digit; `experiments` is a route. */
export const PROMPT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
export const PromptName = z
  .string()
  .regex(PROMPT_NAME, 'letters, digits and _ . : -, starting with a letter or digit, at most 128')
  .refine((name) => name !== 'experiments', '"experiments" is reserved');
export const PromptVersionNumber = z.number().int().min(1).max(2_147_483_647);
const OrgId = z.uuid().optional().describe("The organization; default: the caller's only one.");

export const WritePromptBody = z.object({
  org_id: OrgId,
  name: PromptName,
  version: PromptVersionNumber,
  body: z.string().max(1_000_000),
  variables_schema: JsonObject.optional().describe(
    'JSON Schema of the variables; default {"type": "object"}.',
  ),
});

export const OrgQuery = z.object({ org_id: OrgId });

export const RenderBody = z.object({
  org_id: OrgId,
  variables: JsonObject.optional().describe('Default {}.'),
});

export const Prompt = z
  .object({
    org_id: Uuid,
    name: z.string(),
    version: z.number().int(),
    body: z.string(),
    variables_schema: JsonObject,
    created_by: z.string(),
    created_at: Timestamp,
  })
  .meta({ id: 'Prompt' });
export const PromptList = z.object({ prompts: z.array(Prompt) });
export const PromptVersions = z.object({ name: z.string(), versions: z.array(Prompt) });
export const PromptDeleted = z.object({
  name: z.string(),
  version: z.number().int(),
  deleted: z.literal(true),
});
export const Rendered = z.object({
  name: z.string(),
  version: z.number().int(),
  text: z.string(),
  tokens: z.number().int().describe('Tokens of the text (o200k).'),
});

export const promptAnswer = (p: PromptVersion): z.output<typeof Prompt> => ({
  org_id: p.orgId,
  name: p.name,
  version: p.version,
  body: p.body,
  variables_schema: p.variablesSchema,
  created_by: p.createdBy,
  created_at: p.createdAt,
});

export const Variant = z.object({
  version: PromptVersionNumber,
  weight: z.number().int().min(1).max(1_000_000),
});

export const StartExperimentBody = z.object({
  org_id: OrgId,
  prompt_name: PromptName,
  description: z.string().max(2000).optional(),
  subject: z.enum(EXPERIMENT_SUBJECTS).describe('Assign a variant per agent or per goal.'),
  variants: z
    .array(Variant)
    .min(2)
    .max(20)
    .refine((vs) => new Set(vs.map((v) => v.version)).size === vs.length, 'each version at most once'),
});

export const ListExperimentsQuery = z.object({
  org_id: OrgId,
  status: z.enum(EXPERIMENT_STATUSES).optional(),
  prompt_name: z.string().max(128).optional(),
});

export const Experiment = z
  .object({
    id: Uuid,
    org_id: Uuid,
    prompt_name: z.string(),
    description: z.string(),
    subject: z.enum(EXPERIMENT_SUBJECTS),
    variants: z.array(z.object({ version: z.number().int(), weight: z.number().int() })),
    status: z.enum(EXPERIMENT_STATUSES),
    created_by: z.string(),
    created_at: Timestamp,
    stopped_at: Timestamp.nullable(),
  })
  .meta({ id: 'PromptExperiment' });
export const ExperimentList = z.object({ experiments: z.array(Experiment) });

export const experimentAnswer = (e: PromptExperiment): z.output<typeof Experiment> => ({
  id: e.id,
  org_id: e.orgId,
  prompt_name: e.promptName,
  description: e.description,
  subject: e.subject,
  variants: e.variants.map((v) => ({ version: v.version, weight: v.weight })),
  status: e.status,
  created_by: e.createdBy,
  created_at: e.createdAt,
  stopped_at: e.stoppedAt,
});

export const Report = z.object({
  experiment: Experiment,
  variants: z.array(
    z.object({
      version: z.number().int(),
      weight: z.number().int(),
      assigned: z.number().int().describe('Subjects assigned to it.'),
      count: z.number().int().describe('Outcomes recorded.'),
      success_rate: z.number().nullable().describe('Successes over outcomes; null before any.'),
      mean_cost_usd: z.number().nullable(),
      mean_score: z.number().nullable(),
    }),
  ),
});

export const reportAnswer = (r: ExperimentReport): z.output<typeof Report> => ({
  experiment: experimentAnswer(r.experiment),
  variants: r.variants.map((v) => ({
    version: v.version,
    weight: v.weight,
    assigned: v.assigned,
    count: v.count,
    success_rate: v.successRate,
    mean_cost_usd: v.meanCostUsd,
    mean_score: v.meanScore,
  })),
});
