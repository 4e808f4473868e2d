import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { installResponseCheck } from '../../src/services/gateway/response-check.js';

/**
 * The serializer keeps only documented fields and coerces values to their documented types; the
 * response check (ASTRA_CHECK_RESPONSES, on in every test server) turns such a silent change into a
 * 500 that names the route, so a schema that does not match its handler fails the suites.
 */
const schema = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' } },
  required: ['id'],
  additionalProperties: false,
};

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
});

async function serve(
  value: unknown,
  check: boolean,
): Promise<{ status: number; body: unknown; logged: string[] }> {
  const logged: string[] = [];
  const logger = createLogger({
    level: 'error',
    destination: { write: (line: string) => logged.push(line) },
  });
  app = Fastify();
  if (check) installResponseCheck(app, logger);
  app.get('/x', { schema: { response: { 200: schema } } }, async () => value);
  const answer = await app.inject('/x');
  return { status: answer.statusCode, body: answer.json(), logged };
}

describe('response check', () => {
  it('passes an answer its schema serializes unchanged', async () => {
    expect(await serve({ id: 'a', name: 'b' }, true)).toMatchObject({
      status: 200,
      body: { id: 'a', name: 'b' },
    });
  });

  it('without it, a field the schema lacks is dropped and a null string becomes "" silently', async () => {
    expect(await serve({ id: 'a', name: null, extra: 1 }, false)).toMatchObject({
      status: 200,
      body: { id: 'a', name: '' },
    });
  });

  it('answers 500 naming the route when the schema drops a field or changes a value', async () => {
    for (const value of [
      { id: 'a', extra: 1 },
      { id: 'a', name: null },
    ]) {
      const answer = await serve(value, true);
      expect(answer.status).toBe(500);
      expect(answer.body).toMatchObject({
        error: { code: 'ASTRA_INTERNAL', message: 'GET /x: the answer does not match its schema' },
      });
      expect(answer.logged.join('')).toContain('does not match its documented schema');
      await app?.close();
      app = undefined;
    }
  });
});
