import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { lazyChildLogger } from '../../src/services/gateway/lazy-child-logger.js';

/** A request's logger is made only when the request logs, and then carries its bindings. */
describe('lazy child logger', () => {
  const setup = () => {
    const lines: string[] = [];
    const parent = createLogger({
      level: 'info',
      destination: { write: (line: string) => lines.push(line) },
    });
    const child = vi.spyOn(parent, 'child');
    const logger = lazyChildLogger(parent as unknown as FastifyBaseLogger, { reqId: 'req-1' }, {});
    return { lines, child, logger };
  };

  it('makes no child for a request that logs nothing, or only below the level', () => {
    const { lines, child, logger } = setup();
    logger.debug('not shown');
    logger.trace({ secret: 'x' }, 'not shown');
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
    expect(logger.level).toBe('info');
  });

  it('logs with the bindings once the request logs at an enabled level, and redacts as the parent does', () => {
    const { lines, child, logger } = setup();
    logger.info({ password: 'hunter2' }, 'first');
    logger.warn('second');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toMatchObject([
      { reqId: 'req-1', msg: 'first', password: '[redacted]' },
      { reqId: 'req-1', msg: 'second' },
    ]);
  });
});
