import { describe, expect, it } from 'vitest';
import { createDockerDriver } from '../../src/adapters/sandbox/docker/driver.js';
import { demultiplex } from '../../src/adapters/sandbox/docker/engine.js';
import { availability, describeSandboxConformance } from './conformance.suite.js';
import { describeSandboxEscapes } from './escape.suite.js';
import { processKit } from './process-kit.js';

// Where no Docker engine answers (the machines this project is built on), both suites are skipped
// and their names carry the driver's reason.
const kit = processKit('docker', () => createDockerDriver());
const conformance = await availability(kit);
describeSandboxConformance(kit, conformance.driver, conformance.state);
const escapes = await availability(kit);
describeSandboxEscapes(kit, escapes.driver, escapes.state);

describe('docker driver without an engine', () => {
  it('says why it is unavailable and resolves ASTRA_SANDBOX_UNAVAILABLE', async () => {
    const driver = createDockerDriver({ socketPath: '/nonexistent/docker.sock' });
    const state = await driver.available();
    expect(state).toEqual({ ok: false, reason: expect.stringContaining('/nonexistent/docker.sock') });
    const outcome = await driver.run({ program: { kind: 'process', argv: ['/bin/true'] } });
    expect(outcome).toMatchObject({ ok: false, code: 'ASTRA_SANDBOX_UNAVAILABLE' });
  });

  it('splits the engine log stream into stdout and stderr', () => {
    const frame = (kind: number, text: string) => {
      const header = Buffer.alloc(8);
      header[0] = kind;
      header.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([header, Buffer.from(text)]);
    };
    const split = demultiplex(Buffer.concat([frame(1, 'out1 '), frame(2, 'err'), frame(1, 'out2')]));
    expect(split.stdout.toString()).toBe('out1 out2');
    expect(split.stderr.toString()).toBe('err');
  });
});
