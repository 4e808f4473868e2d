// Closed-loop HTTP load for the goals-over-REST benchmark (api-goals.ts), run in a child process
// so that it never shares the server's event loop and the server's process CPU time is its own: `clients` keep-alive connections, each sending
// its next POST as soon as the previous answer is in, for a warm-up and then `windows` windows of
// `windowMs`. A client that is shed (429 or 503 with Retry-After) waits as long as it is told, as
// a well-behaved client does, before it sends again. An answer counts in the window it arrived in; the figures of each window are posted
// to the parent as it closes, so the parent can read the node's counters at the same moment.
import { Agent, request } from 'node:http';

export interface GoalLoadSpec {
  readonly url: string;
  readonly headers: Record<string, string>;
  /** The JSON body every request sends. */
  readonly body: string;
  readonly clients: number;
  readonly warmupMs: number;
  readonly windows: number;
  readonly windowMs: number;
}

export interface GoalWindow {
  readonly kind: 'window';
  /** 0 is the warm-up; measured windows count from 1. */
  readonly index: number;
  readonly elapsedMs: number;
  /** 2xx answers. */
  readonly ok: number;
  /** 429 and 503 answers with Retry-After: the node shed the submission. */
  readonly shed: number;
  /** Other non-2xx answers and transport errors. */
  readonly errors: number;
  /** Latencies of the 2xx answers, ms, sorted. */
  readonly latenciesMs: number[];
  readonly firstError: string | null;
}

export type GoalLoadMessage =
  | GoalWindow
  | { readonly kind: 'done' }
  | { readonly kind: 'error'; error: string };

interface Tally {
  ok: number;
  shed: number;
  errors: number;
  latencies: number[];
  firstError: string | null;
}

const newTally = (): Tally => ({ ok: 0, shed: 0, errors: 0, latencies: [], firstError: null });

async function run(spec: GoalLoadSpec, post: (message: GoalLoadMessage) => void): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: spec.clients });
  const target = new URL(spec.url);
  const headers = {
    ...spec.headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(spec.body)),
  };
  let tally = newTally();
  let running = true;

  /** Resolves with how long to wait before the next request (a shed answer's Retry-After), ms. */
  const once = (): Promise<number> =>
    new Promise((resolve) => {
      const sent = performance.now();
      const fail = (reason: string): void => {
        tally.errors++;
        tally.firstError ??= reason;
        resolve(0);
      };
      const req = request(
        { agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST', headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const retryAfterS = Number(res.headers['retry-after']);
            if ((status === 429 || status === 503) && retryAfterS > 0) {
              tally.shed++;
              return resolve(retryAfterS * 1000);
            }
            if (status < 200 || status > 299)
              return fail(`HTTP ${status} ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`);
            tally.ok++;
            tally.latencies.push(performance.now() - sent);
            resolve(0);
          });
          res.on('error', (error) => fail(error.message));
        },
      );
      req.on('error', (error) => fail(error.message));
      req.end(spec.body);
    });

  const client = async (): Promise<void> => {
    while (running) {
      const waitMs = await once();
      if (waitMs > 0 && running) await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  };
  const clients = Array.from({ length: spec.clients }, client);
  const start = performance.now();
  let windowStart = start;
  for (let index = 0; index <= spec.windows; index++) {
    const length = index === 0 ? spec.warmupMs : spec.windowMs;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, windowStart + length - performance.now())),
    );
    const closed = tally;
    tally = newTally();
    const now = performance.now();
    closed.latencies.sort((a, b) => a - b);
    post({
      kind: 'window',
      index,
      elapsedMs: now - windowStart,
      ok: closed.ok,
      shed: closed.shed,
      errors: closed.errors,
      latenciesMs: closed.latencies,
      firstError: closed.firstError,
    });
    windowStart = now;
  }
  running = false;
  await Promise.all(clients);
  agent.destroy();
  post({ kind: 'done' });
}

// Forked with an IPC channel (api-goals.ts): the spec comes as the first message.
if (process.send !== undefined) {
  const post = (message: GoalLoadMessage): void => void process.send?.(message);
  process.once('message', (spec: GoalLoadSpec) => {
    run(spec, post).then(
      () => process.disconnect(),
      (error: unknown) =>
        post({ kind: 'error', error: error instanceof Error ? error.message : String(error) }),
    );
  });
}
