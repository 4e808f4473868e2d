import type { JsonValue, PayloadIssue, TaskHandler } from '../../kernel/index.js';
import type { LlmMessage, LlmResult } from '../../ports/llm.js';
import { compileSchema } from '../tools/index.js';
import { LlmTaskError } from './llm-task-error.js';
import { attribution, callModel, orgOfTask, systemMessages } from './model-call.js';
import { type LlmTaskOptions, MAX_OUTPUT_TOKENS, MAX_PROMPT_CHARS } from './options.js';
import { exactlyOne, fieldsOf, firstIssue, flag, model, number, text } from './payload-fields.js';
import { type PromptRef, promptRefIssue, recordPromptOutcome, renderPromptRef } from './prompt-ref.js';

/**
 * The `llm` task type: one model call through the router.
 *
 * Payload: `prompt` (a user message), `messages` (`[{role: system|user|assistant, content}]`) or
 * `prompt_ref` (a prompt template rendered as the user message, prompt-ref.ts),
 * and optionally `system`, `model` (a model ref), `temperature` (0-2), `max_tokens`, `schema` (a
 * JSON Schema: the answer is structured output under it, in `json`), `context` (false: leave the
 * agent's assembled context out of the system message).
 *
 * Result: `text`, `json` (with a schema), `prompt` (`{name, version, experiment_id}` with a
 * prompt_ref), and the call's attribution (model-call.ts).
 */
const SHAPE =
  '{"prompt": "…"}, {"messages": [{"role", "content"}]} or {"prompt_ref": {"name", "version", "variables"}}, with system, model, temperature, max_tokens, schema, context';
const FIELDS = [
  'prompt',
  'messages',
  'prompt_ref',
  'system',
  'model',
  'temperature',
  'max_tokens',
  'schema',
  'context',
];
const ROLES = ['system', 'user', 'assistant'];
const MAX_MESSAGES = 500;

function messagesIssue(value: JsonValue | undefined): PayloadIssue | null {
  if (value === undefined) return null;
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_MESSAGES)
    return { path: '.messages', reason: `is an array of 1 to ${MAX_MESSAGES} messages` };
  for (const [index, message] of value.entries()) {
    const path = `.messages[${index}]`;
    if (typeof message !== 'object' || message === null || Array.isArray(message))
      return { path, reason: 'is {"role": "system|user|assistant", "content": "…"}' };
    const extra = Object.keys(message).find((key) => key !== 'role' && key !== 'content');
    if (extra !== undefined) return { path: `${path}.${extra}`, reason: 'is not a field of a message' };
    if (typeof message.role !== 'string' || !ROLES.includes(message.role))
      return { path: `${path}.role`, reason: `is one of ${ROLES.join(', ')}` };
    if (typeof message.content !== 'string' || message.content.length > MAX_PROMPT_CHARS)
      return { path: `${path}.content`, reason: `is a string of at most ${MAX_PROMPT_CHARS} characters` };
  }
  return null;
}

function schemaIssue(value: JsonValue | undefined): PayloadIssue | null {
  if (value === undefined) return null;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { path: '.schema', reason: 'is a JSON Schema (an object)' };
  const { problem } = compileSchema(value);
  return problem === null ? null : { path: '.schema', reason: `is not a usable JSON Schema: ${problem}` };
}

export function checkLlmPayload(payload: JsonValue): PayloadIssue | null {
  const { fields, issue } = fieldsOf(payload, SHAPE, FIELDS);
  if (fields === null) return issue;
  return firstIssue(
    exactlyOne(fields, ['prompt', 'messages', 'prompt_ref']),
    text(fields, 'prompt', { maxChars: MAX_PROMPT_CHARS, nonEmpty: true }),
    messagesIssue(fields.messages),
    promptRefIssue(fields.prompt_ref),
    text(fields, 'system', { maxChars: MAX_PROMPT_CHARS }),
    model(fields),
    number(fields, 'temperature', { min: 0, max: 2, integer: false }),
    number(fields, 'max_tokens', { min: 1, max: MAX_OUTPUT_TOKENS, integer: true }),
    schemaIssue(fields.schema),
    flag(fields, 'context'),
  );
}

interface LlmPayload {
  readonly prompt?: string;
  readonly messages?: readonly { role: 'system' | 'user' | 'assistant'; content: string }[];
  readonly prompt_ref?: PromptRef;
  readonly system?: string;
  readonly model?: string;
  readonly temperature?: number;
  readonly max_tokens?: number;
  readonly schema?: Record<string, unknown>;
  readonly context?: boolean;
}

export function llmTaskHandler(options: LlmTaskOptions): TaskHandler {
  return async ({ task, signal }) => {
    // Checked at submission, and again at claim once its references were resolved.
    const payload = task.payload as unknown as LlmPayload;
    const orgId = await orgOfTask(options, task);
    const rendered =
      payload.prompt_ref === undefined
        ? null
        : await renderPromptRef(options.prompts, payload.prompt_ref, {
            orgId,
            agentId: task.agentId,
            goalId: task.goalId,
          });
    const conversation: LlmMessage[] =
      payload.messages === undefined
        ? [{ role: 'user', content: rendered?.text ?? payload.prompt ?? '' }]
        : payload.messages.map((message) => ({ role: message.role, content: message.content }));
    const messages = [
      ...(await systemMessages(options, task, [payload.system], payload.context !== false)),
      ...conversation,
    ];
    let result: LlmResult;
    try {
      result = await callModel(
        options,
        { task, signal, orgId },
        {
          messages,
          ...(payload.model === undefined ? {} : { model: payload.model }),
          ...(payload.temperature === undefined ? {} : { temperature: payload.temperature }),
          ...(payload.max_tokens === undefined ? {} : { maxOutputTokens: payload.max_tokens }),
          ...(payload.schema === undefined
            ? {}
            : { responseFormat: { type: 'json_schema', name: 'result', schema: payload.schema } }),
        },
      );
      if (payload.schema !== undefined && result.json === undefined)
        throw new LlmTaskError(
          'ASTRA_LLM_OUTPUT_INVALID',
          `${result.model} answered no structured value under the task's schema`,
          { model: result.model },
          { retryable: true },
        );
    } catch (error) {
      await recordPromptOutcome(options.prompts, rendered, { success: false });
      throw error;
    }
    await recordPromptOutcome(options.prompts, rendered, { success: true, costUsd: result.costUsd });
    return {
      text: result.text,
      ...(payload.schema === undefined ? {} : { json: result.json as JsonValue }),
      ...(rendered === null
        ? {}
        : {
            prompt: { name: rendered.name, version: rendered.version, experiment_id: rendered.experimentId },
          }),
      ...attribution(result),
    };
  };
}
