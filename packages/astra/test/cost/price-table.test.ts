import { describe, expect, it } from 'vitest';
import { NO_USAGE } from '../../src/ports/llm.js';
import { createPriceTable, VENDORED_PRICES } from '../../src/services/cost/index.js';

const usage = (inputTokens: number, outputTokens: number, cachedInputTokens = 0, estimated = false) => ({
  inputTokens,
  outputTokens,
  cachedInputTokens,
  estimated,
});

describe('the vendored price table', () => {
  const table = createPriceTable();
  const later = new Date('2026-01-01T00:00:00Z');
  const before = new Date('2025-01-01T00:00:00Z');

  it('prices input, cached input and output per million tokens, exactly', () => {
    // gpt-4o-mini: $0.15 in, $0.075 cached, $0.60 out per million.
    const price = table.priceOf('openai/gpt-4o-mini', usage(1_000_000, 1_000_000, 400_000), later);
    expect(price.nanoUsd).toBe(600_000 * 150 + 400_000 * 75 + 1_000_000 * 600);
    expect(price.costUsd).toBeCloseTo(0.72, 9);
    expect(price).toMatchObject({ priced: true, version: '2025-08-07' });
  });

  it('picks the version in force at the call, so a past run keeps its prices', () => {
    expect(table.priceOf('openai/gpt-5', usage(1000, 0), before)).toMatchObject({
      priced: false,
      version: '2024-10-01',
      nanoUsd: 0,
    });
    expect(table.priceOf('openai/gpt-5', usage(1000, 0), later)).toMatchObject({
      priced: true,
      version: '2025-08-07',
      nanoUsd: 1250 * 1000,
    });
    // A call before the first version is priced by the first one.
    expect(table.priceOf('openai/gpt-4o', usage(1, 0), new Date('2020-01-01')).version).toBe('2024-10-01');
  });

  it('finds dated and tagged variants under the longest listed name, from any provider name', () => {
    const at = later;
    expect(table.rateOf('openai/gpt-4o-mini-2024-07-18', at).rate?.input).toBe(0.15);
    expect(table.rateOf('openai/gpt-4o-2024-08-06', at).rate?.input).toBe(2.5);
    expect(table.rateOf('anthropic/claude-3-5-sonnet-latest', at).rate?.output).toBe(15);
    expect(table.rateOf('anthropic/claude-sonnet-4-20250514', at).rate?.input).toBe(3);
    expect(table.rateOf('azure/gpt-4.1-mini', at).rate?.output).toBe(1.6);
    expect(table.rateOf('openai/o3-mini', at).rate?.input).toBe(1.1);
    expect(table.rateOf('openai/gpt-4omni', at).rate).toBeNull();
  });

  it('prices local models at zero, and unknown ones at the configured default, flagged', () => {
    expect(table.priceOf('ollama/llama3:8b', usage(5000, 5000), later)).toMatchObject({
      nanoUsd: 0,
      priced: true,
    });
    expect(table.priceOf('vllm/gpt-4o', usage(5000, 5000), later)).toMatchObject({
      nanoUsd: 0,
      priced: true,
    });
    expect(table.priceOf('acme/mystery', usage(1000, 1000), later)).toMatchObject({
      nanoUsd: 0,
      priced: false,
    });
    const strict = createPriceTable({ unknownModel: { input: 10, cached_input: 10, output: 30 } });
    expect(strict.priceOf('acme/mystery', usage(1000, 1000), later)).toMatchObject({
      nanoUsd: 1000 * 10_000 + 1000 * 30_000,
      priced: false,
    });
  });

  it('prices an aborted stream on the tokens counted so far, and nothing on no usage', () => {
    const partial = table.priceOf('anthropic/claude-3-5-haiku', usage(2000, 300, 0, true), later);
    expect(partial.nanoUsd).toBe(2000 * 800 + 300 * 4000);
    expect(table.priceOf('anthropic/claude-3-5-haiku', NO_USAGE, later).nanoUsd).toBe(0);
  });

  it('refuses a table with a bad rate or no version', () => {
    const [first] = VENDORED_PRICES;
    if (first === undefined) throw new Error('no vendored version');
    expect(() =>
      createPriceTable({
        versions: [{ ...first, models: { openai: { bad: { input: -1, cached_input: 0, output: 0 } } } }],
      }),
    ).toThrow(/bad rate/);
    expect(() => createPriceTable({ versions: [] })).toThrow(/no version/);
    // Every vendored version says when its prices were taken.
    for (const version of VENDORED_PRICES) expect(version.taken).toMatch(/\d{4}-\d{2}-\d{2}/);
  });
});
