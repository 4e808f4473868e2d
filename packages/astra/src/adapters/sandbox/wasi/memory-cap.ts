/**
 * Caps a WebAssembly module's own memories at the run's memory limit by rewriting the maximum in its
 * memory section (section 5) before it is compiled: `memory.grow` past the cap then fails inside
 * the module (it gets -1), and a module whose minimum is already above the cap does not instantiate.
 * Only the memory section changes; every other byte is kept as it was.
 */
const PAGE_BYTES = 65_536;

function readUleb(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  let next = at;
  for (;;) {
    const byte = bytes[next];
    if (byte === undefined) throw new Error('the module ends inside a number');
    next++;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return { value, next };
  }
}

function uleb(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}

function capMemories(section: Uint8Array, capPages: number): number[] {
  const count = readUleb(section, 0);
  let at = count.next;
  const out = [...uleb(count.value)];
  for (let index = 0; index < count.value; index++) {
    const flags = section[at];
    if (flags === undefined || (flags & ~0x03) !== 0)
      throw new Error('unsupported memory type (64-bit or unknown flags)');
    const min = readUleb(section, at + 1);
    at = min.next;
    let max = capPages;
    if ((flags & 0x01) !== 0) {
      const declared = readUleb(section, at);
      at = declared.next;
      max = Math.min(declared.value, capPages);
    }
    out.push(flags | 0x01, ...uleb(min.value), ...uleb(max));
  }
  return out;
}

/** The module with every memory it defines capped at `memoryBytes` (rounded down to whole pages). */
export function capModuleMemory(module: Uint8Array, memoryBytes: number): Uint8Array {
  const capPages = Math.max(1, Math.floor(memoryBytes / PAGE_BYTES));
  if (
    module.byteLength < 8 ||
    module[0] !== 0x00 ||
    module[1] !== 0x61 ||
    module[2] !== 0x73 ||
    module[3] !== 0x6d
  )
    throw new Error('not a WebAssembly module');
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  let at = 8;
  while (at < module.byteLength) {
    const id = module[at] as number;
    const size = readUleb(module, at + 1);
    const end = size.next + size.value;
    if (end > module.byteLength) throw new Error('a section runs past the end of the module');
    if (id === 5) {
      const body = capMemories(module.subarray(size.next, end), capPages);
      parts.push(new Uint8Array([5, ...uleb(body.length), ...body]));
    } else parts.push(module.subarray(at, end));
    at = end;
  }
  return Buffer.concat(parts);
}
