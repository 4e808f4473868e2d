import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { ManualClock } from '../../src/time/clock.js';
import { ADMIN_TOKEN, openGateway, type TestGateway } from '../identity/gateway.js';
import { createTestStore, sqlBackends } from '../support/sql.js';

/**
 * The tool registry over the API (docs/tools.md): upstream's seed tools are there after migrating;
 * platform admins register versions (immutable: the same manifest again is answered, another one
 * refused) and remove them; everyone signed in reads the catalog; every change is an event; a
 * manifest that breaks a rule or carries an unusable JSON Schema gets 400 with the path.
 */
const PASSWORD = 'tools-password-0123';

const manifest = (overrides: Record<string, unknown> = {}) => ({
  name: 'weather',
  version: '1.0.0',
  description: 'Current weather for a city.',
  input_schema: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
  risk_tier: 'low',
  sandbox: 'quickjs',
  egress: [{ host: 'api.weather.example', port: 443 }],
  side_effect: 'read_only',
  ...overrides,
});

describe.each(sqlBackends())('tool registry (%s)', (backend) => {
  let store: SqlStore;
  let drop: () => Promise<void>;
  let gw: TestGateway;
  let userToken: string;

  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, token: string, body?: unknown) => {
    const answer = await gw.call(method, url, { token, ...(body === undefined ? {} : { body }) });
    return { status: answer.statusCode, body: answer.json() as Record<string, unknown> };
  };

  beforeEach(async () => {
    const db = await createTestStore(backend);
    store = db.store;
    drop = db.drop;
    gw = await openGateway(store, new ManualClock(Date.now()));
    await call('POST', '/users', ADMIN_TOKEN, { email: 'someone@tools.test', password: PASSWORD });
    const login = await gw.call('POST', '/login', {
      body: { email: 'someone@tools.test', password: PASSWORD },
    });
    userToken = (login.json() as { token: string }).token;
  });
  afterEach(async () => {
    await gw.close();
    await drop();
  });

  it("lists upstream's seed tools with their manifests to anyone signed in", async () => {
    const { status, body } = await call('GET', '/tools', userToken);
    expect(status).toBe(200);
    const tools = body.tools as { name: string; risk_tier: string; sandbox: string; side_effect: string }[];
    const byName = new Map(tools.map((tool) => [tool.name, tool]));
    const seeds: [string, string][] = [
      ['file_read', 'low'],
      ['file_write', 'medium'],
      ['shell_exec', 'high'],
      ['list_files', 'low'],
      ['code_generate', 'medium'],
      ['browser:screenshot', 'medium'],
    ];
    for (const [name, tier] of seeds) expect(byName.get(name)?.risk_tier).toBe(tier);
    expect(byName.get('shell_exec')).toMatchObject({ sandbox: 'bubblewrap', side_effect: 'irreversible' });
    expect((await call('GET', '/tools', '')).status).toBe(401);
  });

  it('registers a version once: the same manifest again is answered, another one under it is refused', async () => {
    const created = await call('POST', '/tools', ADMIN_TOKEN, manifest());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'weather',
      version: '1.0.0',
      filesystem: 'none',
      limits: { wall_ms: 30_000, cpu_ms: 30_000, memory_mb: 256, output_bytes: 1_048_576 },
      secrets: [],
    });
    const again = await call('POST', '/tools', ADMIN_TOKEN, manifest());
    expect(again.status).toBe(200);
    expect(again.body).toEqual(created.body);
    const changed = await call('POST', '/tools', ADMIN_TOKEN, manifest({ risk_tier: 'high' }));
    expect(changed.status).toBe(409);
    expect(changed.body).toMatchObject({ error: { code: 'ASTRA_STATE_CONFLICT' } });
    expect((await call('GET', '/tools/weather/versions/1.0.0', userToken)).body.risk_tier).toBe('low');
  });

  it('answers the newest version by semantic order and every version newest first', async () => {
    for (const version of ['1.2.0', '1.10.0', '1.10.0-beta.1', '0.9.9'])
      expect((await call('POST', '/tools', ADMIN_TOKEN, manifest({ version }))).status).toBe(201);
    const catalog = (await call('GET', '/tools', userToken)).body.tools as {
      name: string;
      version: string;
    }[];
    expect(catalog.find((tool) => tool.name === 'weather')?.version).toBe('1.10.0');
    const versions = (await call('GET', '/tools/weather', userToken)).body.versions as { version: string }[];
    expect(versions.map((v) => v.version)).toEqual(['1.10.0', '1.10.0-beta.1', '1.2.0', '0.9.9']);
  });

  it('lets only platform admins register and remove, and logs who did', async () => {
    expect((await call('POST', '/tools', userToken, manifest())).status).toBe(403);
    expect((await call('POST', '/tools', ADMIN_TOKEN, manifest())).status).toBe(201);
    expect((await call('DELETE', '/tools/weather/versions/1.0.0', userToken)).status).toBe(403);
    const removed = await call('DELETE', '/tools/weather/versions/1.0.0', ADMIN_TOKEN);
    expect(removed).toEqual({ status: 200, body: { name: 'weather', version: '1.0.0', deleted: true } });
    expect((await call('DELETE', '/tools/weather/versions/1.0.0', ADMIN_TOKEN)).status).toBe(404);
    expect((await call('GET', '/tools/weather', userToken)).status).toBe(404);
    const { rows } = await store.query<{ event_type: string; payload: Record<string, unknown> }>(
      `SELECT event_type, payload FROM events WHERE event_type LIKE 'Tool%' ORDER BY id`,
    );
    expect(rows).toEqual([
      {
        event_type: 'ToolRegistered',
        payload: { name: 'weather', version: '1.0.0', risk_tier: 'low', by: 'admin-token' },
      },
      { event_type: 'ToolRemoved', payload: { name: 'weather', version: '1.0.0', by: 'admin-token' } },
    ]);
  });

  it('refuses a manifest that breaks a rule with 400 and the path, writing nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'Bad Name' }, 'body.name'],
      [{ version: 'v1' }, 'body.version'],
      [{ risk_tier: 'extreme' }, 'body.risk_tier'],
      [{ sandbox: 'host' }, 'body.sandbox'],
      [{ egress: [{ host: 'bad host!', port: 443 }] }, 'body.egress.0.host'],
      [{ limits: { wall_ms: 0 } }, 'body.limits.wall_ms'],
      [{ limits: { memory_mb: 1_000_000 } }, 'body.limits.memory_mb'],
      [{ input_schema: { type: 'object', properties: { a: { type: 'strnig' } } } }, 'body.input_schema'],
      [{ input_schema: { type: 'object', unknownKeyword: true } }, 'body.input_schema'],
      [{ extra: 1 }, 'body'],
    ];
    for (const [overrides, path] of cases) {
      const answer = await call('POST', '/tools', ADMIN_TOKEN, manifest(overrides));
      expect(answer.status, JSON.stringify(overrides)).toBe(400);
      expect(answer.body, JSON.stringify(overrides)).toMatchObject({
        error: { code: 'ASTRA_VALIDATION_FAILED', details: { path } },
      });
    }
    expect((await call('GET', '/tools/weather', userToken)).status).toBe(404);
  });

  it('answers 404 for names and versions that cannot exist', async () => {
    expect((await call('GET', '/tools/NOPE', userToken)).status).toBe(404);
    expect((await call('GET', '/tools/file_read/versions/latest', userToken)).status).toBe(404);
    const seed = await call('GET', '/tools/browser:screenshot/versions/1.0.0', userToken);
    expect(seed).toMatchObject({ status: 200, body: { name: 'browser:screenshot', sandbox: 'browser' } });
  });
});
