/**
 * Programs for the WASI driver, encoded by hand (wasm-builder.ts). A module reaches files only
 * through its two preopened directories: fd 3 is /scratch, fd 4 is /run/astra/files; any other
 * absolute path is tried as an escape from /scratch (`../../etc/shadow`).
 */
import { createWasiDriver } from '../../src/adapters/sandbox/wasi/driver.js';
import { SANDBOX_FILES_DIR, SANDBOX_SCRATCH_DIR, type SandboxProgram } from '../../src/ports/sandbox.js';
import type { SandboxKit } from './kit.js';
import { op, wasiModule, write } from './wasm-builder.js';

const TEXT = 1024;
const PATH = 2048;
const BUFFER = 4096;
const ENV_POINTERS = 3072;
const ENV_BUFFER = 8192;
const FD_READ = 1n << 1n;
const FD_WRITE = 1n << 6n;
const ifThen = (body: number[]): number[] => [0x04, 0x40, ...body, 0x0b];
const bytes = (text: string): number => new TextEncoder().encode(text).byteLength;

const wasm = (
  body: number[],
  data: { address: number; text: string }[] = [],
  stdin?: string,
): SandboxProgram => {
  const module = wasiModule({ body, data });
  return stdin === undefined ? { kind: 'wasm', module } : { kind: 'wasm', module, stdin };
};

/** Which preopen and relative path an absolute path is tried through. */
function locate(path: string): { fd: number; relative: string } {
  if (path.startsWith(`${SANDBOX_SCRATCH_DIR}/`))
    return { fd: 3, relative: path.slice(SANDBOX_SCRATCH_DIR.length + 1) };
  if (path.startsWith(`${SANDBOX_FILES_DIR}/`))
    return { fd: 4, relative: path.slice(SANDBOX_FILES_DIR.length + 1) };
  return { fd: 3, relative: `../..${path}` };
}

const open = (fd: number, relative: string, oflags: number, rights: bigint): number[] => [
  ...op.i32(fd),
  ...op.i32(0),
  ...op.i32(PATH),
  ...op.i32(bytes(relative)),
  ...op.i32(oflags),
  ...op.i64(rights),
  ...op.i64(rights),
  ...op.i32(0),
  ...op.i32(12),
  ...op.call('path_open'),
];

/** Copies what the descriptor (the instructions that push it) reads, to stdout, until end of file. */
const copyToStdout = (fd: number[]): number[] =>
  op.block(
    op.loop([
      ...op.store(0, op.i32(BUFFER)),
      ...op.store(4, op.i32(4096)),
      ...fd,
      ...op.i32(0),
      ...op.i32(1),
      ...op.i32(8),
      ...op.call('fd_read'),
      ...op.exitOnError,
      ...op.load(8),
      ...op.eqz,
      ...op.brIf(1),
      ...write(1, BUFFER, op.load(8)),
      ...op.br(0),
    ]),
  );

/** Copies the file open at fd load(12) to stdout. */
const copyOpenFile = (): number[] => copyToStdout(op.load(12));

const readdir = (fd: number): number[] => [
  ...op.i32(fd),
  ...op.i32(BUFFER),
  ...op.i32(4096),
  ...op.i64(0n),
  ...op.i32(8),
  ...op.call('fd_readdir'),
  ...op.eqz,
  ...ifThen(write(1, BUFFER, op.load(8))),
];

const SPIN = (): number[] => op.loop(op.br(0));

export const wasiKit: SandboxKit = {
  name: 'wasi',
  create: () => createWasiDriver(),
  print: (text) => wasm(write(1, TEXT, bytes(`${text}\n`)), [{ address: TEXT, text: `${text}\n` }]),
  fail: (code) => wasm([...op.i32(code), ...op.call('proc_exit')]),
  echoInput: (input) => wasm(copyToStdout(op.i32(0)), [], input),
  printEnv: () =>
    wasm([
      ...op.i32(16),
      ...op.i32(20),
      ...op.call('environ_sizes_get'),
      ...op.exitOnError,
      ...op.i32(ENV_POINTERS),
      ...op.i32(ENV_BUFFER),
      ...op.call('environ_get'),
      ...op.exitOnError,
      ...write(1, ENV_BUFFER, op.load(20)),
    ]),
  readFile: (path) => {
    const { fd, relative } = locate(path);
    return wasm(
      [...open(fd, relative, 0, FD_READ), ...op.exitOnError, ...copyOpenFile()],
      [{ address: PATH, text: relative }],
    );
  },
  listFiles: () =>
    wasm(
      [...readdir(3), ...readdir(4), ...open(4, 'own', 0, FD_READ), ...op.eqz, ...ifThen(copyOpenFile())],
      [{ address: PATH, text: 'own' }],
    ),
  writeFile: (path, text) => {
    const { fd, relative } = locate(path);
    return wasm(
      [
        ...open(fd, relative, 0x1 | 0x8, FD_WRITE),
        ...op.exitOnError,
        ...write(op.load(12), TEXT, bytes(text)),
        ...write(1, TEXT + 512, bytes('written\n')),
      ],
      [
        { address: PATH, text: relative },
        { address: TEXT, text },
        { address: TEXT + 512, text: 'written\n' },
      ],
    );
  },
  spin: () => wasm(SPIN()),
  block: () => wasm(SPIN()),
  flood: () =>
    wasm(op.loop([...write(1, TEXT, 1000), ...op.br(0)]), [{ address: TEXT, text: 'x'.repeat(1000) }]),
  memoryBomb: () =>
    wasm(op.loop([...op.grow(16), ...op.i32(-1), 0x46, ...ifThen(op.unreachable), ...op.br(0)])),
  connect: () =>
    wasm(
      [
        ...op.i32(3),
        ...op.i32(0),
        ...op.i32(12),
        ...op.call('sock_accept'),
        ...op.exitOnError,
        ...write(1, TEXT, 10),
      ],
      [{ address: TEXT, text: 'CONNECTED\n' }],
    ),
  omitted: {
    forkBomb: 'a WASI module has no way to start a process or thread',
    egressRequest: 'WASI preview 1 cannot open a connection, so WASI modules are never granted egress',
    leaveProcesses: 'a WASI run is one module on a thread the driver terminates; it has no processes',
  },
};
