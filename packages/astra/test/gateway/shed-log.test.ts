import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { AstraError } from '../../src/errors/index.js';
import { createLogger } from '../../src/log/logger.js';
import { installErrorHandling } from '../../src/services/gateway/error-handler.js';
import { SHED_LOG_DEFAULTS } from '../../src/services/gateway/shed-log.js';
import { ManualClock } from '../../src/time/clock.js';

/**
 * A node shedding load (503 ASTRA_OVERLOADED from the admission gate) is behaving as designed: the
 * error handler logs it at warn, one line per burst, without a stack; a real failure still logs
 * at error with its stack.
 */
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function gateway(): Promise<{
  app: FastifyInstance;
  lines: Record<string, unknown>[];
  clock: ManualClock;
}> {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => lines.push(JSON.parse(line)) },
  });
  const clock = new ManualClock(1_000_000);
  app = Fastify();
  installErrorHandling(app, logger, clock);
  app.post('/goals', async () => {
    throw new AstraError('ASTRA_OVERLOADED', 'this node has more goal submissions than it can admit now', {
      details: { retryAfterMs: 1500 },
    });
  });
  app.get('/broken', async () => {
    throw new Error('a bug');
  });
  await app.ready();
  return { app, lines, clock };
}

describe('logging a shed request (services/gateway/shed-log.ts)', () => {
  it('logs a burst of 503 ASTRA_OVERLOADED as one warn line with the code and no stack', async () => {
    const { app, lines, clock } = await gateway();
    for (let i = 0; i < 5; i++) {
      const answer = await app.inject({ method: 'POST', url: '/goals' });
      expect(answer.statusCode).toBe(503);
      expect(answer.headers['retry-after']).toBe('2');
      expect(answer.json().error.code).toBe('ASTRA_OVERLOADED');
    }
    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({ level: 40, code: 'ASTRA_OVERLOADED', retryAfterMs: 1500, refusedSince: 0 });
    expect(JSON.stringify(line)).not.toMatch(/stack|"err"/);
    // The next burst's line counts the refusals the previous line stood for.
    await clock.advance(SHED_LOG_DEFAULTS.burstMs);
    await app.inject({ method: 'POST', url: '/goals' });
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ level: 40, code: 'ASTRA_OVERLOADED', refusedSince: 4 });
  });

  it('still logs an unexpected failure at error with its stack', async () => {
    const { app, lines } = await gateway();
    expect((await app.inject('/broken')).statusCode).toBe(500);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50 });
    expect(JSON.stringify(lines[0])).toMatch(/stack/);
  });
});
