import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AstraApiError, AstraClient } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('@astra/sdk', () => {
  it('declares no runtime dependencies, so it installs without the server', () => {
    const manifest = JSON.parse(readFileSync(path.join(here, '../package.json'), 'utf8'));
    expect(manifest.dependencies ?? {}).toEqual({});
  });

  it('turns an error body into AstraApiError with its stable code', async () => {
    const fakeFetch: typeof fetch = async () =>
      new Response(
        JSON.stringify({ error: { code: 'ASTRA_NOT_FOUND', message: 'no such task', retryable: false } }),
        {
          status: 404,
        },
      );
    const client = new AstraClient({ baseUrl: 'http://astra.invalid/', token: 't', fetch: fakeFetch });
    const error = await client.request('GET', '/tasks/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AstraApiError);
    expect((error as AstraApiError).code).toBe('ASTRA_NOT_FOUND');
    expect((error as AstraApiError).status).toBe(404);
  });

  it('sends the bearer token except on health checks', async () => {
    const seen: (string | null)[] = [];
    const fakeFetch: typeof fetch = async (_url, init) => {
      seen.push(new Headers(init?.headers).get('authorization'));
      return new Response(JSON.stringify({ status: 'ok', mode: 'embedded', version: '0' }), { status: 200 });
    };
    const client = new AstraClient({
      baseUrl: 'http://astra.invalid',
      token: 'secret-token',
      fetch: fakeFetch,
    });
    await client.health();
    await client.request('GET', '/agents');
    expect(seen).toEqual([null, 'Bearer secret-token']);
  });
});
