import { describe, expect, it } from 'vitest';
import { defaultCatalog } from '../../src/services/llm/index.js';
import { call, routerOver } from './router-kit.js';
import { scriptedProvider } from './scripted-provider.js';

const catalog = [
  { ref: 'a/local-small', tier: 'local' as const },
  { ref: 'a/mini', tier: 'standard' as const },
  { ref: 'b/large', tier: 'premium' as const, contextTokens: 200_000 },
];

describe('router routing', () => {
  const a = scriptedProvider('a');
  const b = scriptedProvider('b');
  const first = async (
    overrides: Parameters<typeof call>[0],
    options: Parameters<typeof routerOver>[2] = {},
  ) => {
    const { router } = routerOver([a, b], catalog, options);
    return (await router.complete(call(overrides))).model;
  };

  it('resolves provider/model refs, aliases and tiers', async () => {
    const aliases = { fast: 'a/mini', best: 'premium' };
    expect(await first({ model: 'b/large' }, { aliases })).toBe('b/large');
    expect(await first({ model: 'fast' }, { aliases })).toBe('a/mini');
    expect(await first({ model: 'best' }, { aliases })).toBe('b/large');
    expect(await first({ model: 'local' }, { aliases })).toBe('a/local-small');
    // A model the catalog does not list, of a configured provider, is still callable by name.
    expect(await first({ model: 'a/unlisted' }, { aliases })).toBe('a/unlisted');
  });

  it('matches rules in order on task type, token estimate, tier and agent', async () => {
    const rules = [
      { when: { taskType: 'plan' }, use: ['premium'] },
      { when: { minInputTokens: 1000 }, use: ['b/large'] },
      { when: { tier: 'local' as const }, use: ['a/mini'] },
      { when: { agentId: 'agent-9' }, use: ['local'] },
      { use: ['a/mini'] },
    ];
    expect(await first({ taskType: 'plan' }, { rules })).toBe('b/large');
    expect(await first({ scope: { ...call().scope, purpose: 'plan' } }, { rules })).toBe('b/large');
    const long = 'word '.repeat(1500);
    expect(await first({ messages: [{ role: 'user', content: long }] }, { rules })).toBe('b/large');
    expect(await first({ scope: { ...call().scope, agentId: 'agent-9' } }, { rules })).toBe('a/local-small');
    expect(await first({}, { rules })).toBe('a/mini');
  });

  it("takes the agent's configured model or tier when the call names none", async () => {
    const seen: string[] = [];
    const agentModel = (scope: { agentId: string | null }) => {
      seen.push(scope.agentId ?? '');
      return Promise.resolve('premium');
    };
    expect(await first({}, { agentModel })).toBe('b/large');
    expect(await first({ model: 'a/mini' }, { agentModel })).toBe('a/mini');
    expect(seen).toEqual(['agent-1']);
  });

  it('falls back along the rule chain after the requested model', async () => {
    a.script({ fail: 'server' });
    const { router } = routerOver([a, b], catalog, { rules: [{ use: ['premium'] }] });
    const result = await router.complete(call({ model: 'a/mini' }));
    expect(result.attempts.map((attempt) => attempt.model)).toEqual(['a/mini', 'b/large']);
  });

  it("caps the output asked for at the call's, the model's, and what the window leaves", async () => {
    const c = scriptedProvider('c');
    const { router } = routerOver(
      [c],
      [
        { ref: 'c/small', tier: 'standard', contextTokens: 1000, maxOutputTokens: 4000 },
        { ref: 'c/big', tier: 'standard', contextTokens: 100_000, maxOutputTokens: 2000 },
      ],
      { maxOutputTokens: 4096 },
    );
    const estimates: number[] = [];
    const recorded = routerOver(
      [c],
      [{ ref: 'c/big', tier: 'standard', contextTokens: 100_000, maxOutputTokens: 2000 }],
      {
        attemptInterceptors: [
          (attempt, next) => {
            estimates.push(attempt.estimate.maxOutputTokens);
            return next(attempt);
          },
        ],
      },
    ).router;
    await router.complete(call({ model: 'c/small' }));
    await router.complete(call({ model: 'c/big' }));
    await router.complete(call({ model: 'c/big', maxOutputTokens: 50 }));
    await recorded.complete(call());
    const asked = c.requests.map((request) => request.maxOutputTokens);
    // c/small: 1000 - the input estimate (~14) left; c/big: its own 2000; the call's 50.
    expect(asked[0]).toBeGreaterThan(900);
    expect(asked[0]).toBeLessThan(1000);
    expect(asked.slice(1)).toEqual([2000, 50, 2000]);
    expect(estimates).toEqual([2000]);
  });

  it('builds a default catalog from discovered providers', () => {
    const built = defaultCatalog(
      [
        { name: 'openai', kind: 'openai' },
        { name: 'anthropic', kind: 'anthropic' },
        { name: 'ollama', kind: 'ollama' },
      ],
      { ollama: ['llama3.2:3b'] },
    );
    expect(built.models.map((model) => model.ref)).toContain('openai/gpt-4o-mini');
    expect(built.models.map((model) => model.ref)).toContain('anthropic/claude-sonnet-4-5');
    expect(built.models.find((model) => model.ref === 'ollama/llama3.2:3b')?.tier).toBe('local');
    expect(built.aliases.fast).toBe('openai/gpt-4o-mini');
    // OPENAI_BASE_URL at a compatible server: its listed models, as local ones.
    const compatible = defaultCatalog(
      [{ name: 'openai', kind: 'openai', baseUrl: 'http://127.0.0.1:8000/v1' }],
      {
        openai: ['meta-llama/Llama-3.1-8B-Instruct'],
      },
    );
    expect(compatible.models).toEqual([
      expect.objectContaining({ ref: 'openai/meta-llama/Llama-3.1-8B-Instruct', tier: 'local' }),
    ]);
    expect(compatible.aliases).toEqual({
      fast: 'openai/meta-llama/Llama-3.1-8B-Instruct',
      smart: 'openai/meta-llama/Llama-3.1-8B-Instruct',
    });
  });
});
