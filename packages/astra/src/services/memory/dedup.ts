import type { LlmClient, LlmScope } from '../../ports/llm.js';

/**
 * Dedup's last tier: a pair of facts whose embeddings are close but not identical (cosine between
 * the ambiguous and the duplicate thresholds). Only these reach a model, when the service has a
 * client: it answers `duplicate` (keep the stored fact), `supersedes` (the new fact replaces it),
 * or `distinct` (keep both). Without a client both are kept and the new one is marked
 * `possible_duplicate_of`. The exact-hash, normalised-text and clear embedding tiers run before,
 * with no model at all.
 */
export type DedupVerdict = 'duplicate' | 'supersedes' | 'distinct';

export type DedupJudge = (
  pair: { stored: string; incoming: string },
  scope: LlmScope,
) => Promise<DedupVerdict>;

const SCHEMA = {
  type: 'object',
  properties: { verdict: { type: 'string', enum: ['duplicate', 'supersedes', 'distinct'] } },
  required: ['verdict'],
  additionalProperties: false,
};

export function llmDedupJudge(client: LlmClient, options: { model?: string } = {}): DedupJudge {
  return async (pair, scope) => {
    const result = await client.complete({
      ...(options.model === undefined ? {} : { model: options.model }),
      scope: { ...scope, purpose: 'memory_dedup' },
      temperature: 0,
      maxOutputTokens: 50,
      responseFormat: { type: 'json_schema', name: 'dedup_verdict', schema: SCHEMA },
      messages: [
        {
          role: 'system',
          content:
            'You compare two facts an agent remembers. Answer "duplicate" when they state the same thing, ' +
            '"supersedes" when the new fact updates or contradicts the stored one, "distinct" otherwise.',
        },
        { role: 'user', content: `Stored fact: ${pair.stored}\nNew fact: ${pair.incoming}` },
      ],
    });
    const verdict = (result.json as { verdict?: unknown } | undefined)?.verdict;
    return verdict === 'duplicate' || verdict === 'supersedes' ? verdict : 'distinct';
  };
}
