import { z } from 'zod';
import { OLLAMA_DETECT_DEFAULTS } from '../adapters/llm/ollama-detect.js';
import { Secret } from './secret.js';

/**
 * The `llmProviders` setting: LLM provider endpoints listed in the config file (or, as JSON, in
 * ASTRA_LLM_PROVIDERS). Names are what model refs start with (`vllm/qwen3-8b`), unique; `api`
 * is for the openai kind only; `api_key` becomes a Secret as it is read.
 */
const providerName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lowercase letters, digits, - or _ (it starts model refs)');

const httpUrl = z.string().refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be an http(s) URL');

export const llmProviderEntry = z
  .object({
    name: providerName,
    kind: z.enum(['openai', 'anthropic', 'ollama']),
    base_url: httpUrl.optional(),
    api_key: z
      .string()
      .min(1)
      .transform((value) => new Secret(value))
      .optional(),
    api: z.enum(['chat', 'responses']).optional(),
    timeout_ms: z.number().int().positive().optional(),
  })
  .strict()
  .refine((entry) => entry.api === undefined || entry.kind === 'openai', 'api is for kind openai only');

export type LlmProviderEntry = z.output<typeof llmProviderEntry>;

function fromJsonText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (value.trim() === '') return [];
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export const llmProviderList = z.preprocess(
  fromJsonText,
  z
    .array(llmProviderEntry, 'must be a list of providers (JSON in ASTRA_LLM_PROVIDERS)')
    .refine((list) => new Set(list.map((p) => p.name)).size === list.length, 'provider names must be unique'),
);

/**
 * Where LLM providers come from (app/llm-providers.ts): the list above, the providers' own
 * variables, and the local Ollama detection. settings.ts spreads these into its table.
 */
export const LLM_PROVIDER_SETTINGS = {
  llmProviders: {
    env: 'ASTRA_LLM_PROVIDERS',
    flag: 'llm-providers',
    schema: llmProviderList,
    default: [],
    description:
      'LLM providers: a list of {name, kind: openai|anthropic|ollama, base_url?, api_key?, api?: chat|responses, timeout_ms?} (JSON in the variable); api_key is a secret.',
  },
  openaiApiKey: {
    env: 'OPENAI_API_KEY',
    flag: 'openai-api-key',
    schema: z.string().min(1),
    secret: true,
    description: "OpenAI's standard variable: with it (or OPENAI_BASE_URL) Astra adds the provider `openai`.",
  },
  openaiBaseUrl: {
    env: 'OPENAI_BASE_URL',
    flag: 'openai-base-url',
    schema: httpUrl,
    description:
      'Base URL of the `openai` provider: any OpenAI-compatible server (vLLM, llama.cpp, LM Studio, Ollama /v1).',
  },
  anthropicApiKey: {
    env: 'ANTHROPIC_API_KEY',
    flag: 'anthropic-api-key',
    schema: z.string().min(1),
    secret: true,
    description:
      "Anthropic's standard variable: with it (or ANTHROPIC_BASE_URL) Astra adds the provider `anthropic`.",
  },
  anthropicBaseUrl: {
    env: 'ANTHROPIC_BASE_URL',
    flag: 'anthropic-base-url',
    schema: httpUrl,
    description: 'Base URL of the `anthropic` provider (without /v1).',
  },
  ollamaHost: {
    env: 'OLLAMA_HOST',
    flag: 'ollama-host',
    schema: z.string().min(1),
    description: "Ollama's standard variable (host[:port] or a URL): Astra adds the provider `ollama` there.",
  },
  llmDetectOllama: {
    env: 'ASTRA_LLM_DETECT_OLLAMA',
    flag: 'llm-detect-ollama',
    schema: z.stringbool(),
    default: String(OLLAMA_DETECT_DEFAULTS.enabled),
    description: `Look for a local Ollama on start (GET ${OLLAMA_DETECT_DEFAULTS.url}/api/version) when no provider is named ollama.`,
  },
  llmDetectTimeoutMs: {
    env: 'ASTRA_LLM_DETECT_TIMEOUT_MS',
    flag: 'llm-detect-timeout-ms',
    schema: z.coerce.number().int().positive(),
    default: OLLAMA_DETECT_DEFAULTS.timeoutMs,
    description: 'How long the local Ollama detection waits for an answer.',
  },
} as const;
