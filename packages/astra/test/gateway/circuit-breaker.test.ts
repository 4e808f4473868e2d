import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { AstraError, isAstraError } from '../../src/errors/index.js';
import { createLogger } from '../../src/log/logger.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { CircuitBreaker } from '../../src/services/gateway/circuit-breaker.js';
import { installErrorHandling } from '../../src/services/gateway/error-handler.js';
import { guardStore } from '../../src/services/gateway/guarded-store.js';
import { createGateway } from '../../src/services/gateway/server.js';
import { ManualClock } from '../../src/time/clock.js';

/** The breaker's states on an injected clock, and what callers see over HTTP when it is open. */
const settings = { threshold: 5, windowMs: 30_000, cooldownMs: 10_000 };
const down = (): Promise<never> =>
  Promise.reject(new AstraError('ASTRA_STORE_UNAVAILABLE', 'connection refused'));
const counts = (error: unknown): boolean => isAstraError(error, 'ASTRA_STORE_UNAVAILABLE');
const refusal = (work: Promise<unknown>): Promise<unknown> =>
  work.then(
    () => null,
    (error: unknown) => error,
  );

async function failTimes(breaker: CircuitBreaker, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await refusal(breaker.run(down, counts));
}

describe('circuit breaker', () => {
  it('opens after threshold failures within the window, then refuses without calling', async () => {
    const clock = new ManualClock(1_000_000);
    const breaker = new CircuitBreaker('sql', settings, clock);
    await failTimes(breaker, 4);
    expect(breaker.state()).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state()).toBe('open');
    let called = false;
    const error = await refusal(
      breaker.run(async () => {
        called = true;
      }, counts),
    );
    expect(called).toBe(false);
    expect(error).toMatchObject({
      code: 'ASTRA_CIRCUIT_OPEN',
      details: { dependency: 'sql', retryAfterMs: 10_000 },
    });
    await clock.advance(4_000);
    expect(await refusal(breaker.run(async () => 1, counts))).toMatchObject({
      details: { retryAfterMs: 6_000 },
    });
  });

  it('does not open on failures spread wider than the window, nor on errors that do not count', async () => {
    const clock = new ManualClock(1_000_000);
    const breaker = new CircuitBreaker('sql', settings, clock);
    for (let i = 0; i < 10; i++) {
      await failTimes(breaker, 1);
      await clock.advance(8_000);
    }
    expect(breaker.state()).toBe('closed');
    const constraint = (): Promise<never> =>
      Promise.reject(new AstraError('ASTRA_STORE_CONSTRAINT_VIOLATION', 'duplicate'));
    for (let i = 0; i < 10; i++) await refusal(breaker.run(constraint, counts));
    expect(breaker.state()).toBe('closed');
  });

  it('half-opens after the cooldown with one probe: success closes it, failure opens it again', async () => {
    const clock = new ManualClock(1_000_000);
    const breaker = new CircuitBreaker('sql', settings, clock);
    await failTimes(breaker, 5);
    await clock.advance(10_000);
    expect(breaker.state()).toBe('half_open');
    // The probe is in flight: every other call is refused meanwhile.
    let finish: () => void = () => undefined;
    const probe = breaker.run(() => new Promise<void>((resolve) => (finish = resolve)), counts);
    expect(await refusal(breaker.run(async () => 1, counts))).toMatchObject({ code: 'ASTRA_CIRCUIT_OPEN' });
    finish();
    await probe;
    expect(breaker.state()).toBe('closed');
    expect(await breaker.run(async () => 42, counts)).toBe(42);

    await failTimes(breaker, 5);
    await clock.advance(10_000);
    await failTimes(breaker, 1);
    expect(breaker.state()).toBe('open');
    await clock.advance(9_999);
    expect(breaker.state()).toBe('open');
    await clock.advance(1);
    expect(breaker.state()).toBe('half_open');
  });
});

describe('breaker at the HTTP edge', () => {
  const apps: { close(): Promise<unknown> }[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });
  const logger = createLogger({ level: 'silent' });

  it('answers 503 ASTRA_CIRCUIT_OPEN with Retry-After once the guarded store keeps failing, and recovers', async () => {
    const clock = new ManualClock(1_000_000);
    const breaker = new CircuitBreaker('sql', settings, clock);
    let healthy = false;
    let statements = 0;
    const stub = {
      kind: 'postgres',
      query: async () => {
        statements++;
        if (!healthy) throw new AstraError('ASTRA_STORE_UNAVAILABLE', 'connection refused');
        return { rows: [{ ok: 1 }], rowCount: 1 };
      },
      transaction: async () => {
        throw new Error('not used');
      },
      ping: async () => undefined,
      close: async () => undefined,
    } as unknown as SqlStore;
    const store = guardStore(stub, breaker);
    const app = Fastify();
    apps.push(app);
    installErrorHandling(app, logger);
    app.get('/thing', async () => (await store.query('SELECT 1 AS ok')).rows[0]);
    await app.ready();

    for (let i = 0; i < 5; i++) expect((await app.inject('/thing')).statusCode).toBe(503);
    expect(statements).toBe(5);
    const open = await app.inject('/thing');
    expect(open.statusCode).toBe(503);
    expect(open.headers['retry-after']).toBe('10');
    expect(open.json().error).toMatchObject({ code: 'ASTRA_CIRCUIT_OPEN', retryable: true });
    expect(statements).toBe(5);

    healthy = true;
    await clock.advance(10_000);
    expect((await app.inject('/thing')).json()).toEqual({ ok: 1 });
    expect(breaker.state()).toBe('closed');
  });

  it('/ready is 503 while a dependency fails or a breaker is open, 200 again once both recover', async () => {
    const clock = new ManualClock(1_000_000);
    const breaker = new CircuitBreaker('sql', settings, clock);
    let answering = true;
    const gateway = await createGateway({
      logger,
      info: { mode: 'test', version: '0' },
      readiness: [
        {
          name: 'sql',
          check: () => (answering ? Promise.resolve() : new Promise<void>(() => undefined)),
        },
      ],
      readinessTimeoutMs: 200,
      breakers: [breaker],
    });
    apps.push(gateway);
    expect((await gateway.inject('/ready')).statusCode).toBe(200);
    answering = false;
    const stalled = await gateway.inject('/ready');
    expect(stalled.statusCode).toBe(503);
    expect(stalled.json().checks.sql).toMatchObject({ ok: false, error: 'timed out after 200 ms' });
    answering = true;
    await failTimes(breaker, 5);
    const open = await gateway.inject('/ready');
    expect(open.statusCode).toBe(503);
    expect(open.json().checks).toMatchObject({ sql: { ok: true }, 'breaker:sql': { ok: false } });
    await clock.advance(10_000);
    expect((await gateway.inject('/ready')).statusCode).toBe(200);
  });
});
