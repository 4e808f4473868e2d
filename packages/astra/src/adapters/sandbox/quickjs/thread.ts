/**
 * One QuickJS sandbox thread (workers/quickjs-thread.mjs) seen from the main thread.
 *
 * States: starting → idle (a fresh WASM instance is prepared) → busy (one run) → recycling (the thread
 * prepares the next instance) → idle again; or → gone, when terminated on a deadline or when it dies.
 * A thread runs one program at a time; the pool hands out only idle threads.
 */
import { Worker } from 'node:worker_threads';

const THREAD_SCRIPT = new URL('../../../../workers/quickjs-thread.mjs', import.meta.url);

export interface QuickJsJob {
  readonly source: string;
  readonly input: string;
  readonly files: Readonly<Record<string, string>>;
  readonly env: Readonly<Record<string, string>>;
  readonly limits: { readonly cpuTimeMs: number; readonly memoryBytes: number; readonly outputBytes: number };
  readonly fetch: boolean;
}

/** What the thread reports for a run; `died` when the thread ended before reporting. */
export type QuickJsResult =
  | { readonly ok: true; readonly value?: string }
  | { readonly ok: false; readonly reason: 'output' | 'cpu' | 'memory' | 'error'; readonly message?: string }
  | { readonly ok: false; readonly reason: 'died'; readonly message: string };

export interface QuickJsRunHooks {
  readonly onOutput: (fd: 1 | 2, bytes: Uint8Array) => void;
  readonly onFetch: (id: number, request: string) => void;
}

type ThreadMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'output'; readonly fd: 1 | 2; readonly bytes: Uint8Array }
  | { readonly type: 'fetch'; readonly id: number; readonly request: string }
  | { readonly type: 'done'; readonly result: QuickJsResult };

export class QuickJsThread {
  private readonly worker: Worker;
  private hooks: QuickJsRunHooks | undefined;
  private finish: ((result: QuickJsResult) => void) | undefined;
  private ready = false;
  /** Handed to a caller by the pool and not yet given back. */
  reserved = false;
  gone = false;

  constructor(onIdle: (thread: QuickJsThread) => void, onGone: (thread: QuickJsThread) => void) {
    // The thread's V8 heap holds only the glue code and message buffers; the interpreter's memory is
    // WASM memory, bounded by the runtime's own limit.
    this.worker = new Worker(THREAD_SCRIPT, {
      env: {},
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
    });
    this.worker.unref();
    this.worker.on('message', (message: ThreadMessage) => {
      switch (message.type) {
        case 'ready':
          this.ready = true;
          onIdle(this);
          break;
        case 'output':
          this.hooks?.onOutput(message.fd, message.bytes);
          break;
        case 'fetch':
          this.hooks?.onFetch(message.id, message.request);
          break;
        case 'done':
          this.settle(message.result);
          break;
      }
    });
    const died = (message: string): void => {
      if (this.gone) return;
      this.gone = true;
      this.settle({ ok: false, reason: 'died', message });
      onGone(this);
    };
    this.worker.on('error', (error) => died(error.message));
    this.worker.on('exit', (code) => died(`the sandbox thread exited with code ${code}`));
  }

  get idle(): boolean {
    return this.ready && !this.reserved && !this.gone && this.finish === undefined;
  }

  run(job: QuickJsJob, hooks: QuickJsRunHooks): Promise<QuickJsResult> {
    this.ready = false;
    this.hooks = hooks;
    // Held referenced while it runs, so a process awaiting the outcome stays alive for it.
    this.worker.ref();
    return new Promise((resolve) => {
      this.finish = resolve;
      this.worker.postMessage({ type: 'run', job });
    });
  }

  answerFetch(id: number, ok: boolean, body: string): void {
    if (!this.gone) this.worker.postMessage({ type: 'fetch-answer', id, ok, body });
  }

  /** Ends the thread at once, whatever it runs; resolves when it is gone. */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  private settle(result: QuickJsResult): void {
    const finish = this.finish;
    this.finish = undefined;
    this.hooks = undefined;
    this.worker.unref();
    finish?.(result);
  }
}
