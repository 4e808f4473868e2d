import { createAnthropicProvider } from '../../src/adapters/llm/index.js';
import { startAnthropicServer } from '../support/llm-servers/index.js';
import { providerSuite } from './provider.suite.js';

providerSuite({
  name: 'Anthropic Messages',
  start: startAnthropicServer,
  provider: (server, options) => createAnthropicProvider({ baseUrl: server.url, ...options }),
  schemaOf: (body) => (body.output_config as { format?: { schema?: unknown } } | undefined)?.format?.schema,
  toolNamesOf: (body) => ((body.tools ?? []) as { name: string }[]).map((t) => t.name),
  argumentsInPieces: true,
  inputUsageFirst: true,
});
