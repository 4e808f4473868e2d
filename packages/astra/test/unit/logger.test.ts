import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Secret } from '../../src/config/index.js';
import { createLogger } from '../../src/log/logger.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
  };
}

describe('logger', () => {
  it('redacts credentials at the top level, one level down, and in request headers', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', destination: out.stream });
    logger.info(
      {
        password: 'p1',
        user: { token: 't1', apiKey: 'k1' },
        req: { headers: { authorization: 'Bearer b1' } },
      },
      'login',
    );
    logger.info(
      { config: { redisUrl: 'redis://:pw@host' }, dsn: new Secret('postgres://u:s3@h/db') },
      'boot',
    );
    const text = JSON.stringify(out.lines());
    for (const leaked of ['p1', 't1', 'k1', 'Bearer b1', ':pw@', 's3@']) expect(text).not.toContain(leaked);
    expect(text).toContain('[redacted]');
    expect(out.lines()[0]?.msg).toBe('login');
  });

  it('honours the level', () => {
    const out = capture();
    const logger = createLogger({ level: 'warn', destination: out.stream });
    logger.info('quiet');
    logger.warn('loud');
    expect(out.lines().map((l) => l.msg)).toEqual(['loud']);
  });
});
