/**
 * Real HTTP servers on 127.0.0.1 speaking the LLM providers' wire protocols, for tests: start one,
 * `script(...)` its answers and faults, point a client at `url`, assert on `requests`.
 *
 *   const server = await startOpenAiServer({ apiKey: 'sk-test', models: ['gpt-test'] });
 *   server.script({ text: ['Hel', 'lo'] }, fault(429, { retryAfterS: 2 }));
 *   // … new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'sk-test' }) …
 *   await server.close();
 */
export { startAnthropicServer } from './anthropic.js';
export { serverVector } from './embeddings.js';
export { startOllamaServer } from './ollama.js';
export { startOpenAiServer } from './openai.js';
export type {
  AnswerStep,
  FaultStep,
  LlmServer,
  LlmServerOptions,
  RecordedRequest,
  ScriptedToolCall,
  ScriptedUsage,
  ScriptStep,
} from './script.js';
export { fault } from './script.js';
