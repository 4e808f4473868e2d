import {
  createAnthropicProvider,
  createOllamaProvider,
  createOpenAiProvider,
  detectOllama,
  OLLAMA_DETECT_DEFAULTS,
} from '../adapters/llm/index.js';
import type { AstraConfig } from '../config/index.js';
import type { Logger } from '../log/logger.js';
import type { LlmProvider, LlmProviderKind } from '../ports/llm.js';

/**
 * The LLM providers a node can call, found in three places, in this order (a name already taken
 * is skipped with a warning):
 * 1. `config`: the `llmProviders` list (config file or ASTRA_LLM_PROVIDERS);
 * 2. `env`: the providers' own variables: OPENAI_API_KEY / OPENAI_BASE_URL → `openai`,
 *    ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL → `anthropic`, OLLAMA_HOST → `ollama`;
 * 3. `detected`: a local Ollama answering `GET /api/version` within the detection timeout, when no
 *    provider is named `ollama` yet and `llmDetectOllama` is on.
 * Opening a provider makes no request (except the detection): a wrong key shows on the first call.
 */

export type LlmProviderSource = 'config' | 'env' | 'detected';

export interface FoundLlmProvider {
  readonly name: string;
  readonly kind: LlmProviderKind;
  readonly baseUrl: string;
  readonly source: LlmProviderSource;
  /** The version a detected Ollama reported. */
  readonly version?: string;
}

export interface OpenedLlmProviders {
  readonly providers: readonly LlmProvider[];
  readonly found: readonly FoundLlmProvider[];
}

export type LlmDiscoveryConfig = Pick<
  AstraConfig,
  | 'llmProviders'
  | 'openaiApiKey'
  | 'openaiBaseUrl'
  | 'anthropicApiKey'
  | 'anthropicBaseUrl'
  | 'ollamaHost'
  | 'llmDetectOllama'
  | 'llmDetectTimeoutMs'
>;

export interface LlmDiscoveryOptions {
  /** Overrides `llmDetectTimeoutMs`. */
  readonly detectTimeoutMs?: number;
  /** Where to look for a local Ollama (tests point it at a protocol server). */
  readonly detectUrl?: string;
  readonly logger?: Logger;
}

const DEFAULT_BASE_URLS: Record<LlmProviderKind, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
  ollama: OLLAMA_DETECT_DEFAULTS.url,
};

/**
 * OLLAMA_HOST as Ollama's own client reads it: `host`, `host:port` or a URL; port 11434 when
 * none is given over http; the listen-everywhere addresses mean this machine.
 */
export function ollamaBaseUrl(host: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(host) ? host : `http://${host}`;
  const url = new URL(withScheme);
  if (url.port === '' && url.protocol === 'http:') url.port = '11434';
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  if (url.hostname === '[::]') url.hostname = '[::1]';
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

interface Planned extends FoundLlmProvider {
  readonly apiKey?: string;
  readonly api?: 'chat' | 'responses';
  readonly timeoutMs?: number;
}

function open(plan: Planned): LlmProvider {
  const common = {
    name: plan.name,
    baseUrl: plan.baseUrl,
    ...(plan.apiKey === undefined ? {} : { apiKey: plan.apiKey }),
    ...(plan.timeoutMs === undefined ? {} : { timeoutMs: plan.timeoutMs }),
  };
  if (plan.kind === 'openai')
    return createOpenAiProvider({ ...common, ...(plan.api === undefined ? {} : { api: plan.api }) });
  if (plan.kind === 'anthropic') return createAnthropicProvider(common);
  return createOllamaProvider(common);
}

function fromConfig(config: LlmDiscoveryConfig): Planned[] {
  return config.llmProviders.map((entry) => ({
    name: entry.name,
    kind: entry.kind,
    baseUrl:
      entry.kind === 'ollama' && entry.base_url !== undefined
        ? ollamaBaseUrl(entry.base_url)
        : (entry.base_url ?? DEFAULT_BASE_URLS[entry.kind]),
    source: 'config',
    ...(entry.api_key === undefined ? {} : { apiKey: entry.api_key.reveal() }),
    ...(entry.api === undefined ? {} : { api: entry.api }),
    ...(entry.timeout_ms === undefined ? {} : { timeoutMs: entry.timeout_ms }),
  }));
}

function fromEnv(config: LlmDiscoveryConfig): Planned[] {
  const out: Planned[] = [];
  if (config.openaiApiKey !== undefined || config.openaiBaseUrl !== undefined)
    out.push({
      name: 'openai',
      kind: 'openai',
      baseUrl: config.openaiBaseUrl ?? DEFAULT_BASE_URLS.openai,
      source: 'env',
      ...(config.openaiApiKey === undefined ? {} : { apiKey: config.openaiApiKey.reveal() }),
    });
  if (config.anthropicApiKey !== undefined || config.anthropicBaseUrl !== undefined)
    out.push({
      name: 'anthropic',
      kind: 'anthropic',
      baseUrl: config.anthropicBaseUrl ?? DEFAULT_BASE_URLS.anthropic,
      source: 'env',
      ...(config.anthropicApiKey === undefined ? {} : { apiKey: config.anthropicApiKey.reveal() }),
    });
  if (config.ollamaHost !== undefined)
    out.push({ name: 'ollama', kind: 'ollama', baseUrl: ollamaBaseUrl(config.ollamaHost), source: 'env' });
  return out;
}

export async function openLlmProviders(
  config: LlmDiscoveryConfig,
  options: LlmDiscoveryOptions = {},
): Promise<OpenedLlmProviders> {
  const planned: Planned[] = [];
  for (const plan of [...fromConfig(config), ...fromEnv(config)]) {
    if (planned.some((p) => p.name === plan.name)) {
      options.logger?.warn(
        { provider: plan.name, source: plan.source },
        'LLM provider skipped: a provider of that name is already configured',
      );
      continue;
    }
    planned.push(plan);
  }
  if (config.llmDetectOllama && !planned.some((p) => p.name === 'ollama')) {
    const url = options.detectUrl ?? OLLAMA_DETECT_DEFAULTS.url;
    const version = await detectOllama(url, options.detectTimeoutMs ?? config.llmDetectTimeoutMs);
    if (version !== null)
      planned.push({
        name: 'ollama',
        kind: 'ollama',
        baseUrl: url.replace(/\/+$/, ''),
        source: 'detected',
        version,
      });
  }
  return {
    providers: planned.map(open),
    found: planned.map(({ name, kind, baseUrl, source, version }) => ({
      name,
      kind,
      baseUrl,
      source,
      ...(version === undefined ? {} : { version }),
    })),
  };
}

const SOURCE_WORDS: Record<LlmProviderSource, string> = {
  config: 'from the config',
  env: 'from the environment',
  detected: 'detected',
};

/** The start-up lines of `astra up`: one per provider, or how to configure one. */
export function describeLlmProviders(found: readonly FoundLlmProvider[]): string[] {
  if (found.length === 0)
    return [
      'astra: no LLM provider configured (goals in words need one): set OPENAI_API_KEY (or OPENAI_BASE_URL for a compatible server), ANTHROPIC_API_KEY or OLLAMA_HOST, list llmProviders in the config file, or run Ollama on this machine',
    ];
  return found.map((p) => {
    const version = p.version === undefined ? '' : ` ${p.version}`;
    return `astra: LLM provider ${p.name} (${p.kind}${version}, ${p.baseUrl}) ${SOURCE_WORDS[p.source]}`;
  });
}
