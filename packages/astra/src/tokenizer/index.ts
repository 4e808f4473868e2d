import { createRequire } from 'node:module';
import type { LlmMessage, LlmRequest } from '../ports/llm.js';

/**
 * Token counts with a real BPE tokenizer (o200k, the encoding of OpenAI's current models). Other
 * providers' tokenizers differ by a few percent; budgets reserve on this count and settle on what
 * the provider reports, so the difference is never spent unaccounted. A special token written in a
 * text (`<|endoftext|>` in a user's document) counts as the plain text it is, never as an error.
 */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

// The encoding is loaded at the first count, not with the module: it holds about 21 MB of the heap
// and takes about 0.2 s to load, which a node that never counts a token (no model configured)
// would otherwise pay at every start and in every full garbage collection.
type Bpe = typeof import('gpt-tokenizer');
let bpe: Bpe | undefined;
const o200k = (): Bpe => {
  bpe ??= createRequire(import.meta.url)('gpt-tokenizer') as Bpe;
  return bpe;
};

export function countTokens(text: string): number {
  return text.length === 0 ? 0 : o200k().countTokens(text, PLAIN_TEXT);
}

/**
 * The longest prefix of `text` found within `maxTokens` tokens by this counter: the first
 * `maxTokens` tokens decoded, stepped back a token while the decoding is not a prefix of the text
 * (a character split across tokens) or recounts over the limit (BPE is not additive).
 */
export function truncateToTokens(text: string, maxTokens: number): string {
  if (maxTokens <= 0) return '';
  const ids = o200k().encode(text, PLAIN_TEXT);
  if (ids.length <= maxTokens) return text;
  for (let n = maxTokens; n > 0; n--) {
    const prefix = o200k().decode(ids.slice(0, n));
    if (text.startsWith(prefix) && countTokens(prefix) <= maxTokens) return prefix;
  }
  return '';
}

/** Tokens a chat message costs beyond its text (role and separators), as OpenAI documents it. */
const PER_MESSAGE = 4;

function messageText(message: LlmMessage): string {
  if (message.role !== 'assistant' || message.toolCalls === undefined) return message.content;
  return message.content + message.toolCalls.map((call) => call.name + call.arguments).join('');
}

/** The input tokens of a request: messages, tool specs and the output schema. */
export function estimateInputTokens(
  request: Pick<LlmRequest, 'messages' | 'tools' | 'responseFormat'>,
): number {
  let total = 3;
  for (const message of request.messages) total += PER_MESSAGE + countTokens(messageText(message));
  for (const tool of request.tools ?? [])
    total += countTokens(`${tool.name} ${tool.description} ${JSON.stringify(tool.parameters)}`);
  if (request.responseFormat !== undefined)
    total += countTokens(JSON.stringify(request.responseFormat.schema));
  return total;
}
