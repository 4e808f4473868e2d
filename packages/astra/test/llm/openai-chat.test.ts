import { createOpenAiProvider } from '../../src/adapters/llm/index.js';
import { startOpenAiServer } from '../support/llm-servers/index.js';
import { providerSuite } from './provider.suite.js';

providerSuite({
  name: 'OpenAI Chat Completions',
  start: startOpenAiServer,
  provider: (server, options) => createOpenAiProvider({ baseUrl: `${server.url}/v1`, ...options }),
  schemaOf: (body) =>
    (body.response_format as { json_schema?: { schema?: unknown } } | undefined)?.json_schema?.schema,
  toolNamesOf: (body) => ((body.tools ?? []) as { function: { name: string } }[]).map((t) => t.function.name),
  argumentsInPieces: true,
  inputUsageFirst: false,
});
