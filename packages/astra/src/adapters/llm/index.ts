/** The LLM provider adapters (see `ports/llm.ts` for the rules they keep). */
export {
  ANTHROPIC_PROVIDER_DEFAULTS,
  type AnthropicProviderOptions,
  createAnthropicProvider,
} from './anthropic.js';
export { createOllamaProvider, OLLAMA_PROVIDER_DEFAULTS, type OllamaProviderOptions } from './ollama.js';
export { detectOllama, OLLAMA_DETECT_DEFAULTS } from './ollama-detect.js';
export { createOpenAiProvider, OPENAI_PROVIDER_DEFAULTS, type OpenAiProviderOptions } from './openai.js';
