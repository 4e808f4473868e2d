import { expect, it } from 'vitest';
import { ADMIN_TOKEN, gatewayPerTest } from '../identity/gateway.js';

/**
 * A goal given only in words on a node with no LLM provider: a clear 400 ASTRA_LLM_NO_PROVIDER
 * that says how to configure one, and nothing written; declared plans keep working.
 */
const context = gatewayPerTest();

it('refuses a goal in words with ASTRA_LLM_NO_PROVIDER when no provider is configured', async () => {
  const created = await context.gw.call('POST', '/agents', { token: ADMIN_TOKEN, body: { name: 'wordy' } });
  const { actor_id: agent } = created.json() as { actor_id: string };
  const refused = await context.gw.call('POST', `/agents/${agent}/goals`, {
    token: ADMIN_TOKEN,
    body: { goal_text: 'summarize the news' },
  });
  expect(refused.statusCode, refused.body).toBe(400);
  const body = (refused.json() as { error: { code: string; message: string } }).error;
  expect(body.code).toBe('ASTRA_LLM_NO_PROVIDER');
  expect(body.message).toContain('OPENAI_API_KEY');
  expect(body.message).toContain('OLLAMA_HOST');
  const { rows } = await context.db.store.query('SELECT id FROM goals WHERE agent_id = $1', [agent]);
  expect(rows).toEqual([]);
  const declared = await context.gw.call('POST', `/agents/${agent}/goals`, {
    token: ADMIN_TOKEN,
    body: { goal_text: 'declared', plan: { tasks: [{ id: 'a', type: 'noop' }] } },
  });
  expect(declared.statusCode, declared.body).toBe(201);
});
