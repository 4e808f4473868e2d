import { describe, expect, it } from 'vitest';
import { capModuleMemory } from '../../src/adapters/sandbox/wasi/memory-cap.js';
import { availability, describeSandboxConformance } from './conformance.suite.js';
import { describeSandboxEscapes } from './escape.suite.js';
import { wasiKit } from './wasi-kit.js';
import { wasiModule } from './wasm-builder.js';

const conformance = await availability(wasiKit);
describeSandboxConformance(wasiKit, conformance.driver, conformance.state);
const escapes = await availability(wasiKit);
describeSandboxEscapes(wasiKit, escapes.driver, escapes.state);

describe('wasi memory cap', () => {
  it('writes the cap as the maximum of a memory that has none, and lowers a larger one', async () => {
    const capped = capModuleMemory(wasiModule({ body: [] }), 2 * 65_536);
    expect(Buffer.from(capped).includes(Buffer.from([0x05, 0x04, 0x01, 0x01, 0x01, 0x02]))).toBe(true);
    const module = await WebAssembly.compile(capped as Uint8Array<ArrayBuffer>);
    expect(WebAssembly.Module.exports(module).map((entry) => entry.name)).toContain('memory');
    const lowered = capModuleMemory(wasiModule({ body: [], maxPages: 100 }), 3 * 65_536);
    expect(Buffer.from(lowered).includes(Buffer.from([0x05, 0x04, 0x01, 0x01, 0x01, 0x03]))).toBe(true);
    expect(() => capModuleMemory(new Uint8Array([1, 2, 3]), 65_536)).toThrow();
  });
});
