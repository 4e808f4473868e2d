import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLruCache } from '../../src/adapters/cache/lru-cache.js';
import type { SqlStore } from '../../src/ports/sql-store.js';
import { PromptLibrary } from '../../src/services/prompts/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { ADMIN_TOKEN, openGateway, type TestGateway } from '../identity/gateway.js';
import { createTestStore, sqlBackends } from '../support/sql.js';

/**
 * The prompt routes over the API (docs/prompts.md): versions written once (the same again
 * answered, another refused), listed, read by number or `latest`, rendered with checked variables,
 * deleted with an event; experiments started, listed, stopped and reported; and who may do what:
 * no credentials 401, a member reads but may not write (403), another organization's caller sees
 * nothing (404), unknown names and versions 404.
 */
const PASSWORD = 'prompts-password-0123';

const VERSION_1 = {
  name: 'greeting',
  version: 1,
  body: 'Hello {{name}}.{{#if topics}} Topics:{{#each topics as t}} {{t}}{{/each}}{{/if}}',
  variables_schema: {
    type: 'object',
    properties: { name: { type: 'string' }, topics: { type: 'array', items: { type: 'string' } } },
    required: ['name'],
  },
};

describe.each(sqlBackends())('prompt routes (%s)', (backend) => {
  let store: SqlStore;
  let drop: () => Promise<void>;
  let gw: TestGateway;
  const tokens: Record<'orgAdmin' | 'member' | 'outsider', string> = {
    orgAdmin: '',
    member: '',
    outsider: '',
  };
  let orgA = '';
  let orgB = '';

  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, token: string, body?: unknown) => {
    const answer = await gw.call(method, url, { token, ...(body === undefined ? {} : { body }) });
    return { status: answer.statusCode, body: answer.json() as Record<string, unknown> };
  };
  const user = async (email: string, org: string, role: string): Promise<string> => {
    const created = await call('POST', '/users', ADMIN_TOKEN, { email, password: PASSWORD });
    await call('POST', `/orgs/${org}/members`, ADMIN_TOKEN, { user_id: created.body.id, role });
    const login = await gw.call('POST', '/login', { body: { email, password: PASSWORD } });
    return (login.json() as { token: string }).token;
  };

  beforeAll(async () => {
    ({ store, drop } = await createTestStore(backend));
    gw = await openGateway(store, new ManualClock(Date.now()));
    orgA = (await call('POST', '/orgs', ADMIN_TOKEN, { name: 'prompts-a' })).body.id as string;
    orgB = (await call('POST', '/orgs', ADMIN_TOKEN, { name: 'prompts-b' })).body.id as string;
    tokens.orgAdmin = await user('admin@prompts.test', orgA, 'org_admin');
    tokens.member = await user('member@prompts.test', orgA, 'org_member');
    tokens.outsider = await user('outsider@prompts.test', orgB, 'org_admin');
  });
  afterAll(async () => {
    await gw?.close();
    await drop();
  });

  it('writes a version once: the same again is answered, another under it is refused', async () => {
    const created = await call('POST', '/prompts', tokens.orgAdmin, VERSION_1);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ org_id: orgA, name: 'greeting', version: 1, body: VERSION_1.body });
    expect(created.body.created_by).toMatch(/^user:/);
    // The same version again, its schema's keys in another order: the stored one.
    const again = await call('POST', '/prompts', tokens.orgAdmin, {
      ...VERSION_1,
      variables_schema: {
        required: ['name'],
        properties: VERSION_1.variables_schema.properties,
        type: 'object',
      },
    });
    expect(again).toEqual({ status: 200, body: created.body });
    const changed = await call('POST', '/prompts', tokens.orgAdmin, { ...VERSION_1, body: 'Hi {{name}}' });
    expect(changed.status).toBe(409);
    expect(changed.body).toMatchObject({ error: { code: 'ASTRA_STATE_CONFLICT' } });
    const read = await call('GET', `/prompts/greeting/1?org_id=${orgA}`, tokens.member);
    expect(read).toEqual({ status: 200, body: created.body });
    // The caller's only organization is the default.
    expect((await call('GET', '/prompts/greeting/1', tokens.member)).body).toEqual(created.body);
  });

  it('lists templates and versions, reads the latest, and renders with checked variables', async () => {
    const v2 = { ...VERSION_1, version: 2, body: 'Hi {{name}}!' };
    expect((await call('POST', '/prompts', tokens.orgAdmin, v2)).status).toBe(201);
    const list = await call('GET', '/prompts', tokens.member);
    expect(
      (list.body.prompts as { name: string; version: number }[]).map((p) => [p.name, p.version]),
    ).toEqual([['greeting', 2]]);
    const versions = await call('GET', '/prompts/greeting', tokens.member);
    expect((versions.body.versions as { version: number }[]).map((v) => v.version)).toEqual([2, 1]);
    expect((await call('GET', '/prompts/greeting/latest', tokens.member)).body.version).toBe(2);
    const rendered = await call('POST', '/prompts/greeting/1/render', tokens.member, {
      variables: { name: 'Ada', topics: ['math', 'engines'] },
    });
    expect(rendered).toEqual({
      status: 200,
      body: {
        name: 'greeting',
        version: 1,
        text: 'Hello Ada. Topics: math engines',
        tokens: expect.any(Number),
      },
    });
    const latest = await call('POST', '/prompts/greeting/latest/render', tokens.member, {
      variables: { name: 'B' },
    });
    expect(latest.body).toMatchObject({ version: 2, text: 'Hi B!' });
    const invalid = await call('POST', '/prompts/greeting/1/render', tokens.member, {
      variables: { topics: ['ok', 3] },
    });
    expect(invalid.status).toBe(400);
    const error = invalid.body.error as { code: string; details: { issues: string } };
    expect(error.code).toBe('ASTRA_PROMPT_VARIABLES_INVALID');
    expect((JSON.parse(error.details.issues) as { path: string }[]).map((i) => i.path).sort()).toEqual([
      '/name',
      '/topics/1',
    ]);
  });

  it('refuses undeclared placeholders, malformed bodies and unusable schemas when a version is written', async () => {
    const undeclared = await call('POST', '/prompts', tokens.orgAdmin, {
      name: 'bad',
      version: 1,
      body: '{{who}} and {{name}}',
      variables_schema: { type: 'object', properties: { name: { type: 'string' } } },
    });
    expect(undeclared.status).toBe(400);
    expect(undeclared.body.error).toMatchObject({
      code: 'ASTRA_PROMPT_VARIABLES_INVALID',
      details: { path: '/who' },
    });
    const noSchema = await call('POST', '/prompts', tokens.orgAdmin, {
      name: 'bad',
      version: 1,
      body: '{{x}}',
    });
    expect(noSchema.body.error).toMatchObject({
      code: 'ASTRA_PROMPT_VARIABLES_INVALID',
      details: { path: '/x' },
    });
    const malformed = await call('POST', '/prompts', tokens.orgAdmin, {
      name: 'bad',
      version: 1,
      body: 'a\n{{#if x}}',
    });
    expect(malformed.body.error).toMatchObject({
      code: 'ASTRA_VALIDATION_FAILED',
      details: { path: 'body.body' },
    });
    const unusable = await call('POST', '/prompts', tokens.orgAdmin, {
      name: 'bad',
      version: 1,
      body: 'plain',
      variables_schema: { type: 'nope' },
    });
    expect(unusable.body.error).toMatchObject({
      code: 'ASTRA_VALIDATION_FAILED',
      details: { path: 'body.variables_schema' },
    });
    for (const name of ['experiments', '-x', 'a b'])
      expect(
        (await call('POST', '/prompts', tokens.orgAdmin, { name, version: 1, body: 'x' })).status,
        name,
      ).toBe(400);
    expect((await call('GET', '/prompts/bad', tokens.member)).status).toBe(404);
  });

  it('answers 401 without credentials, 403 to members writing, 404 to other organizations and unknown prompts', async () => {
    expect((await call('GET', '/prompts', '')).status).toBe(401);
    expect((await call('POST', '/prompts', '', VERSION_1)).status).toBe(401);
    const byMember = await call('POST', '/prompts', tokens.member, { ...VERSION_1, version: 9 });
    expect([byMember.status, (byMember.body.error as { code: string }).code]).toEqual([
      403,
      'ASTRA_FORBIDDEN',
    ]);
    expect((await call('DELETE', '/prompts/greeting/1', tokens.member)).status).toBe(403);
    // Another organization's caller: A's prompts do not exist for them.
    for (const [method, url, body] of [
      ['GET', `/prompts?org_id=${orgA}`, undefined],
      ['GET', `/prompts/greeting?org_id=${orgA}`, undefined],
      ['GET', `/prompts/greeting/1?org_id=${orgA}`, undefined],
      ['POST', '/prompts/greeting/1/render', { org_id: orgA, variables: { name: 'x' } }],
      ['POST', '/prompts', { ...VERSION_1, version: 9, org_id: orgA }],
      ['DELETE', `/prompts/greeting/1?org_id=${orgA}`, undefined],
    ] as const)
      expect((await call(method, url, tokens.outsider, body)).status, `${method} ${url}`).toBe(404);
    // In their own organization, the name is free.
    expect((await call('GET', '/prompts/greeting', tokens.outsider)).status).toBe(404);
    expect((await call('POST', '/prompts', tokens.outsider, VERSION_1)).body.org_id).toBe(orgB);
    for (const url of [
      '/prompts/nothing',
      '/prompts/greeting/77',
      '/prompts/greeting/0',
      '/prompts/greeting/x1',
    ])
      expect((await call('GET', url, tokens.member)).status, url).toBe(404);
  });

  it('deletes a version with an event, and forgets it in the cache', async () => {
    const cache = createLruCache({ clock: new ManualClock(0), maxEntries: 100, defaultTtlMs: 60_000 });
    const library = new PromptLibrary({ store, cache });
    await call('POST', '/prompts', tokens.orgAdmin, { ...VERSION_1, name: 'doomed' });
    expect((await library.read(orgA, 'doomed', 1))?.body).toBe(VERSION_1.body);
    expect(await cache.get(PromptLibrary.keyOf(orgA, 'doomed', 1))).toBeDefined();
    const removed = await call('DELETE', '/prompts/doomed/1', tokens.orgAdmin);
    expect(removed).toEqual({ status: 200, body: { name: 'doomed', version: 1, deleted: true } });
    expect((await call('DELETE', '/prompts/doomed/1', tokens.orgAdmin)).status).toBe(404);
    expect((await call('GET', '/prompts/doomed/1', tokens.member)).status).toBe(404);
    // The gateway's library has its own cache; this one is forgotten through the same call.
    await library.forget(orgA, 'doomed', 1);
    expect(await library.read(orgA, 'doomed', 1)).toBeNull();
    const { rows } = await store.query<{ event_type: string; payload: Record<string, unknown> }>(
      `SELECT event_type, payload FROM events WHERE event_type LIKE 'PromptVersion%' AND payload->>'name' = 'doomed' ORDER BY id`,
    );
    expect(rows.map((r) => [r.event_type, r.payload.by])).toEqual([
      ['PromptVersionWritten', expect.stringMatching(/^user:/)],
      ['PromptVersionDeleted', expect.stringMatching(/^user:/)],
    ]);
  });

  it('starts, lists, reports and stops experiments, and refuses what breaks their rules', async () => {
    const start = (body: Record<string, unknown>, token = tokens.orgAdmin) =>
      call('POST', '/prompts/experiments', token, body);
    const body = {
      prompt_name: 'greeting',
      subject: 'agent',
      variants: [
        { version: 1, weight: 3 },
        { version: 2, weight: 1 },
      ],
    };
    const missing = await start({
      ...body,
      variants: [
        { version: 1, weight: 1 },
        { version: 5, weight: 1 },
      ],
    });
    expect(missing.body.error).toMatchObject({
      code: 'ASTRA_VALIDATION_FAILED',
      details: { path: 'body.variants' },
    });
    expect(
      (
        await start({
          ...body,
          variants: [
            { version: 1, weight: 1 },
            { version: 1, weight: 2 },
          ],
        })
      ).status,
    ).toBe(400);
    expect((await start(body, tokens.member)).status).toBe(403);
    expect((await start({ ...body, org_id: orgA }, tokens.outsider)).status).toBe(404);
    const started = await start(body);
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({
      status: 'running',
      subject: 'agent',
      stopped_at: null,
      variants: body.variants,
    });
    const id = started.body.id as string;
    expect((await start(body)).status).toBe(409);
    // A running experiment's versions stay.
    expect((await call('DELETE', '/prompts/greeting/2', tokens.orgAdmin)).status).toBe(409);

    const listed = await call('GET', '/prompts/experiments?status=running', tokens.member);
    expect((listed.body.experiments as { id: string }[]).map((e) => e.id)).toEqual([id]);
    expect((await call('GET', '/prompts/experiments', tokens.outsider)).body.experiments).toEqual([]);
    expect((await call('GET', `/prompts/experiments/${id}`, tokens.member)).body.id).toBe(id);
    const report = await call('GET', `/prompts/experiments/${id}/report`, tokens.member);
    expect(report.body.variants).toEqual([
      {
        version: 1,
        weight: 3,
        assigned: 0,
        count: 0,
        success_rate: null,
        mean_cost_usd: null,
        mean_score: null,
      },
      {
        version: 2,
        weight: 1,
        assigned: 0,
        count: 0,
        success_rate: null,
        mean_cost_usd: null,
        mean_score: null,
      },
    ]);
    for (const url of [`/prompts/experiments/${id}`, `/prompts/experiments/${id}/report`])
      expect((await call('GET', url, tokens.outsider)).status, url).toBe(404);
    expect((await call('POST', `/prompts/experiments/${id}/stop`, tokens.outsider)).status).toBe(404);
    expect((await call('POST', `/prompts/experiments/${id}/stop`, tokens.member)).status).toBe(403);
    for (const url of [
      '/prompts/experiments/00000000-0000-4000-8000-000000000000',
      '/prompts/experiments/nope/report',
    ])
      expect((await call('GET', url, tokens.member)).status, url).toBe(404);

    const stopped = await call('POST', `/prompts/experiments/${id}/stop`, tokens.orgAdmin);
    expect(stopped.body).toMatchObject({ id, status: 'stopped', stopped_at: expect.any(String) });
    expect((await call('POST', `/prompts/experiments/${id}/stop`, tokens.orgAdmin)).body).toEqual(
      stopped.body,
    );
    // Another may start now.
    expect((await start(body)).status).toBe(201);
  });
});
