import { describe, expect, it } from 'vitest';
import { HotCounter, HotHistogram } from '../../src/services/metrics/hot-series.js';
import { createMetricsRegistry } from '../../src/services/metrics/index.js';
import { find, parseExposition } from './exposition.js';

/** The hot-path series as a scrape shows them: prom-client's exposition, counted without it. */
describe('hot series', () => {
  const registry = () => createMetricsRegistry({ processMetrics: false });

  it('writes a histogram with cumulative buckets, +Inf, sum and count per label set', async () => {
    const reg = registry();
    const family = new HotHistogram(reg, {
      name: 'x_seconds',
      help: 'x',
      labelNames: ['kind'],
      buckets: [1, 0.1, 10],
    });
    const a = family.series('a');
    for (const value of [0.05, 0.1, 0.5, 5, 50]) a.observe(value);
    family.series('b');
    const scrape = parseExposition(await reg.metrics());
    expect(scrape.families.get('x_seconds')).toBe('histogram');
    const buckets = find(scrape, 'x_seconds_bucket', { kind: 'a' }).map((s) => [s.labels.le, s.value]);
    expect(buckets).toEqual([
      ['0.1', 2],
      ['1', 3],
      ['10', 4],
      ['+Inf', 5],
    ]);
    expect(find(scrape, 'x_seconds_sum', { kind: 'a' })[0]?.value).toBeCloseTo(55.65);
    expect(find(scrape, 'x_seconds_count', { kind: 'a' })[0]?.value).toBe(5);
    // A bound series without an observation is not exported, as with prom-client's histograms.
    expect(find(scrape, 'x_seconds_count', { kind: 'b' })).toEqual([]);
  });

  it('exports a counter series from its binding, and reset zeroes it', async () => {
    const reg = registry();
    const family = new HotCounter(reg, { name: 'y_total', help: 'y', labelNames: ['kind', 'ok'] });
    family.series('a', 'true').inc();
    family.series('a', 'true').inc(2);
    family.series('b', 'false');
    let scrape = parseExposition(await reg.metrics());
    expect(scrape.families.get('y_total')).toBe('counter');
    expect(find(scrape, 'y_total').map((s) => [s.labels, s.value])).toEqual([
      [{ kind: 'a', ok: 'true' }, 3],
      [{ kind: 'b', ok: 'false' }, 0],
    ]);
    reg.resetMetrics();
    scrape = parseExposition(await reg.metrics());
    expect(find(scrape, 'y_total', { kind: 'a' })[0]?.value).toBe(0);
  });

  it('refuses label values that do not match its label names, and a second family of a name', () => {
    const reg = registry();
    const family = new HotCounter(reg, { name: 'z_total', help: 'z', labelNames: ['kind'] });
    expect(() => family.series()).toThrow(/takes labels kind/);
    expect(() => new HotCounter(reg, { name: 'z_total', help: 'z' })).toThrow(/already been registered/);
  });
});
