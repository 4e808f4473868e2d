// @ts-check
// A WASI sandbox thread: runs one WebAssembly module (WASI preview 1) and ends. The main thread
// (src/adapters/sandbox/wasi/driver.ts) terminates it on the deadline. The module sees two preopened
// directories, /scratch (the run's writable directory) and /run/astra/files (the run's files, with
// every writing operation refused here), its arguments and the given environment; stdin, stdout and
// stderr are served by this file (capped), and the host's own descriptors 0-2 are replaced by
// /dev/null so no renumbering trick reaches them. Plain JavaScript outside src/, shared by the
// TypeScript sources (tests) and the build.
import { openSync } from 'node:fs';
import { WASI } from 'node:wasi';
import { parentPort, workerData } from 'node:worker_threads';

const port = parentPort;
if (port === null) throw new Error('wasi-thread.mjs runs only as a worker thread');

const ERRNO_NOTCAPABLE = 76;
// Every right that changes the file system (WASI preview 1 rights bits).
const WRITE_RIGHTS = [0, 3, 4, 6, 8, 9, 10, 11, 12, 16, 17, 19, 20, 22, 23, 24, 25, 26].reduce(
  (mask, bit) => mask | (1n << BigInt(bit)),
  0n,
);
const FILES_FD = 4;

/** @type {{module: Uint8Array, args: string[], env: Record<string, string>, stdin: Uint8Array,
 *   scratch: string, files: string, outputBytes: number, memoryBytes: number}} */
const job = workerData;
const devNull = () => openSync('/dev/null', 'r+');
const wasi = new WASI({
  version: 'preview1',
  args: job.args,
  env: job.env,
  preopens: { '/scratch': job.scratch, '/run/astra/files': job.files },
  returnOnExit: true,
  stdin: devNull(),
  stdout: devNull(),
  stderr: devNull(),
});

class OutputExceeded extends Error {}
/** @type {WebAssembly.Memory | undefined} */
let memory;
const written = [0, 0, 0];
let stdinAt = 0;
let outputExceeded = false;
const view = () => new DataView(/** @type {WebAssembly.Memory} */ (memory).buffer);

const imports = /** @type {Record<string, Record<string, Function>>} */ (wasi.getImportObject());
const native = imports.wasi_snapshot_preview1;
const guarded = {
  ...native,
  fd_write: (
    /** @type {number} */ fd,
    /** @type {number} */ iovs,
    /** @type {number} */ count,
    /** @type {number} */ out,
  ) => {
    if (fd !== 1 && fd !== 2) return native.fd_write(fd, iovs, count, out);
    const data = view();
    let total = 0;
    for (let i = 0; i < count; i++) {
      const address = data.getUint32(iovs + i * 8, true);
      const length = data.getUint32(iovs + i * 8 + 4, true);
      const bytes = new Uint8Array(length);
      bytes.set(new Uint8Array(data.buffer, address, length));
      port.postMessage({ type: 'output', fd, bytes }, [bytes.buffer]);
      total += length;
    }
    written[fd] += total;
    data.setUint32(out, total, true);
    if (written[fd] > job.outputBytes) {
      outputExceeded = true;
      throw new OutputExceeded();
    }
    return 0;
  },
  fd_read: (
    /** @type {number} */ fd,
    /** @type {number} */ iovs,
    /** @type {number} */ count,
    /** @type {number} */ out,
  ) => {
    if (fd !== 0) return native.fd_read(fd, iovs, count, out);
    const data = view();
    let total = 0;
    for (let i = 0; i < count && stdinAt < job.stdin.byteLength; i++) {
      const address = data.getUint32(iovs + i * 8, true);
      const length = Math.min(data.getUint32(iovs + i * 8 + 4, true), job.stdin.byteLength - stdinAt);
      new Uint8Array(data.buffer, address, length).set(job.stdin.subarray(stdinAt, stdinAt + length));
      stdinAt += length;
      total += length;
    }
    data.setUint32(out, total, true);
    return 0;
  },
  path_open: (
    /** @type {number} */ fd,
    /** @type {number} */ dirflags,
    /** @type {number} */ path,
    /** @type {number} */ length,
    /** @type {number} */ oflags,
    /** @type {bigint} */ base,
    /** @type {bigint} */ inheriting,
    /** @type {number} */ fdflags,
    /** @type {number} */ out,
  ) => {
    if (fd !== FILES_FD)
      return native.path_open(fd, dirflags, path, length, oflags, base, inheriting, fdflags, out);
    if (oflags !== 0 || (fdflags & 0x01) !== 0) return ERRNO_NOTCAPABLE;
    return native.path_open(
      fd,
      dirflags,
      path,
      length,
      0,
      base & ~WRITE_RIGHTS,
      inheriting & ~WRITE_RIGHTS,
      fdflags,
      out,
    );
  },
};
// Operations that change a directory, refused on the files directory.
for (const [name, fdArgs] of /** @type {const} */ ([
  ['path_create_directory', [0]],
  ['path_unlink_file', [0]],
  ['path_remove_directory', [0]],
  ['path_filestat_set_times', [0]],
  ['path_symlink', [2]],
  ['path_rename', [0, 3]],
  ['path_link', [0, 4]],
])) {
  const call = native[name];
  if (call === undefined) continue;
  guarded[name] = (/** @type {any[]} */ ...args) =>
    fdArgs.some((at) => args[at] === FILES_FD) ? ERRNO_NOTCAPABLE : call(...args);
}

/** @returns {Promise<{ok: true, exitCode: number} | {ok: false, reason: string, message?: string}>} */
async function run() {
  let instance;
  try {
    const module = await WebAssembly.compile(job.module);
    instance = await WebAssembly.instantiate(module, { ...imports, wasi_snapshot_preview1: guarded });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/memory/i.test(message) && /maximum|size|limit/i.test(message))
      return { ok: false, reason: 'memory', message };
    return { ok: false, reason: 'error', message: `the module does not instantiate: ${message}` };
  }
  memory = /** @type {WebAssembly.Memory} */ (instance.exports.memory);
  try {
    return { ok: true, exitCode: wasi.start(instance) };
  } catch (error) {
    if (outputExceeded) return { ok: false, reason: 'output' };
    const message = error instanceof Error ? error.message : String(error);
    // A trap with memory within an eighth of the cap is taken for a failed allocation.
    const margin = Math.max(65_536, job.memoryBytes / 8);
    const atCap = memory !== undefined && memory.buffer.byteLength + margin > job.memoryBytes;
    return { ok: false, reason: atCap ? 'memory' : 'error', message: `the module trapped: ${message}` };
  }
}

port.postMessage({ type: 'done', result: await run() });
