// @ts-check
// A QuickJS sandbox thread: runs one JavaScript program at a time in QuickJS compiled to WASM.
// The main thread (src/adapters/sandbox/quickjs/thread.ts) terminates this thread on a deadline.
// Every run gets a WASM instance of its own (its own linear memory, its own runtime and context),
// instantiated while the thread is idle, so start-up costs a runtime, not a compilation, and no
// run can see what another left in memory. Inside, the program sees only what is injected here:
// `console`, `astra` (input, files, env) and `fetch` when granted. No host file system, no network,
// no timers, no modules. Plain JavaScript outside src/: the TypeScript sources (tests) and the build
// (dist/) sit at the same depth and share this file.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parentPort } from 'node:worker_threads';
import variant from '@jitl/quickjs-wasmfile-release-sync';
import { newQuickJSWASMModuleFromVariant, newVariant } from 'quickjs-emscripten-core';

const port = parentPort;
if (port === null) throw new Error('quickjs-thread.mjs runs only as a worker thread');

// Compiled once per thread; every run instantiates it afresh.
const wasmModule = await WebAssembly.compile(
  await readFile(fileURLToPath(import.meta.resolve('@jitl/quickjs-wasmfile-release-sync/wasm'))),
);
const instantiate = () => newQuickJSWASMModuleFromVariant(newVariant(variant, { wasmModule }));

// Defines fetch (when granted) and console over the host functions, then hides the host functions.
const PRELUDE = `(() => {
  const host = globalThis.__astraHost;
  delete globalThis.__astraHost;
  const text = (args) => args.map((a) => typeof a === 'string' ? a : (() => { try { return JSON.stringify(a); } catch { return String(a); } })()).join(' ') + '\\n';
  const out = (args) => host.write(1, text(args));
  const err = (args) => host.write(2, text(args));
  globalThis.console = Object.freeze({ log: (...a) => out(a), info: (...a) => out(a), warn: (...a) => err(a), error: (...a) => err(a) });
  if (host.fetch !== undefined) {
    const call = host.fetch;
    globalThis.fetch = async (url, init = {}) => {
      const headers = {};
      for (const [k, v] of Object.entries(init.headers ?? {})) headers[String(k).toLowerCase()] = String(v);
      const request = { url: String(url), method: String(init.method ?? 'GET').toUpperCase(), headers };
      if (init.body !== undefined) request.body = String(init.body);
      const answer = JSON.parse(await call(JSON.stringify(request)));
      return Object.freeze({
        status: answer.status, ok: answer.status >= 200 && answer.status < 300,
        headers: Object.freeze({ get: (name) => answer.headers[String(name).toLowerCase()] ?? null }),
        text: async () => answer.body, json: async () => JSON.parse(answer.body),
      });
    };
  }
})()`;

/** @param {import('quickjs-emscripten-core').QuickJSContext} vm @param {import('quickjs-emscripten-core').QuickJSHandle} handle */
function describeError(vm, handle) {
  const dumped = vm.dump(handle);
  if (dumped !== null && typeof dumped === 'object') {
    const name = typeof dumped.name === 'string' ? dumped.name : 'Error';
    const message = typeof dumped.message === 'string' ? dumped.message : JSON.stringify(dumped);
    const stack = typeof dumped.stack === 'string' && dumped.stack !== '' ? `\n${dumped.stack}` : '';
    return { name, message, text: `${name}: ${message}${stack}` };
  }
  return { name: 'Error', message: String(dumped), text: `uncaught ${JSON.stringify(dumped)}` };
}

/**
 * @param {import('quickjs-emscripten-core').QuickJSWASMModule} module
 * @param {{source: string, input: string, files: Record<string, string>, env: Record<string, string>,
 *   limits: {cpuTimeMs: number, memoryBytes: number, outputBytes: number}, fetch: boolean}} job
 */
async function run(module, job) {
  const { limits } = job;
  let spentMs = 0;
  /** @type {number | undefined} */
  let sliceStart;
  const written = [0, 0, 0];
  let outputExceeded = false;
  let fetchId = 0;
  /** @type {Map<number, import('quickjs-emscripten-core').QuickJSDeferredPromise>} */
  const pending = new Map();
  /** @type {(() => void) | undefined} */
  let wake;

  const runtime = module.newRuntime();
  runtime.setMemoryLimit(limits.memoryBytes);
  runtime.setMaxStackSize(1024 * 1024);
  runtime.setInterruptHandler(
    () =>
      outputExceeded ||
      (sliceStart !== undefined && spentMs + (performance.now() - sliceStart) > limits.cpuTimeMs),
  );
  const vm = runtime.newContext();

  /** Runs `work` as interpreter time, the time the CPU limit counts. @template T @param {() => T} work */
  const slice = (work) => {
    sliceStart = performance.now();
    try {
      return work();
    } finally {
      spentMs += performance.now() - sliceStart;
      sliceStart = undefined;
    }
  };

  /** @param {string} error @param {string} name */
  const classify = (error, name) => {
    if (outputExceeded) return { ok: false, reason: 'output' };
    if (name === 'InternalError' && /interrupted/.test(error)) return { ok: false, reason: 'cpu' };
    if (/out of memory/.test(error) || (name === 'RangeError' && /stack overflow/i.test(error)))
      return { ok: false, reason: 'memory', message: error };
    return { ok: false, reason: 'error', message: error };
  };

  /** @param {import('quickjs-emscripten-core').QuickJSHandle} errorHandle */
  const fail = (errorHandle) => {
    const error = describeError(vm, errorHandle);
    return classify(error.text, error.name);
  };

  /** Drives `handle` (maybe a promise) until it settles. @param {import('quickjs-emscripten-core').QuickJSHandle} handle */
  const settle = async (handle) => {
    for (;;) {
      const jobs = slice(() => runtime.executePendingJobs());
      if (jobs.error) return { error: jobs.error };
      const state = vm.getPromiseState(handle);
      if (state.type === 'fulfilled') return { value: state.value };
      if (state.type === 'rejected') return { error: state.error };
      if (pending.size === 0) return { stuck: true };
      await new Promise((resolve) => {
        wake = () => resolve(undefined);
      });
    }
  };

  const host = vm.newObject();
  const write = vm.newFunction('write', (fdHandle, textHandle) => {
    const fd = vm.getNumber(fdHandle) === 2 ? 2 : 1;
    const bytes = new TextEncoder().encode(vm.getString(textHandle));
    written[fd] += bytes.byteLength;
    if (written[fd] > limits.outputBytes) outputExceeded = true;
    port.postMessage({ type: 'output', fd, bytes }, [bytes.buffer]);
  });
  vm.setProp(host, 'write', write);
  if (job.fetch) {
    const hostFetch = vm.newFunction('fetch', (requestHandle) => {
      const id = ++fetchId;
      const deferred = vm.newPromise();
      pending.set(id, deferred);
      port.postMessage({ type: 'fetch', id, request: vm.getString(requestHandle) });
      return deferred.handle;
    });
    vm.setProp(host, 'fetch', hostFetch);
  }
  vm.setProp(vm.global, '__astraHost', host);
  const onFetchAnswer = (/** @type {{type: string, id: number, ok: boolean, body: string}} */ message) => {
    if (message.type !== 'fetch-answer') return;
    const deferred = pending.get(message.id);
    if (deferred === undefined) return;
    pending.delete(message.id);
    if (message.ok) deferred.resolve(vm.newString(message.body));
    else deferred.reject(vm.newError({ name: 'TypeError', message: message.body }));
    wake?.();
  };
  port.on('message', onFetchAnswer);
  try {
    const prelude = slice(() => vm.evalCode(PRELUDE, 'prelude.js'));
    if (prelude.error) return fail(prelude.error);
    const astra = slice(() =>
      vm.evalCode(
        `Object.freeze({ input: ${job.input}, files: Object.freeze(${JSON.stringify(job.files)}), env: Object.freeze(${JSON.stringify(job.env)}) })`,
        'astra.js',
      ),
    );
    if (astra.error) return fail(astra.error);
    vm.setProp(vm.global, 'astra', astra.value);
    const evaluated = slice(() => vm.evalCode(job.source, 'tool.js', { type: 'module' }));
    if (evaluated.error) return fail(evaluated.error);
    const namespace = await settle(evaluated.value);
    if ('error' in namespace) return fail(namespace.error);
    if ('stuck' in namespace)
      return { ok: false, reason: 'error', message: 'the module awaited something that never settled' };
    const main = vm.getProp(namespace.value, 'default');
    if (vm.typeof(main) !== 'function')
      return {
        ok: false,
        reason: 'error',
        message: 'the module must export a default function: export default function (input) { … }',
      };
    const input = vm.getProp(astra.value, 'input');
    const called = slice(() => vm.callFunction(main, vm.undefined, input));
    if (called.error) return fail(called.error);
    const result = await settle(called.value);
    if ('error' in result) return fail(result.error);
    if ('stuck' in result)
      return {
        ok: false,
        reason: 'error',
        message: 'the default export returned a promise that never settled',
      };
    if (outputExceeded) return { ok: false, reason: 'output' };
    const json = vm.getProp(vm.global, 'JSON');
    const stringify = vm.getProp(json, 'stringify');
    const text = slice(() => vm.callFunction(stringify, json, result.value));
    if (text.error) return fail(text.error);
    if (vm.typeof(text.value) === 'undefined') return { ok: true };
    const value = vm.getString(text.value);
    if (Buffer.byteLength(value) > limits.outputBytes) return { ok: false, reason: 'output' };
    return { ok: true, value };
  } finally {
    port.off('message', onFetchAnswer);
    // Handles are not disposed one by one: the whole WASM instance is dropped after this run.
  }
}

let next = await instantiate();
port.on('message', async (/** @type {{type: string}} */ message) => {
  if (message.type !== 'run') return;
  const job = /** @type {any} */ (message).job;
  let result;
  try {
    result = await run(next, job);
  } catch (error) {
    // The interpreter itself gave up (typically while out of memory): the instance is dropped anyway.
    const text = error instanceof Error ? error.message : String(error);
    result = {
      ok: false,
      reason: /out of memory|memory access out of bounds/i.test(text) ? 'memory' : 'error',
      message: text,
    };
  }
  port.postMessage({ type: 'done', result });
  next = await instantiate();
  port.postMessage({ type: 'ready' });
});
port.postMessage({ type: 'ready' });
