/**
 * The WASI sandbox driver: a WebAssembly module (WASI preview 1) runs on a worker thread of its own
 * (workers/wasi-thread.mjs), created for the run and terminated at its deadline. The module's
 * memories are capped at the memory limit before it is compiled (memory-cap.ts); its only
 * directories are the run's scratch and a per-run copy of its files, where every writing operation
 * is refused; stdin, stdout and stderr go through the thread, capped. WASI preview 1 has no way to
 * open a connection, so a module has no network at all. CPU time is not measured apart from wall
 * time (a running module cannot be interrupted, only its thread terminated): `available()` says so.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SandboxDriver, SandboxLimits, SandboxOutcome, SandboxRequest } from '../../../ports/sandbox.js';
import { RunLifecycle } from '../lifecycle.js';
import { failure, OutputCapture, outputOf, success } from '../outcome.js';
import { invalidRequest, resolveRequest, SANDBOX_LIMIT_DEFAULTS } from '../request.js';
import { createRunDir, DEFAULT_SANDBOX_ROOT } from '../run-dir.js';
import { RunSlots } from '../slots.js';
import { capModuleMemory } from './memory-cap.js';

const THREAD_SCRIPT = new URL('../../../../workers/wasi-thread.mjs', import.meta.url);

export interface WasiDriverOptions {
  /** Host directory holding the per-run directories. */
  readonly rootDir?: string;
  /** Runs at once; more wait their turn. */
  readonly slots?: number;
  readonly limits?: Partial<SandboxLimits>;
}

export const WASI_DRIVER_DEFAULTS = { slots: 4 } as const;

type ThreadResult =
  | { readonly ok: true; readonly exitCode: number }
  | { readonly ok: false; readonly reason: 'output' | 'memory' | 'error'; readonly message?: string };

type ThreadMessage =
  | { readonly type: 'output'; readonly fd: 1 | 2; readonly bytes: Uint8Array }
  | { readonly type: 'done'; readonly result: ThreadResult };

export function createWasiDriver(options: WasiDriverOptions = {}): SandboxDriver {
  const defaults = { ...SANDBOX_LIMIT_DEFAULTS, ...options.limits };
  const rootDir = options.rootDir ?? DEFAULT_SANDBOX_ROOT;
  const slots = new RunSlots(options.slots ?? WASI_DRIVER_DEFAULTS.slots);

  async function execute(request: SandboxRequest, signal: AbortSignal | undefined): Promise<SandboxOutcome> {
    const resolved = resolveRequest(request, 'wasm', defaults);
    const { limits, program } = resolved;
    let module: Uint8Array;
    try {
      module = capModuleMemory(program.module, limits.memoryBytes);
    } catch (error) {
      throw invalidRequest(`the wasm module is malformed: ${(error as Error).message}`);
    }
    const stdout = new OutputCapture(limits.outputBytes);
    const stderr = new OutputCapture(limits.outputBytes);
    const slot = await slots.acquire(signal);
    if (slot === undefined) return failure('ASTRA_SANDBOX_CANCELLED', limits, outputOf(stdout, stderr, 0));
    const runDir = await createRunDir(rootDir);
    try {
      const files = path.join(runDir.dir, 'files');
      await mkdir(files, { mode: 0o700 });
      for (const file of resolved.files) {
        const target = path.join(files, file.path);
        await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
        await writeFile(target, file.content, { mode: 0o400 });
      }
      const stdin =
        typeof program.stdin === 'string' ? new TextEncoder().encode(program.stdin) : program.stdin;
      const started = performance.now();
      const ended = await runThread(
        {
          module,
          args: [...(program.args ?? ['program'])],
          env: resolved.env,
          stdin: stdin ?? new Uint8Array(0),
          scratch: runDir.scratch,
          files,
          outputBytes: limits.outputBytes,
          memoryBytes: limits.memoryBytes,
        },
        { stdout, stderr, wallTimeMs: limits.wallTimeMs, signal },
      );
      const output = outputOf(stdout, stderr, performance.now() - started);
      if (ended.stopped === 'timeout') return failure('ASTRA_SANDBOX_TIMEOUT', limits, output);
      if (ended.stopped === 'cancelled') return failure('ASTRA_SANDBOX_CANCELLED', limits, output);
      if (ended.stopped === 'output') return failure('ASTRA_SANDBOX_OUTPUT_LIMIT', limits, output);
      const result = ended.result;
      if (result === undefined)
        return failure('ASTRA_SANDBOX_FAILED', limits, output, { detail: ended.error ?? '' });
      if (result.ok) return success(output, result.exitCode);
      if (result.reason === 'output') return failure('ASTRA_SANDBOX_OUTPUT_LIMIT', limits, output);
      if (result.reason === 'memory')
        return failure('ASTRA_SANDBOX_MEMORY_LIMIT', limits, output, { detail: result.message ?? '' });
      return failure('ASTRA_SANDBOX_PROGRAM_ERROR', limits, output, { detail: result.message ?? '' });
    } finally {
      await runDir.remove();
      slots.release(slot);
    }
  }

  const lifecycle = new RunLifecycle(defaults, execute);
  return {
    kind: 'wasi',
    programKind: 'wasm',
    async available() {
      if (typeof (globalThis as { WebAssembly?: unknown }).WebAssembly !== 'object')
        return { ok: false, reason: 'this Node.js has no WebAssembly' };
      return {
        ok: true,
        enforcement: {
          cpuTime: false,
          memory: true,
          processes: true,
          notes: [
            'CPU time is bounded by the wall-time limit only: a running module cannot be interrupted',
            'a module has no processes or threads; WASI preview 1 has no sockets to open',
          ],
        },
      };
    },
    run: lifecycle.run,
    close: () => lifecycle.close(),
  };
}

interface ThreadEnd {
  readonly stopped?: 'timeout' | 'cancelled' | 'output';
  readonly result?: ThreadResult;
  readonly error?: string;
}

function runThread(
  job: Record<string, unknown>,
  watch: {
    readonly stdout: OutputCapture;
    readonly stderr: OutputCapture;
    readonly wallTimeMs: number;
    readonly signal: AbortSignal | undefined;
  },
): Promise<ThreadEnd> {
  return new Promise((resolve) => {
    const worker = new Worker(THREAD_SCRIPT, {
      workerData: job,
      env: {},
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
    });
    let stopped: ThreadEnd['stopped'];
    let result: ThreadResult | undefined;
    let error: string | undefined;
    const stop = (why: NonNullable<ThreadEnd['stopped']>): void => {
      stopped ??= why;
      void worker.terminate();
    };
    const timer = setTimeout(() => stop('timeout'), watch.wallTimeMs);
    const onAbort = (): void => stop('cancelled');
    watch.signal?.addEventListener('abort', onAbort, { once: true });
    if (watch.signal?.aborted) stop('cancelled');
    worker.on('message', (message: ThreadMessage) => {
      if (message.type === 'output') {
        if (!(message.fd === 2 ? watch.stderr : watch.stdout).push(message.bytes)) stop('output');
      } else result = message.result;
    });
    worker.on('error', (thrown) => {
      error = thrown.message;
    });
    worker.on('exit', () => {
      clearTimeout(timer);
      watch.signal?.removeEventListener('abort', onAbort);
      resolve({
        ...(stopped === undefined ? {} : { stopped }),
        ...(result === undefined ? {} : { result }),
        ...(error === undefined ? {} : { error }),
      });
    });
  });
}
