// A minimal OpenAI Chat Completions server for `npm run bench:llm-router`: every POST to
// /v1/chat/completions streams one fixed answer as the API does (SSE: a role chunk, two content
// chunks, the finish chunk, a usage chunk, [DONE]). The tests' protocol servers (test/support/
// llm-servers) script faults and record requests; the benchmark needs only the fastest faithful
// answer, from a process of its own so its work does not share the measured event loop.
// Run as a child: prints `listening <port>` on stdout.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const chunk = (delta: Record<string, unknown>, finish: string | null): string =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1_767_225_600,
    model: 'bench-model',
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`;

const BODY =
  chunk({ role: 'assistant', content: '' }, null) +
  chunk({ content: 'Hello' }, null) +
  chunk({ content: ' world.' }, null) +
  chunk({}, 'stop') +
  `data: ${JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1_767_225_600,
    model: 'bench-model',
    choices: [],
    usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
  })}\n\n` +
  'data: [DONE]\n\n';

export function startChatServer(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.end(BODY);
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const server = await startChatServer();
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
  process.on('disconnect', () => process.exit(0));
}
