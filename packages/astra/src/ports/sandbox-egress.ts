import type { EgressSession } from './egress.js';
import type { SandboxEgress, SandboxProgram } from './sandbox.js';

/**
 * A session as the sandbox port takes it, for the kind of program the tool runs: a process gets
 * the session's Unix socket to bind, a JavaScript program (QuickJS) gets `fetch` (bodies as text,
 * as the interpreter sees them), a WASI module neither (it has no network). `refusals` lets the
 * driver tell a failure that followed a refused request.
 */
export function sandboxEgressOf(session: EgressSession, program: SandboxProgram['kind']): SandboxEgress {
  const refusals = (): number => session.refusals();
  if (program === 'process') return { socketPath: session.socketPath, refusals };
  if (program === 'wasm') return { refusals };
  return {
    refusals,
    fetch: async (request, signal) => {
      const answer = await session.fetch(
        {
          url: request.url,
          method: request.method,
          headers: request.headers,
          ...(request.body === undefined ? {} : { body: request.body }),
        },
        signal,
      );
      return {
        status: answer.status,
        headers: answer.headers,
        body: Buffer.from(answer.body).toString('utf8'),
      };
    },
  };
}
