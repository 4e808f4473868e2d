/** Embedders behind `ports/embedder.ts`: OpenAI-compatible, Ollama native, and the offline lexical one. */
export { createLexicalEmbedder, LEXICAL_EMBEDDER_DEFAULTS, lexicalTokens, lexicalVector } from './lexical.js';
export { createOllamaEmbedder, OLLAMA_EMBEDDER_DEFAULTS, type OllamaEmbedderOptions } from './ollama.js';
export { createOpenAiEmbedder, OPENAI_EMBEDDER_DEFAULTS, type OpenAiEmbedderOptions } from './openai.js';
