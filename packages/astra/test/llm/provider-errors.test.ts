import { describe, expect, it } from 'vitest';
import { httpError, kindForStatus, retryAfterMs, scrub } from '../../src/adapters/llm/errors.js';

const headers = (entries: Record<string, string>) => new Headers(entries);

describe('provider error mapping', () => {
  it('reads retry-after-ms first, then retry-after as seconds or an HTTP date', () => {
    expect(retryAfterMs(headers({ 'retry-after-ms': '250.4', 'retry-after': '9' }))).toBe(250);
    expect(retryAfterMs(headers({ 'retry-after': '1.5' }))).toBe(1500);
    const now = Date.parse('2026-12-01T20:00:00Z');
    expect(retryAfterMs(headers({ 'retry-after': 'Tue, 01 Dec 2026 20:00:03 GMT' }), now)).toBe(3000);
    expect(retryAfterMs(headers({ 'retry-after': 'Tue, 01 Dec 2026 19:00:00 GMT' }), now)).toBe(0);
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }))).toBeNull();
    expect(retryAfterMs(headers({}))).toBeNull();
  });

  it('maps statuses to kinds', () => {
    expect([401, 403, 429, 408, 500, 503, 529, 404].map((s) => kindForStatus(s, 'x'))).toEqual([
      'auth',
      'auth',
      'rate_limited',
      'timeout',
      'server',
      'server',
      'server',
      'invalid_request',
    ]);
    expect(kindForStatus(400, 'prompt is too long: 250000 tokens > 200000 maximum')).toBe('context_length');
  });

  it('never shows the key, whole or masked', () => {
    const key = 'sk-proj-abcdefghijklmnop';
    expect(scrub(`Incorrect API key provided: ${key}`, key)).not.toContain(key);
    expect(scrub('Incorrect API key provided: sk-proj-****mnop.', undefined)).not.toContain('mnop');
    const error = httpError(
      'openai',
      { status: 401, message: `bad key ${key}`, headers: undefined },
      { apiKey: key },
    );
    expect(error.message).not.toContain(key);
    expect(error.kind).toBe('auth');
  });
});
