import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AstraError, ERROR_CODES, isAstraError, normalizeError } from '../../src/errors/index.js';
import { markdownTableRows } from '../support/markdown-table.js';

const docs = readFileSync(
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../docs/errors.md'),
  'utf8',
);

const rows = markdownTableRows(docs);

describe('error registry', () => {
  it.each(Object.entries(ERROR_CODES))('documents %s with its status in docs/errors.md', (code, spec) => {
    const row = rows.find((cells) => cells[0] === `\`${code}\``);
    expect(row, `docs/errors.md has no row for ${code}`).toBeDefined();
    expect(row?.[1]).toBe(String(spec.httpStatus));
    expect(row?.[2]).toBe(spec.category);
  });

  it('documents no code that does not exist', () => {
    const documented = rows.map((cells) => /^`(ASTRA_[A-Z_]+)`$/.exec(cells[0] ?? '')?.[1]);
    expect(documented.filter((code) => code !== undefined && !(code in ERROR_CODES))).toEqual([]);
  });

  it('uses the ASTRA_<AREA>_<THING> shape and 4xx/5xx statuses', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^ASTRA_[A-Z]+(_[A-Z]+)*$/);
      expect(spec.httpStatus).toBeGreaterThanOrEqual(400);
      expect(spec.httpStatus).toBeLessThan(600);
      // A user's fault is never answered as a server failure, and a server failure never blames the user.
      if (spec.category === 'user') expect(spec.httpStatus).toBeLessThan(500);
      if (spec.httpStatus >= 500) expect(spec.category).not.toBe('user');
    }
  });
});

describe('AstraError', () => {
  it('carries the registry spec, JSON-safe details and the cause, and serializes without the cause', () => {
    const cause = new Error('driver said no: password=hunter2');
    const error = new AstraError('ASTRA_STORE_UNAVAILABLE', 'database unreachable', {
      details: { host: 'db' },
      cause,
    });
    expect(error.httpStatus).toBe(503);
    expect(error.retryable).toBe(true);
    expect(error.category).toBe('system');
    expect(error.cause).toBe(cause);
    expect(JSON.stringify(error)).toBe(
      JSON.stringify({
        code: 'ASTRA_STORE_UNAVAILABLE',
        message: 'database unreachable',
        retryable: true,
        details: { host: 'db' },
      }),
    );
  });

  it('normalizes unknown throws into ASTRA_INTERNAL and passes AstraErrors through', () => {
    const known = new AstraError('ASTRA_NOT_FOUND');
    expect(normalizeError(known)).toBe(known);
    const wrapped = normalizeError('boom');
    expect(isAstraError(wrapped, 'ASTRA_INTERNAL')).toBe(true);
    expect(wrapped.cause).toBe('boom');
    expect(wrapped.message).toBe(ERROR_CODES.ASTRA_INTERNAL.summary);
  });
});
