import type { LlmCall } from '../../ports/llm.js';
import type { ModelEntry } from './attempt.js';

/**
 * What a call needs of a model: tool calling when it passes tools (and does not turn them off),
 * JSON schema output when it asks for `responseFormat`, and a context window holding its input and
 * the output it asks for. Fallback only goes to models that have all of it.
 */
export interface Needs {
  readonly tools: boolean;
  readonly jsonSchema: boolean;
  readonly contextTokens: number;
}

export function needsOf(call: LlmCall, inputTokens: number): Needs {
  return {
    tools: (call.tools?.length ?? 0) > 0 && call.toolChoice !== 'none',
    jsonSchema: call.responseFormat !== undefined,
    contextTokens: inputTokens + (call.maxOutputTokens ?? 0),
  };
}

/** What `model` lacks of `needs` (empty: it can serve the call). */
export function lacking(model: ModelEntry, needs: Needs): string[] {
  const missing: string[] = [];
  if (needs.tools && !model.capabilities.tools) missing.push('tools');
  if (needs.jsonSchema && !model.capabilities.jsonSchema) missing.push('json_schema');
  if (model.capabilities.contextTokens < needs.contextTokens) missing.push('context_length');
  return missing;
}

/** The needs as one detail value: `tools,json_schema,context>=12000`. */
export function describeNeeds(needs: Needs): string {
  return [
    ...(needs.tools ? ['tools'] : []),
    ...(needs.jsonSchema ? ['json_schema'] : []),
    `context>=${needs.contextTokens}`,
  ].join(',');
}
