import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { RecentLines, scrubLine } from '../../src/log/recent-lines.js';

describe('recent log lines', () => {
  it('keeps the newest lines of a bounded ring, oldest first, and pages after a seq', () => {
    const ring = new RecentLines({ capacity: 3 });
    for (const n of [1, 2, 3, 4, 5]) ring.stream.write(`{"n":${n}}\n`);
    expect(ring.total).toBe(5);
    expect(ring.lines()).toEqual([
      { seq: 3, text: '{"n":3}' },
      { seq: 4, text: '{"n":4}' },
      { seq: 5, text: '{"n":5}' },
    ]);
    expect(ring.lines({ afterSeq: 4 }).map((line) => line.seq)).toEqual([5]);
    expect(ring.lines({ afterSeq: 1 }).map((line) => line.seq)).toEqual([3, 4, 5]);
    expect(ring.lines({ limit: 2 }).map((line) => line.seq)).toEqual([4, 5]);
    expect(ring.lines({ afterSeq: 5 })).toEqual([]);
    expect(new RecentLines().lines()).toEqual([]);
    expect(() => new RecentLines({ capacity: 0 })).toThrow(RangeError);
  });

  it('cuts long lines', () => {
    const ring = new RecentLines({ capacity: 2, maxLineBytes: 10 });
    ring.stream.write(`${'x'.repeat(50)}\n`);
    expect(ring.lines()[0]?.text).toBe(`${'x'.repeat(10)}…[cut]`);
  });

  it('scrubs credentials inside free text: bearer tokens, URL passwords, token parameters', () => {
    expect(scrubLine('"msg":"sent Authorization: Bearer eyJhbGci.abc-def_1"')).toBe(
      '"msg":"sent Authorization: Bearer [redacted]"',
    );
    expect(scrubLine('connecting to postgres://astra:hunter2@db:5432/astra')).toBe(
      'connecting to postgres://astra:[redacted]@db:5432/astra',
    );
    expect(scrubLine('GET /chat/ws?session_id=1&access_token=abc.def&x=1')).toBe(
      'GET /chat/ws?session_id=1&access_token=[redacted]&x=1',
    );
    expect(scrubLine('password=swordfish secret=s3 api_key=k')).toBe(
      'password=[redacted] secret=[redacted] api_key=[redacted]',
    );
    expect(scrubLine('{"msg":"task completed","taskId":"t-1"}')).toBe(
      '{"msg":"task completed","taskId":"t-1"}',
    );
  });

  it('is fed by the logger at its level, after its field redaction, beside the main destination', () => {
    const ring = new RecentLines();
    const main: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (line) => main.push(line) },
      recent: ring,
    });
    logger.debug('not at this level');
    logger.info({ password: 'pw-1', component: 'gateway' }, 'signed in with Bearer tok-123');
    logger.child({ component: 'executor' }).warn('slow');
    expect(main).toHaveLength(2);
    const lines = ring.lines().map((line) => JSON.parse(line.text) as Record<string, unknown>);
    expect(lines.map((line) => [line.level, line.msg, line.component])).toEqual([
      [30, 'signed in with Bearer [redacted]', 'gateway'],
      [40, 'slow', 'executor'],
    ]);
    expect(lines[0]?.password).toBe('[redacted]');
    expect(ring.lines().some((line) => line.text.includes('pw-1') || line.text.includes('tok-123'))).toBe(
      false,
    );
  });
});
