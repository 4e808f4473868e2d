/** Programs for the QuickJS driver: ES modules whose default export gets the input. */
import { createQuickJsDriver } from '../../src/adapters/sandbox/quickjs/driver.js';
import { SANDBOX_FILES_DIR, type SandboxProgram } from '../../src/ports/sandbox.js';
import type { SandboxKit } from './kit.js';

const js = (source: string, input?: string): SandboxProgram =>
  input === undefined ? { kind: 'javascript', source } : { kind: 'javascript', source, input };

const SPIN = 'export default () => { for (;;) {} }';
// The only network primitive a JavaScript tool could have is fetch, granted or absent.
const NETWORK = (url: string) =>
  `export default async () => { await fetch(${JSON.stringify(url)}); console.log('CONNECTED'); }`;

export const quickJsKit: SandboxKit = {
  name: 'quickjs',
  create: () => createQuickJsDriver({ poolSize: 2 }),
  print: (text) =>
    js(`export default () => { console.log(${JSON.stringify(text)}); return ${JSON.stringify(text)}; }`),
  fail: (code) => js(`export default () => { throw new Error('exit ${code}'); }`),
  echoInput: (input) => js('export default (input) => { console.log(input); return input; }', input),
  printEnv: () =>
    js(`export default () => {
      for (const [k, v] of Object.entries(astra.env)) console.log(k + '=' + v);
      console.log(Object.getOwnPropertyNames(globalThis).join('\\n'));
      console.log(typeof process, typeof require, typeof Deno, typeof Bun);
    }`),
  readFile: (path) =>
    js(`export default () => {
      const prefix = ${JSON.stringify(`${SANDBOX_FILES_DIR}/`)};
      const path = ${JSON.stringify(path)};
      const content = path.startsWith(prefix) ? astra.files[path.slice(prefix.length)] : undefined;
      if (content === undefined) throw new Error('no such file: ' + path);
      console.log(content);
      return content;
    }`),
  listFiles: () =>
    js(`export default () => {
      for (const [k, v] of Object.entries(astra.files)) console.log(k + '\\n' + v);
      for (const k of Object.getOwnPropertyNames(globalThis)) console.log(k);
    }`),
  spin: () => js(SPIN),
  block: () => js(SPIN),
  flood: () => js(`export default () => { for (;;) console.log('x'.repeat(1000)); }`),
  memoryBomb: () =>
    js(
      `export default () => { const a = []; for (;;) a.push({ n: a.length, s: 'x'.repeat(64) + a.length }); }`,
    ),
  connect: (target) => js(NETWORK(`http://${target.host}:${target.port}/`)),
  egressRequest: (url) =>
    js(`export default async () => {
      const response = await fetch(${JSON.stringify(url)});
      if (!response.ok) throw new Error('egress answered ' + response.status);
      return response.status;
    }`),
  omitted: {
    writeFile: 'QuickJS programs have no file system to write to',
    forkBomb: 'QuickJS programs have no way to start a process or thread',
    leaveProcesses: 'a QuickJS run is one interpreter on a thread the driver terminates; it has no processes',
  },
};
