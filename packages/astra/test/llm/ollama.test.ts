import { createOllamaProvider } from '../../src/adapters/llm/index.js';
import { startOllamaServer } from '../support/llm-servers/index.js';
import { providerSuite } from './provider.suite.js';

providerSuite({
  name: 'Ollama native',
  start: startOllamaServer,
  provider: (server, options) => createOllamaProvider({ baseUrl: server.url, ...options }),
  schemaOf: (body) => body.format,
  toolNamesOf: (body) => ((body.tools ?? []) as { function: { name: string } }[]).map((t) => t.function.name),
  argumentsInPieces: false,
  inputUsageFirst: false,
});
