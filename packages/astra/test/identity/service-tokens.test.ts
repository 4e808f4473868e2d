import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/time/clock.js';
import { createTestPgliteStore, type TestPgliteStore } from '../support/sql.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOKEN, openGateway, type TestGateway } from './gateway.js';

/**
 * Service tokens and agent-to-agent goals through the real routes: a token minted for an agent
 * authenticates as that agent and nothing else, `POST /internal/goals` takes only such tokens,
 * records the caller as the source agent, and limits each source agent per minute across gateways.
 */
const PLAN = { tasks: [{ id: 'only', type: 'noop' }] };

describe('service tokens and POST /internal/goals', () => {
  let db: TestPgliteStore;
  let clock: ManualClock;
  let gw: TestGateway;

  beforeEach(async () => {
    db = await createTestPgliteStore();
    // At a minute's start, so the per-minute window spans the whole test until the clock moves.
    clock = new ManualClock(Math.floor(Date.now() / 60_000) * 60_000);
    gw = await openGateway(db.store, clock, { agentGoalsPerMinute: 3 });
  });
  afterEach(async () => {
    await gw.close();
    await db.drop();
  });

  const createAgent = async (name: string): Promise<string> => {
    const response = await gw.call('POST', '/agents', { token: ADMIN_TOKEN, body: { name } });
    expect(response.statusCode).toBe(201);
    return (response.json() as { actor_id: string }).actor_id;
  };
  const mint = async (agentId: string, body: object = {}) => {
    const response = await gw.call('POST', `/agents/${agentId}/service-tokens`, { token: ADMIN_TOKEN, body });
    expect(response.statusCode).toBe(201);
    return response.json() as {
      token: string;
      service_token: { id: string; prefix: string; expires_at: string };
    };
  };
  const internalGoal = (token: string, agentId: string, headers: Record<string, string> = {}) =>
    gw.call('POST', '/internal/goals', {
      token,
      body: { agent_id: agentId, goal_text: 'help me', plan: PLAN, source_agent_id: agentId },
      headers,
    });

  it('mints a token shown once, lists it by prefix only, and it acts as the agent until revoked', async () => {
    const source = await createAgent('source');
    const target = await createAgent('target');
    const minted = await mint(source, { name: 'to target', ttl_seconds: 3600 });
    expect(minted.token).toMatch(/^astrasvc_/);
    expect(Date.parse(minted.service_token.expires_at) - clock.now()).toBe(3_600_000);
    const list = await gw.call('GET', `/agents/${source}/service-tokens`, { token: ADMIN_TOKEN });
    expect(list.body).not.toContain(minted.token);
    expect(list.body).not.toContain('hash');
    expect(list.json()).toMatchObject({
      service_tokens: [{ id: minted.service_token.id, name: 'to target' }],
    });

    const submitted = await internalGoal(minted.token, target);
    expect(submitted.statusCode).toBe(201);
    const goalId = (submitted.json() as { goal_id: string }).goal_id;
    const { rows } = await db.store.query('SELECT agent_id, source_agent_id FROM goals WHERE id = $1', [
      goalId,
    ]);
    // The source is the token's agent, whatever the body claimed.
    expect(rows).toEqual([{ agent_id: target, source_agent_id: source }]);

    const revoked = await gw.call('DELETE', `/agents/${source}/service-tokens/${minted.service_token.id}`, {
      token: ADMIN_TOKEN,
    });
    expect(revoked.json()).toEqual({ id: minted.service_token.id, revoked: true });
    expect((await internalGoal(minted.token, target)).statusCode).toBe(401);
    const wrongAgent = await gw.call(
      'DELETE',
      `/agents/${target}/service-tokens/${minted.service_token.id}`,
      {
        token: ADMIN_TOKEN,
      },
    );
    expect(wrongAgent.statusCode).toBe(404);
  });

  it('expires tokens by the injected clock', async () => {
    const agent = await createAgent('brief');
    const minted = await mint(agent, { ttl_seconds: 60 });
    expect((await internalGoal(minted.token, agent)).statusCode).toBe(201);
    await clock.advance(60_000);
    expect((await internalGoal(minted.token, agent)).statusCode).toBe(401);
  });

  it('takes only service tokens at /internal/goals, and service tokens only as agents', async () => {
    const agent = await createAgent('agent');
    const { token: service } = await mint(agent);
    const login = (
      await gw.call('POST', '/login', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } })
    ).json() as {
      token: string;
      user: { id: string };
    };
    for (const token of [ADMIN_TOKEN, login.token]) {
      const refused = await internalGoal(token, agent);
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ error: { code: 'ASTRA_FORBIDDEN' } });
    }
    // A service token is no user: it owns no API keys, reads no user, refreshes nothing, mints nothing.
    expect((await gw.call('POST', '/api-keys', { token: service, body: { name: 'x' } })).statusCode).toBe(
      403,
    );
    expect([403, 404]).toContain(
      (await gw.call('GET', `/users/${login.user.id}`, { token: service })).statusCode,
    );
    expect((await gw.call('POST', '/auth/refresh', { body: { refresh_token: service } })).statusCode).toBe(
      401,
    );
    expect([403, 404]).toContain(
      (await gw.call('POST', `/agents/${agent}/service-tokens`, { token: service, body: {} })).statusCode,
    );
    // Nor is a user token, a refresh token or a made-up one an agent.
    expect((await internalGoal(`astrasvc_${'A'.repeat(43)}`, agent)).statusCode).toBe(401);
  });

  it('limits each source agent per minute, counted across gateways, with Retry-After', async () => {
    const second = await openGateway(db.store, clock, { agentGoalsPerMinute: 3 });
    try {
      const source = await createAgent('busy');
      const other = await createAgent('quiet');
      const { token } = await mint(source);
      const { token: otherToken } = await mint(other);
      const codes: number[] = [];
      for (const gateway of [gw, second, gw]) {
        const response = await gateway.call('POST', '/internal/goals', {
          token,
          body: { agent_id: other, goal_text: 'work', plan: PLAN },
        });
        codes.push(response.statusCode);
      }
      expect(codes).toEqual([201, 201, 201]);
      const limited = await second.call('POST', '/internal/goals', {
        token,
        body: { agent_id: other, goal_text: 'work', plan: PLAN },
      });
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ error: { code: 'ASTRA_RATE_LIMITED' } });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      // Another source agent has its own count.
      expect((await internalGoal(otherToken, other)).statusCode).toBe(201);
      await clock.advance(60_000);
      expect((await internalGoal(token, other)).statusCode).toBe(201);
    } finally {
      await second.close();
    }
  });

  it('holds a service token to the same per-minute count on every goal-submitting route', async () => {
    const source = await createAgent('sneaky');
    const target = await createAgent('target');
    const { token } = await mint(source);
    const body = { goal_text: 'work', plan: PLAN };
    const routes = [
      () => gw.call('POST', `/agents/${target}/goals`, { token, body }),
      () => gw.call('POST', '/goals', { token, body: { ...body, agent_id: target } }),
      () => internalGoal(token, target),
    ];
    const codes: number[] = [];
    for (const send of routes) codes.push((await send()).statusCode);
    expect(codes).toEqual([201, 201, 201]);
    // The fourth goal of the minute is refused whichever route it takes.
    for (const send of routes) {
      const limited = await send();
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ error: { code: 'ASTRA_RATE_LIMITED' } });
    }
    // The goals name the agent that sent them, whichever route they took.
    const { rows } = await db.store.query('SELECT source_agent_id FROM goals WHERE agent_id = $1', [target]);
    expect(rows).toEqual([source, source, source].map((id) => ({ source_agent_id: id })));
  });
});
