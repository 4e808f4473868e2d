// @ts-check
// The embedded database's own thread: PGlite (PostgreSQL in WASM) runs here, so a long statement
// never holds the main thread's event loop. The main thread (src/adapters/sql/pglite-thread.ts)
// sends wire-protocol bytes and gets PGlite's raw answer back; requests run one at a time, in the
// order they were sent. Plain JavaScript, outside src/: the same file serves the TypeScript sources
// (tests) and the build, which sit at the same depth (src/… and dist/…).
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';

const port = parentPort;
if (port === null) throw new Error('pglite-thread.mjs runs only as a worker thread');

/** @param {unknown} error */
const messageOf = (error) => (error instanceof Error ? error.message : String(error));

// pgvector's bundle, so semantic memory searches through an HNSW index (docs/memory.md); the
// extension is created only when a node prepares it (services/memory/vector-index.ts).
const extensions = { vector };

/**
 * PGlite's WebAssembly, compiled: the module the main thread hands over (compiled by an earlier
 * thread of the process), else compiled here from the package's file and handed back.
 * @param {WebAssembly.Module | undefined} given
 */
async function compiledPglite(given) {
  if (given !== undefined) return given;
  return WebAssembly.compile(
    await readFile(new URL('./pglite.wasm', import.meta.resolve('@electric-sql/pglite'))),
  );
}

/**
 * @param {{dataDir?: string, memory?: true, dump?: ArrayBuffer}} location
 * @param {WebAssembly.Module} pgliteWasmModule
 */
async function open(location, pgliteWasmModule) {
  if (location.dump !== undefined)
    return PGlite.create({ loadDataDir: new Blob([location.dump]), extensions, pgliteWasmModule });
  if (location.dataDir !== undefined)
    return PGlite.create(location.dataDir, { extensions, pgliteWasmModule });
  return PGlite.create({ extensions, pgliteWasmModule });
}

/** A copy the thread can give away: PGlite's answer may be a view into the WASM memory. */
const owned = (/** @type {Uint8Array} */ bytes) => {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
};

/** @param {PGlite} pglite @param {{op: string, bytes?: Uint8Array}} request */
async function run(pglite, request) {
  switch (request.op) {
    case 'exec': {
      const answer = owned(await pglite.execProtocolRaw(/** @type {Uint8Array} */ (request.bytes)));
      return { value: answer, transfer: [answer.buffer] };
    }
    case 'dump': {
      const dump = await (await pglite.dumpDataDir('none')).arrayBuffer();
      return { value: dump, transfer: [dump] };
    }
    case 'close':
      await pglite.close();
      return { value: null, transfer: [] };
    default:
      throw new Error(`unknown request ${request.op}`);
  }
}

try {
  const wasm = await compiledPglite(workerData.wasm);
  const pglite = await open(workerData.location, wasm);
  let queue = Promise.resolve();
  port.on('message', (/** @type {{id: number, op: string, bytes?: Uint8Array}} */ request) => {
    queue = queue.then(async () => {
      try {
        const { value, transfer } = await run(pglite, request);
        port.postMessage({ id: request.id, ok: true, value }, transfer);
      } catch (error) {
        port.postMessage({ id: request.id, ok: false, message: messageOf(error) });
      }
      if (request.op === 'close') port.close();
    });
  });
  port.postMessage({ ready: true, wasm });
} catch (error) {
  port.postMessage({ ready: false, message: messageOf(error) });
}
