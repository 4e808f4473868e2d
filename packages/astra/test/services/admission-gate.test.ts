import { describe, expect, it } from 'vitest';
import { AdmissionGate } from '../../src/services/agents/admission-gate.js';
import { systemClock } from '../../src/time/clock.js';

describe('AdmissionGate', () => {
  it('runs up to its concurrency at once and lets the next waiter in on release', async () => {
    const gate = new AdmissionGate(systemClock, { concurrency: 2, maxWaitMs: 60_000 });
    const first = await gate.enter();
    await gate.enter();
    let thirdIn = false;
    const third = gate.enter().then((release) => {
      thirdIn = true;
      return release;
    });
    expect(thirdIn).toBe(false);
    first();
    first(); // a second call of one release changes nothing
    (await third)();
    expect(thirdIn).toBe(true);
    expect(gate.refused()).toBe(0);
  });

  it('refuses a waiter still queued at its deadline with ASTRA_OVERLOADED and a retry hint', async () => {
    const gate = new AdmissionGate(systemClock, { concurrency: 1, maxWaitMs: 20 });
    const holder = await gate.enter();
    const error = await gate.enter().catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'ASTRA_OVERLOADED',
      httpStatus: 503,
      retryable: true,
      details: { retryAfterMs: 1000, concurrency: 1 },
    });
    holder();
    expect(gate.refused()).toBe(1);
    (await gate.enter())();
  });

  it('refuses at once, without queueing, while the event loop runs later than the wait bound and one runs', async () => {
    let lateMs = 0;
    const gate = new AdmissionGate(systemClock, {
      concurrency: 8,
      maxWaitMs: 500,
      loopDelayMs: () => lateMs,
    });
    lateMs = 2500;
    const running = await gate.enter(); // an idle gate admits one whatever the loop
    await expect(gate.enter()).rejects.toMatchObject({
      code: 'ASTRA_OVERLOADED',
      details: { retryAfterMs: 2500 },
    });
    lateMs = 0;
    (await gate.enter())();
    running();
  });
});
