/**
 * The QuickJS sandbox driver: JavaScript tools run in QuickJS compiled to WASM, on a warm pool of
 * worker threads (pool.ts). Limits: wall time by terminating the thread; CPU time by QuickJS's
 * interrupt handler, counting only time inside the interpreter (not time awaiting `fetch`); memory
 * by the runtime's allocation limit; output by the console and result size. The program has no file
 * system, no processes, no timers, no modules and no network: the only capabilities are `console`,
 * `astra.input`, `astra.files`, `astra.env`, and `fetch` when the request grants `egress.fetch`.
 */
import type { SandboxDriver, SandboxLimits, SandboxOutcome, SandboxRequest } from '../../../ports/sandbox.js';
import { RunLifecycle } from '../lifecycle.js';
import { failure, notRun, OutputCapture, outputOf, success } from '../outcome.js';
import { invalidRequest, resolveRequest, SANDBOX_LIMIT_DEFAULTS } from '../request.js';
import { QuickJsPool } from './pool.js';
import type { QuickJsResult, QuickJsThread } from './thread.js';

export interface QuickJsDriverOptions {
  /** Threads kept warm; also the most programs running at once (more wait their turn). */
  readonly poolSize?: number;
  /** Limits for what a request leaves out. */
  readonly limits?: Partial<SandboxLimits>;
}

export const QUICKJS_DRIVER_DEFAULTS = { poolSize: 4 } as const;

export function createQuickJsDriver(options: QuickJsDriverOptions = {}): SandboxDriver {
  const defaults = { ...SANDBOX_LIMIT_DEFAULTS, ...options.limits };
  const poolSize = options.poolSize ?? QUICKJS_DRIVER_DEFAULTS.poolSize;
  let pool: Promise<QuickJsPool> | undefined;
  const getPool = (): Promise<QuickJsPool> => {
    pool ??= Promise.resolve(new QuickJsPool(poolSize));
    return pool;
  };

  async function execute(request: SandboxRequest, signal: AbortSignal | undefined): Promise<SandboxOutcome> {
    const resolved = resolveRequest(request, 'javascript', defaults);
    const { limits, program, egress } = resolved;
    let input: string;
    try {
      input = JSON.stringify(program.input ?? null);
    } catch {
      throw invalidRequest('the program input must be JSON-serializable');
    }
    const threads = await getPool().catch(() => undefined);
    if (threads === undefined) return notRun('ASTRA_SANDBOX_UNAVAILABLE', limits, 'QuickJS failed to load.');
    const thread = await threads.acquire(signal);
    const stdout = new OutputCapture(limits.outputBytes);
    const stderr = new OutputCapture(limits.outputBytes);
    if (thread === undefined) {
      if (lifecycle.closed) return lifecycle.closedOutcome(limits);
      return failure('ASTRA_SANDBOX_CANCELLED', limits, outputOf(stdout, stderr, 0));
    }
    const started = performance.now();
    const egressAbort = new AbortController();
    const env = Object.fromEntries(Object.entries(request.env ?? {}));
    const files = Object.fromEntries(
      resolved.files.map((file) => [file.path, Buffer.from(file.content).toString('utf8')]),
    );
    let stopped: 'timeout' | 'cancelled' | undefined;
    const stop = (why: 'timeout' | 'cancelled'): void => {
      stopped ??= why;
      void thread.terminate();
    };
    const timer = setTimeout(() => stop('timeout'), limits.wallTimeMs);
    const onAbort = (): void => stop('cancelled');
    signal?.addEventListener('abort', onAbort, { once: true });
    let result: QuickJsResult;
    try {
      result = await thread.run(
        { source: program.source, input, files, env, limits, fetch: egress?.fetch !== undefined },
        {
          onOutput: (fd, bytes) => {
            (fd === 2 ? stderr : stdout).push(bytes);
          },
          onFetch: (id, text) => answerFetch(thread, egress?.fetch, egressAbort.signal, id, text),
        },
      );
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      egressAbort.abort();
    }
    const output = outputOf(stdout, stderr, performance.now() - started);
    if (stopped === 'timeout') return failure('ASTRA_SANDBOX_TIMEOUT', limits, output);
    if (stopped === 'cancelled') return failure('ASTRA_SANDBOX_CANCELLED', limits, output);
    if (result.ok)
      return success(output, 0, result.value === undefined ? undefined : JSON.parse(result.value));
    switch (result.reason) {
      case 'output':
        return failure('ASTRA_SANDBOX_OUTPUT_LIMIT', limits, output);
      case 'cpu':
        return failure('ASTRA_SANDBOX_CPU_LIMIT', limits, output);
      case 'memory':
        return failure('ASTRA_SANDBOX_MEMORY_LIMIT', limits, output);
      case 'died':
        return failure('ASTRA_SANDBOX_FAILED', limits, output, { detail: result.message });
      case 'error': {
        const code =
          (egress?.refusals?.() ?? 0) > 0 ? 'ASTRA_SANDBOX_EGRESS_REFUSED' : 'ASTRA_SANDBOX_PROGRAM_ERROR';
        return failure(code, limits, output, { detail: result.message ?? '' });
      }
    }
  }

  const lifecycle = new RunLifecycle(defaults, execute);
  return {
    kind: 'quickjs',
    programKind: 'javascript',
    async available() {
      try {
        await getPool();
        return {
          ok: true,
          enforcement: {
            cpuTime: true,
            memory: true,
            processes: true,
            notes: ['a program is one interpreter: it cannot start processes or threads'],
          },
        };
      } catch (error) {
        return { ok: false, reason: `QuickJS failed to load: ${(error as Error).message}` };
      }
    },
    run: lifecycle.run,
    close: () =>
      lifecycle.close(async () => {
        if (pool !== undefined) await (await pool).close();
      }),
  };
}

function answerFetch(
  thread: QuickJsThread,
  fetch: NonNullable<SandboxRequest['egress']>['fetch'],
  signal: AbortSignal,
  id: number,
  text: string,
): void {
  if (fetch === undefined) {
    thread.answerFetch(id, false, 'fetch is not granted');
    return;
  }
  let request: Parameters<typeof fetch>[0];
  try {
    request = JSON.parse(text);
  } catch {
    thread.answerFetch(id, false, 'malformed fetch request');
    return;
  }
  fetch(request, signal).then(
    (response) => thread.answerFetch(id, true, JSON.stringify(response)),
    (error: unknown) => thread.answerFetch(id, false, error instanceof Error ? error.message : String(error)),
  );
}
