/**
 * The warm pool of QuickJS threads: `size` threads kept started, each with a fresh WASM instance
 * ready, so a run starts without spawning a thread or compiling anything. A run takes an idle thread
 * or waits for one in arrival order; a thread terminated on a deadline is replaced at once.
 */
import { QuickJsThread } from './thread.js';

export class QuickJsPool {
  private readonly threads = new Set<QuickJsThread>();
  private readonly waiters: ((thread: QuickJsThread | undefined) => void)[] = [];
  private closed = false;

  constructor(private readonly size: number) {
    for (let i = 0; i < size; i++) this.spawn();
  }

  /** Resolves an idle thread, now reserved for the caller; undefined when aborted or closed. */
  acquire(signal?: AbortSignal): Promise<QuickJsThread | undefined> {
    if (this.closed || signal?.aborted) return Promise.resolve(undefined);
    const idle = [...this.threads].find((thread) => thread.idle);
    if (idle !== undefined) return Promise.resolve(this.reserve(idle));
    return new Promise((resolve) => {
      // Idle threads do not hold the process open; a caller waiting for one does.
      const keepAlive = setInterval(() => undefined, 60_000);
      const waiter = (thread: QuickJsThread | undefined): void => {
        clearInterval(keepAlive);
        signal?.removeEventListener('abort', onAbort);
        resolve(thread);
      };
      const onAbort = (): void => {
        clearInterval(keepAlive);
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Ends every thread; waiting acquirers get undefined. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
    await Promise.all([...this.threads].map((thread) => thread.terminate()));
    this.threads.clear();
  }

  private reserve(thread: QuickJsThread): QuickJsThread {
    thread.reserved = true;
    return thread;
  }

  private spawn(): void {
    if (this.closed) return;
    const thread = new QuickJsThread(
      (ready) => this.offer(ready),
      (gone) => {
        this.threads.delete(gone);
        if (this.threads.size < this.size) this.spawn();
      },
    );
    this.threads.add(thread);
  }

  private offer(thread: QuickJsThread): void {
    thread.reserved = false;
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(this.reserve(thread));
  }
}
