import type { JsonValue, PayloadIssue, TaskHandler } from '../../kernel/index.js';
import { countTokens, truncateToTokens } from '../llm/index.js';
import { attribution, callModel, systemMessages } from './model-call.js';
import { type LlmTaskOptions, limitsOf, MAX_PROMPT_CHARS } from './options.js';
import { choice, exactlyOne, fieldsOf, firstIssue, flag, model, number, text } from './payload-fields.js';

/**
 * The `summarize` task type: a summary of a text through one model call.
 *
 * Payload: `text` (a string), or `from` (any value, usually a `$from` reference to an earlier
 * task's result, resolved at claim; a value that is not a string is summarized as its JSON), and
 * optionally `max_words` (default 150), `style` (`paragraph`, `bullets`, `headline`), `model`,
 * `max_input_tokens` (the input is cut to this many tokens, default summarizeInputTokens),
 * `context` (false: without the agent's assembled context).
 *
 * The input is cut to its token budget with the o200k tokenizer (services/llm/tokens.ts),
 * keeping its head; the result says so (`input_truncated`, `input_tokens`: the whole input's count).
 *
 * Result: `summary`, `input_tokens`, `input_truncated`, and the attribution of model-call.ts.
 */
const SHAPE =
  '{"text": "…"} or {"from": {"$from": "<task>"}}, with max_words, style, model, max_input_tokens, context';
const FIELDS = ['text', 'from', 'max_words', 'style', 'model', 'max_input_tokens', 'context'];
const STYLES = ['paragraph', 'bullets', 'headline'] as const;
const DEFAULT_WORDS = 150;
const MAX_WORDS = 5_000;

export function checkSummarizePayload(payload: JsonValue): PayloadIssue | null {
  const { fields, issue } = fieldsOf(payload, SHAPE, FIELDS);
  if (fields === null) return issue;
  return firstIssue(
    exactlyOne(fields, ['text', 'from']),
    text(fields, 'text', { maxChars: MAX_PROMPT_CHARS, nonEmpty: true }),
    number(fields, 'max_words', { min: 1, max: MAX_WORDS, integer: true }),
    choice(fields, 'style', STYLES),
    model(fields),
    number(fields, 'max_input_tokens', { min: 100, max: 2_000_000, integer: true }),
    flag(fields, 'context'),
  );
}

interface SummarizePayload {
  readonly text?: string;
  readonly from?: JsonValue;
  readonly max_words?: number;
  readonly style?: (typeof STYLES)[number];
  readonly model?: string;
  readonly max_input_tokens?: number;
  readonly context?: boolean;
}

const STYLE_RULES: Readonly<Record<(typeof STYLES)[number], string>> = {
  paragraph: 'as one paragraph of plain prose',
  bullets: 'as a list of short bullet points, one per line, each starting with "- "',
  headline: 'as one headline-like sentence',
};

const inputOf = (payload: SummarizePayload): string =>
  payload.text ??
  (typeof payload.from === 'string' ? payload.from : JSON.stringify(payload.from ?? null, null, 2));

export function summarizeHandler(options: LlmTaskOptions): TaskHandler {
  const limits = limitsOf(options);
  return async ({ task, signal }) => {
    const payload = task.payload as unknown as SummarizePayload;
    const words = payload.max_words ?? DEFAULT_WORDS;
    const rules = `Summarize the text the user gives, in at most ${words} words, ${STYLE_RULES[payload.style ?? 'paragraph']}. Answer with the summary only.`;
    const system = await systemMessages(options, task, [rules], payload.context !== false);
    const budget = payload.max_input_tokens ?? limits.summarizeInputTokens;
    const room = Math.max(0, budget - system.reduce((sum, message) => sum + countTokens(message.content), 0));
    const whole = inputOf(payload);
    const cut = truncateToTokens(whole, room);
    const result = await callModel(
      options,
      { task, signal },
      {
        messages: [...system, { role: 'user', content: cut }],
        // A word is about 1.3 tokens in English; the margin lets the model end its sentence.
        maxOutputTokens: Math.ceil(words * 2) + 64,
        ...(payload.model === undefined ? {} : { model: payload.model }),
      },
    );
    return {
      summary: result.text.trim(),
      input_tokens: countTokens(whole),
      input_truncated: cut.length < whole.length,
      ...attribution(result),
    };
  };
}
