import type { JsonValue, PayloadIssue, TaskHandler } from '../../../kernel/index.js';
import { TaskError } from '../../../kernel/index.js';
import type { SqlStore } from '../../../ports/sql-store.js';
import { MEMORY_DEFAULTS } from '../memory-defaults.js';
import { normalizeMemoryText } from '../memory-text.js';
import type { SemanticMemory } from '../semantic-memory.js';
import { goalMaterialText, readGoalMaterial } from './goal-material.js';
import { MEMORY_TASK_DEFAULTS } from './task-defaults.js';
import { callForTask, canCallModel, type MemoryModel, orgOfTask } from './task-model.js';

/**
 * The `reflect` task type: facts an agent should remember, taken from what a goal did, written to
 * its semantic memory with their provenance (`source_task_id`: this task; `source_goal_id`: the
 * goal reflected on).
 *
 * Payload (one source, all optional): `goal_id` (a goal of the task's agent: its tasks, results
 * and errors), `from` (any value, usually a `$from` reference to earlier tasks' results), `text`,
 * or `facts` (candidate facts already extracted: strings or `{content, confidence}`; no model
 * call); none of them: the results of the task's dependencies, or, with none, its own goal so far.
 * Also `max_facts` (1–100, default 20) and `min_confidence` (0–1, default 0.5).
 *
 * Extraction is one call through the router under a JSON schema (`{facts: [{content,
 * confidence}]}`), attributed to this task. Then, before anything more reaches a model: facts
 * under min_confidence, empty, too long or repeated within the answer (same normalised text) are
 * skipped, and each other fact goes through semantic memory's dedup (exact hash, normalised text,
 * embedding threshold), so only an ambiguous pair reaches the dedup judge, when there is one.
 *
 * Result: `{goal_id, written: [{id, content, confidence, superseded}], merged: [{content, into,
 * tier}], skipped: [{content, reason}], extraction: {model, tokens_in, tokens_out, cost_dollars}
 * | null}`; reason is `low_confidence`, `repeated`, `invalid` or `over_limit`.
 */
export interface ReflectTaskOptions extends MemoryModel {
  readonly store: SqlStore;
  readonly memory: SemanticMemory;
}

const FIELDS = new Set(['goal_id', 'from', 'text', 'facts', 'max_facts', 'min_confidence']);
const SOURCES = ['goal_id', 'from', 'text', 'facts'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_FACTS = 100;

const isObject = (v: unknown): v is { [key: string]: JsonValue } =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isReference = (v: unknown): boolean => isObject(v) && '$from' in v;

export function checkReflectPayload(payload: JsonValue): PayloadIssue | null {
  if (payload === null) return null;
  if (!isObject(payload) || isReference(payload))
    return isReference(payload) ? null : { path: '', reason: 'an object (goal_id, from, text or facts)' };
  const unknown = Object.keys(payload).find((key) => !FIELDS.has(key));
  if (unknown !== undefined) return { path: `.${unknown}`, reason: 'not a field of reflect' };
  if (SOURCES.filter((key) => payload[key] !== undefined).length > 1)
    return { path: '', reason: 'at most one of goal_id, from, text and facts' };
  const { goal_id, text, facts, max_facts, min_confidence } = payload;
  if (goal_id !== undefined && !isReference(goal_id) && (typeof goal_id !== 'string' || !UUID.test(goal_id)))
    return { path: '.goal_id', reason: 'a goal id (uuid)' };
  if (text !== undefined && !isReference(text) && (typeof text !== 'string' || text.trim() === ''))
    return { path: '.text', reason: 'a non-empty string' };
  if (facts !== undefined && !isReference(facts) && (!Array.isArray(facts) || facts.length > 1000))
    return { path: '.facts', reason: 'an array of at most 1000 facts' };
  if (
    max_facts !== undefined &&
    (typeof max_facts !== 'number' || !Number.isInteger(max_facts) || max_facts < 1 || max_facts > MAX_FACTS)
  )
    return { path: '.max_facts', reason: `an integer from 1 to ${MAX_FACTS}` };
  if (
    min_confidence !== undefined &&
    (typeof min_confidence !== 'number' || min_confidence < 0 || min_confidence > 1)
  )
    return { path: '.min_confidence', reason: 'a number from 0 to 1' };
  return null;
}

interface Candidate {
  readonly content: string;
  readonly confidence: number;
}

const FACTS_SCHEMA = {
  type: 'object',
  properties: {
    facts: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          content: { type: 'string' },
          confidence: { type: 'number', minimum: 0, maximum: 1 },
        },
        required: ['content', 'confidence'],
        additionalProperties: false,
      },
    },
  },
  required: ['facts'],
  additionalProperties: false,
};

const SYSTEM = (max: number) =>
  'You extract facts an agent should remember from what it did: durable, self-contained statements ' +
  '(about its environment, the people and systems it works with, their preferences, what worked and ' +
  `what failed), each understandable without the rest, at most ${max}, none about this conversation. ` +
  'Give each a confidence from 0 to 1 that it is true and worth remembering. No facts: an empty list.';

/** Candidates of a `facts` value or of a model's answer: strings (confidence 1) or {content, confidence}. */
function candidatesOf(value: unknown): Candidate[] {
  const list =
    isObject(value) && Array.isArray(value.facts) ? value.facts : Array.isArray(value) ? value : [];
  return list.flatMap((item): Candidate[] => {
    if (typeof item === 'string') return [{ content: item, confidence: 1 }];
    if (isObject(item) && typeof item.content === 'string')
      return [
        {
          content: item.content,
          confidence: typeof item.confidence === 'number' ? Math.min(1, Math.max(0, item.confidence)) : 1,
        },
      ];
    return [];
  });
}

const asText = (value: unknown): string =>
  typeof value === 'string' ? value : JSON.stringify(value, null, 2);
const cut = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export function reflectHandler(options: ReflectTaskOptions): TaskHandler {
  return async ({ task, signal }) => {
    const payload = (isObject(task.payload) ? task.payload : {}) as {
      goal_id?: string;
      from?: JsonValue;
      text?: string;
      facts?: JsonValue;
      max_facts?: number;
      min_confidence?: number;
    };
    const orgId = await orgOfTask(options, task);
    const goalId = payload.goal_id ?? task.goalId;
    const maxFacts = payload.max_facts ?? MEMORY_TASK_DEFAULTS.reflectMaxFacts;
    const minConfidence = payload.min_confidence ?? MEMORY_TASK_DEFAULTS.reflectMinConfidence;
    const limit = MEMORY_TASK_DEFAULTS.reflectInputChars;

    let candidates: Candidate[];
    let extraction: JsonValue = null;
    if (payload.facts !== undefined) candidates = candidatesOf(payload.facts);
    else {
      let material: string;
      if (payload.text !== undefined) material = cut(payload.text, limit);
      else if (payload.from !== undefined) material = cut(asText(payload.from), limit);
      else if (payload.goal_id === undefined && Object.keys(task.dependencies).length > 0)
        material = cut(asText(task.dependencies), limit);
      else {
        const goal = await readGoalMaterial(options.store, goalId);
        if (goal === null || goal.goal.agentId !== task.agentId)
          throw new TaskError(`reflect: no goal ${goalId} of this agent`, { retryable: false });
        // The task's own goal: what its other tasks did so far.
        const others = { ...goal, tasks: goal.tasks.filter((t) => t.id !== task.id) };
        material = goalMaterialText(others, limit);
      }
      if (!canCallModel(options))
        throw new TaskError('ASTRA_LLM_NO_PROVIDER: reflect needs a model to extract facts', {
          retryable: false,
        });
      const answer = await callForTask(
        options,
        { task, orgId, signal },
        {
          temperature: 0,
          maxOutputTokens: 200 + maxFacts * 80,
          responseFormat: { type: 'json_schema', name: 'facts', schema: FACTS_SCHEMA },
          messages: [
            { role: 'system', content: SYSTEM(maxFacts) },
            { role: 'user', content: material },
          ],
        },
      );
      if ('refused' in answer)
        throw new TaskError(`${answer.refused}: reflect could not ask the model`, { retryable: false });
      candidates = candidatesOf(answer.result.json);
      extraction = {
        model: answer.result.model,
        tokens_in: answer.result.usage.inputTokens,
        tokens_out: answer.result.usage.outputTokens,
        cost_dollars: answer.result.costUsd,
      };
    }

    const written: JsonValue[] = [];
    const merged: JsonValue[] = [];
    const skipped: JsonValue[] = [];
    const seen = new Set<string>();
    for (const candidate of candidates) {
      const content = candidate.content.trim();
      const normalized = normalizeMemoryText(content);
      const skip = (reason: string) => skipped.push({ content: cut(content, 200), reason });
      if (normalized === '' || content.length > MEMORY_DEFAULTS.maxContentChars) skip('invalid');
      else if (candidate.confidence < minConfidence) skip('low_confidence');
      else if (seen.has(normalized)) skip('repeated');
      else if (written.length + merged.length >= maxFacts) skip('over_limit');
      else {
        seen.add(normalized);
        const outcome = await options.memory.write(
          {
            orgId,
            agentId: task.agentId,
            content,
            sourceTaskId: task.id,
            sourceGoalId: goalId,
            metadata: { confidence: candidate.confidence, via: 'reflect' },
          },
          signal,
        );
        if (outcome.outcome === 'created')
          written.push({
            id: outcome.memory.id,
            content,
            confidence: candidate.confidence,
            superseded: [...outcome.superseded],
          });
        else merged.push({ content, into: outcome.memory.id, tier: outcome.tier ?? 'hash' });
      }
    }
    return { goal_id: goalId, written, merged, skipped, extraction };
  };
}
