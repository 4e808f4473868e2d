import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLexicalEmbedder, createOpenAiEmbedder } from '../../src/adapters/embedder/index.js';
import type { BusFields } from '../../src/ports/bus.js';
import {
  BudgetLedger,
  budgetInterceptor,
  createPriceTable,
  NO_LIMIT,
  usageFromFields,
  usageInterceptor,
} from '../../src/services/cost/index.js';
import { accountedEmbedder } from '../../src/services/memory/index.js';
import { ManualClock } from '../../src/time/clock.js';
import { newId, scopeOf } from '../cost/attempts.js';
import { fault, type LlmServer, startOpenAiServer } from '../support/llm-servers/index.js';
import { createTestPgliteStore, type TestPgliteStore } from '../support/sql.js';

/** Remote embedding calls go through the cost service's budget and usage interceptors, purpose `embed`. */
describe('accounted embedder', () => {
  let db: TestPgliteStore;
  let server: LlmServer;
  const clock = new ManualClock(Date.parse('2026-03-01T12:00:00Z'));
  const published: BusFields[] = [];
  beforeAll(async () => {
    db = await createTestPgliteStore();
    server = await startOpenAiServer();
  });
  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  const wrap = (agentTokens: number | null) => {
    const prices = createPriceTable();
    const ledger = new BudgetLedger(db.store, { clock });
    const limits = async () => ({
      org: NO_LIMIT,
      agent: { tokens: agentTokens, nanoUsd: null },
      goal: NO_LIMIT,
    });
    const bus = {
      publish: async (_stream: string, fields: BusFields) => {
        published.push(fields);
        return '0-1';
      },
    };
    const embedder = createOpenAiEmbedder({ baseUrl: `${server.url}/v1`, model: 'emb-test', dimensions: 8 });
    return accountedEmbedder(embedder, {
      interceptors: [
        budgetInterceptor({ ledger, limits, prices, clock }),
        usageInterceptor({ bus, prices, clock }),
      ],
      clock,
    });
  };

  it('publishes a usage record with purpose embed and the provider-reported tokens', async () => {
    const agentId = newId();
    const { vectors } = await wrap(null).embed(
      ['the deploy failed', 'billing'],
      scopeOf({ agentId, purpose: 'memory' }),
    );
    expect(vectors).toHaveLength(2);
    const record = usageFromFields(published.at(-1) as BusFields);
    expect(record).toMatchObject({
      agentId,
      purpose: 'embed',
      model: 'openai/emb-test',
      tokensIn: 7,
      tokensOut: 0,
      outcome: 'ok',
    });
  });

  it('refuses a call that would overrun the agent budget before anything is sent', async () => {
    const before = server.requests.length;
    const embedder = wrap(3);
    await expect(
      embedder.embed(
        ['a long text that has far more than three tokens in it'],
        scopeOf({ agentId: newId() }),
      ),
    ).rejects.toMatchObject({
      code: 'ASTRA_LLM_BUDGET_EXCEEDED',
    });
    expect(server.requests.length).toBe(before);
  });

  it("answers a provider's failure as ASTRA_MEMORY_EMBEDDER_FAILED with its kind and retry hint", async () => {
    server.scriptEmbeddings(fault(429, { retryAfterS: 2 }));
    await expect(wrap(null).embed(['rate limited'], scopeOf({ agentId: newId() }))).rejects.toMatchObject({
      code: 'ASTRA_MEMORY_EMBEDDER_FAILED',
      retryable: true,
      details: { kind: 'rate_limited', status: 429, retryAfterMs: 2000, model: 'openai/emb-test' },
    });
  });

  it('does not account the offline embedder', async () => {
    const count = published.length;
    const offline = accountedEmbedder(createLexicalEmbedder(), { interceptors: [], clock });
    await offline.embed(['x'], scopeOf());
    expect(published.length).toBe(count);
  });
});
