/**
 * A tiny WebAssembly binary encoder for the WASI tests: enough to write `_start` bodies that call
 * WASI preview 1 by hand, so the tests build their .wasm programs in memory (no toolchain, no
 * download). Memory layout the snippets share: iovec at 0, counters at 8/12/16/20, constant data
 * from 1024, a 4 KiB I/O buffer at 4096, the environment buffer at 8192.
 */
const SIGNATURES = {
  fd_write: { params: ['i32', 'i32', 'i32', 'i32'], result: true },
  fd_read: { params: ['i32', 'i32', 'i32', 'i32'], result: true },
  proc_exit: { params: ['i32'], result: false },
  path_open: { params: ['i32', 'i32', 'i32', 'i32', 'i32', 'i64', 'i64', 'i32', 'i32'], result: true },
  environ_sizes_get: { params: ['i32', 'i32'], result: true },
  environ_get: { params: ['i32', 'i32'], result: true },
  fd_readdir: { params: ['i32', 'i32', 'i32', 'i64', 'i32'], result: true },
  sock_accept: { params: ['i32', 'i32', 'i32'], result: true },
} as const;
export type WasiImport = keyof typeof SIGNATURES;
const IMPORTS = Object.keys(SIGNATURES) as WasiImport[];

const uleb = (value: number): number[] => {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
};
const sleb = (value: bigint): number[] => {
  const out: number[] = [];
  let rest = value;
  for (;;) {
    const byte = Number(rest & 0x7fn);
    rest >>= 7n;
    const done = (rest === 0n && (byte & 0x40) === 0) || (rest === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
};
const utf8 = (text: string): number[] => [...new TextEncoder().encode(text)];
const name = (text: string): number[] => [...uleb(utf8(text).length), ...utf8(text)];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const valtype = (type: 'i32' | 'i64'): number => (type === 'i32' ? 0x7f : 0x7e);

/** Instructions, as bytes. */
export const op = {
  i32: (value: number): number[] => [0x41, ...sleb(BigInt(value))],
  i64: (value: bigint): number[] => [0x42, ...sleb(value)],
  call: (fn: WasiImport): number[] => [0x10, ...uleb(IMPORTS.indexOf(fn))],
  drop: [0x1a],
  load: (address: number): number[] => [...op.i32(address), 0x28, 2, 0],
  store: (address: number, value: number[]): number[] => [...op.i32(address), ...value, 0x36, 2, 0],
  loop: (body: number[]): number[] => [0x03, 0x40, ...body, 0x0b],
  block: (body: number[]): number[] => [0x02, 0x40, ...body, 0x0b],
  br: (depth: number): number[] => [0x0c, ...uleb(depth)],
  brIf: (depth: number): number[] => [0x0d, ...uleb(depth)],
  eqz: [0x45],
  unreachable: [0x00],
  grow: (pages: number): number[] => [...op.i32(pages), 0x40, 0x00],
  /** Exits with the errno left on the stack when it is not 0 (uses local 0). */
  exitOnError: [0x22, 0, 0x04, 0x40, 0x20, 0, 0x10, ...uleb(IMPORTS.indexOf('proc_exit')), 0x0b],
};

/** Writes `length` bytes at `address` to `fd` (a constant, or bytes pushing it). */
export function write(
  fd: number | number[],
  address: number | number[],
  length: number | number[],
): number[] {
  const push = (v: number | number[]) => (typeof v === 'number' ? op.i32(v) : v);
  return [
    ...op.store(0, push(address)),
    ...op.store(4, push(length)),
    ...push(fd),
    ...op.i32(0),
    ...op.i32(1),
    ...op.i32(8),
    ...op.call('fd_write'),
    ...op.drop,
  ];
}

export interface WasmProgram {
  readonly data?: readonly { readonly address: number; readonly text: string }[];
  readonly body: readonly number[];
  /** A memory maximum (pages) written into the module; none by default. */
  readonly maxPages?: number;
}

export function wasiModule(program: WasmProgram): Uint8Array {
  const types = IMPORTS.map((fn) => {
    const signature = SIGNATURES[fn];
    return [0x60, ...vec(signature.params.map((p) => [valtype(p)])), ...(signature.result ? [1, 0x7f] : [0])];
  });
  types.push([0x60, 0, 0]);
  const imports = IMPORTS.map((fn, index) => [
    ...name('wasi_snapshot_preview1'),
    ...name(fn),
    0x00,
    ...uleb(index),
  ]);
  const start = IMPORTS.length;
  const memory = program.maxPages === undefined ? [0x00, 1] : [0x01, 1, ...uleb(program.maxPages)];
  const exports = [
    [...name('_start'), 0x00, ...uleb(start)],
    [...name('memory'), 0x02, 0],
  ];
  const locals = vec([[1, 0x7f]]);
  const body = [...locals, ...program.body, 0x0b];
  const data = (program.data ?? []).map((segment) => [
    0x00,
    ...op.i32(segment.address),
    0x0b,
    ...uleb(utf8(segment.text).length),
    ...utf8(segment.text),
  ]);
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec([uleb(start)])),
    ...section(5, vec([memory])),
    ...section(7, vec(exports)),
    ...section(10, vec([[...uleb(body.length), ...body]])),
    ...section(11, vec(data)),
  ]);
}
