import { Duplex } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { AstraError } from '../../errors/index.js';

/**
 * PGlite on its own thread (workers/pglite-thread.mjs), reached through a socket-like stream that
 * node-postgres drives exactly as it drives a TCP connection to Postgres: pg writes wire-protocol
 * messages, the thread runs them through PGlite, the answer's bytes come back as the stream's data.
 * The main thread only frames and parses; planning, executing and writing the WAL happen on the
 * database thread, so one long statement no longer holds the event loop (docs/benchmark.md,
 * responsiveness).
 */
export type PgliteThreadLocation =
  | { readonly dataDir: string }
  | { readonly memory: true }
  | { readonly dump: ArrayBuffer };

const THREAD_SCRIPT = new URL('../../../workers/pglite-thread.mjs', import.meta.url);
/** The frontend's Terminate message: PGlite has one session, which outlives any client. */
const TERMINATE = 0x58;
/**
 * An answer is handed to node-postgres this many bytes at a time, one turn of the event loop each:
 * pg parses every row of what it is given at once, and the answer of a read of 10,000 rows held the
 * loop for hundreds of milliseconds (docs/benchmark.md, responsiveness). A TCP socket delivers a
 * large answer in pieces the same way.
 */
const ANSWER_SLICE_BYTES = 64 * 1024;

type Answer = { readonly id: number; readonly ok: true; readonly value: unknown } | FailedAnswer;
type FailedAnswer = { readonly id: number; readonly ok: false; readonly message: string };
type Started =
  | { readonly ready: true; readonly wasm: unknown }
  | { readonly ready: false; readonly message: string };

/**
 * PGlite's compiled WebAssembly (a WebAssembly.Module, opaque here), handed back by the first
 * thread of the process and given to every later one: compiling its 9 MB again cost each start
 * about 0.4 s of CPU (a test file starts dozens). Threads of one process share compiled code.
 */
let compiledPglite: unknown;

const unavailable = (reason: string, cause?: unknown): AstraError =>
  new AstraError('ASTRA_STORE_UNAVAILABLE', `the embedded database (PGlite) ${reason}`, {
    ...(cause === undefined ? {} : { cause }),
  });

export class PgliteThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  #nextId = 1;
  #failure: AstraError | null = null;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (answer: Answer) => {
      const waiting = this.#pending.get(answer.id);
      if (waiting === undefined) return;
      this.#pending.delete(answer.id);
      if (answer.ok) waiting.resolve(answer.value);
      else waiting.reject(unavailable(`failed: ${answer.message}`));
    });
    worker.on('error', (error) => this.#fail(unavailable(`thread failed: ${error.message}`, error)));
    worker.on('exit', (code) => this.#fail(unavailable(`thread exited (code ${code})`)));
  }

  /** Starts the thread and opens the database in it; rejects with ASTRA_STORE_UNAVAILABLE if it cannot. */
  static async start(location: PgliteThreadLocation): Promise<PgliteThread> {
    const transfer = 'dump' in location ? [location.dump] : [];
    const worker = new Worker(THREAD_SCRIPT, {
      workerData: { location, wasm: compiledPglite },
      transferList: transfer,
    });
    const started = await new Promise<Started>((resolve) => {
      worker.once('message', resolve);
      worker.once('error', (error) => resolve({ ready: false, message: error.message }));
      worker.once('exit', (code) => resolve({ ready: false, message: `the thread exited (code ${code})` }));
    });
    if (!started.ready) {
      await worker.terminate();
      throw unavailable(`could not start: ${started.message}`);
    }
    compiledPglite ??= started.wasm;
    return new PgliteThread(worker);
  }

  /** Runs wire-protocol bytes; resolves with PGlite's answer, in the order requests were made. */
  exec(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
    return this.#request('exec', bytes) as Promise<Uint8Array>;
  }

  /** A tar of the whole data directory (PGlite's dumpDataDir), after every earlier request. */
  async dump(): Promise<Blob> {
    return new Blob([(await this.#request('dump')) as ArrayBuffer]);
  }

  /** Closes the database and ends the thread (after every earlier request). */
  async close(): Promise<void> {
    if (this.#failure !== null) return;
    await this.#request('close');
    await this.#worker.terminate();
  }

  /** A fresh stream over this database for one node-postgres connection. */
  socket(): Duplex {
    return new ThreadSocket(this);
  }

  #request(op: 'exec' | 'dump' | 'close', bytes?: Uint8Array<ArrayBuffer>): Promise<unknown> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, op, bytes }, bytes === undefined ? [] : [bytes.buffer]);
    });
  }

  #fail(error: AstraError): void {
    if (this.#failure !== null) return;
    this.#failure = error;
    for (const waiting of this.#pending.values()) waiting.reject(error);
    this.#pending.clear();
  }
}

/**
 * What node-postgres sees as its socket. Writes of one turn of the event loop (pg writes parse,
 * bind, describe, execute and sync one by one) go to the thread as one request, as a socket would
 * carry them in one packet; answers are pushed in request order, a large one in slices.
 */
class ThreadSocket extends Duplex {
  readonly #thread: PgliteThread;
  #batch: Buffer[] = [];
  #answers: Promise<void> = Promise.resolve();

  constructor(thread: PgliteThread) {
    super();
    this.#thread = thread;
  }

  // The calls node-postgres makes on a net.Socket.
  connect(): this {
    process.nextTick(() => this.emit('connect'));
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    if (chunk[0] !== TERMINATE || chunk.length !== 5) {
      if (this.#batch.length === 0) process.nextTick(() => this.#send());
      this.#batch.push(chunk);
    }
    done();
  }

  override _final(done: (error?: Error | null) => void): void {
    // Every answer already asked for is delivered before the stream ends.
    void this.#answers.then(() => {
      this.push(null);
      done();
    });
  }

  #send(): void {
    const bytes = new Uint8Array(Buffer.concat(this.#batch));
    this.#batch = [];
    const answer = this.#thread.exec(bytes);
    this.#answers = this.#answers
      .then(() => answer)
      .then(
        (data) => this.#deliver(Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
        (error: Error) => void this.destroy(error),
      );
  }

  /** Pushes one answer; the next answer waits until every slice of this one is pushed. */
  async #deliver(data: Buffer): Promise<void> {
    for (let at = 0; ; at += ANSWER_SLICE_BYTES) {
      this.push(data.subarray(at, at + ANSWER_SLICE_BYTES));
      if (at + ANSWER_SLICE_BYTES >= data.length) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
