import type { LlmProviderKind } from '../../ports/llm.js';
import type { ModelSpec } from './catalog.js';

/**
 * A catalog for the providers a node discovered, when the configuration lists no models.
 *
 * - A provider named `openai` of kind `openai` on OpenAI's own API (no `baseUrl`, or one on
 *   api.openai.com) gets OpenAI's current models (the table below).
 * - A provider named `anthropic` of kind `anthropic` on Anthropic's API gets Anthropic's.
 * - Any other provider (Ollama, vLLM, llama.cpp, LM Studio: self-hosted) gets the models it lists,
 *   tier `local`, with tools and JSON schema output (the OpenAI-compatible servers and Ollama take
 *   both) and a conservative 8k context; configure `llmModels` for larger windows.
 * Aliases: `fast` (the first standard model), `smart` (the first premium one), `local` is a tier.
 * Capabilities are the providers' published limits; the table is a starting point, not a contract.
 */
export interface DiscoveredProvider {
  readonly name: string;
  readonly kind: LlmProviderKind;
  /** Where it is served (the discovery's `baseUrl`); absent: the vendor's own API. */
  readonly baseUrl?: string | undefined;
}

function onHost(provider: DiscoveredProvider, host: string): boolean {
  if (provider.baseUrl === undefined) return true;
  try {
    return new URL(provider.baseUrl).hostname === host;
  } catch {
    return false;
  }
}

const OPENAI_MODELS: readonly ModelSpec[] = [
  { ref: 'openai/gpt-4o-mini', tier: 'standard', contextTokens: 128_000, maxOutputTokens: 16_384 },
  { ref: 'openai/gpt-4.1-mini', tier: 'standard', contextTokens: 1_047_576, maxOutputTokens: 32_768 },
  { ref: 'openai/gpt-4o', tier: 'premium', contextTokens: 128_000, maxOutputTokens: 16_384 },
  { ref: 'openai/gpt-4.1', tier: 'premium', contextTokens: 1_047_576, maxOutputTokens: 32_768 },
];

const ANTHROPIC_MODELS: readonly ModelSpec[] = [
  { ref: 'anthropic/claude-haiku-4-5', tier: 'standard', contextTokens: 200_000, maxOutputTokens: 64_000 },
  { ref: 'anthropic/claude-sonnet-4-5', tier: 'premium', contextTokens: 200_000, maxOutputTokens: 64_000 },
];

const LOCAL_CONTEXT_TOKENS = 8192;
const LOCAL_MAX_OUTPUT_TOKENS = 4096;

export function defaultCatalog(
  providers: readonly DiscoveredProvider[],
  listedModels: Readonly<Record<string, readonly string[]>> = {},
): { models: ModelSpec[]; aliases: Record<string, string> } {
  const models: ModelSpec[] = [];
  for (const provider of providers) {
    if (provider.name === 'openai' && provider.kind === 'openai' && onHost(provider, 'api.openai.com'))
      models.push(...OPENAI_MODELS);
    else if (
      provider.name === 'anthropic' &&
      provider.kind === 'anthropic' &&
      onHost(provider, 'api.anthropic.com')
    )
      models.push(...ANTHROPIC_MODELS);
    else
      for (const name of listedModels[provider.name] ?? [])
        models.push({
          ref: `${provider.name}/${name}`,
          tier: 'local',
          tools: true,
          jsonSchema: true,
          contextTokens: LOCAL_CONTEXT_TOKENS,
          maxOutputTokens: LOCAL_MAX_OUTPUT_TOKENS,
        });
  }
  const aliases: Record<string, string> = {};
  const fast = models.find((model) => model.tier === 'standard') ?? models[0];
  const smart = models.find((model) => model.tier === 'premium') ?? fast;
  if (fast !== undefined) aliases.fast = fast.ref;
  if (smart !== undefined) aliases.smart = smart.ref;
  return { models, aliases };
}
