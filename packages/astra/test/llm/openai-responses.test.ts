import { createOpenAiProvider } from '../../src/adapters/llm/index.js';
import { startOpenAiServer } from '../support/llm-servers/index.js';
import { providerSuite } from './provider.suite.js';

providerSuite({
  name: 'OpenAI Responses',
  start: startOpenAiServer,
  provider: (server, options) =>
    createOpenAiProvider({ baseUrl: `${server.url}/v1`, api: 'responses', ...options }),
  schemaOf: (body) => (body.text as { format?: { schema?: unknown } } | undefined)?.format?.schema,
  toolNamesOf: (body) => ((body.tools ?? []) as { name: string }[]).map((t) => t.name),
  argumentsInPieces: true,
  inputUsageFirst: false,
});
