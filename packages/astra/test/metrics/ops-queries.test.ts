import { describe, expect, it } from 'vitest';
import { metricNamesOf, opsMetricNames, opsQueries } from './ops-queries.js';

/** The PromQL reader the ops test stands on: it finds the metrics and refuses what it cannot read. */
describe('the ops files PromQL reader', () => {
  it('finds the metrics an expression selects, not its functions, labels, keywords or numbers', () => {
    expect(
      metricNamesOf(
        'sum by (le) (rate(a_seconds_bucket{outcome="x"}[5m])) / clamp_min(sum(rate(b_total[$__rate_interval] offset 1d)), 1e-9) > 0.05 and on (shard) c',
      ).sort(),
    ).toEqual(['a_seconds_bucket', 'b_total', 'c']);
    expect(metricNamesOf('max by (worker_id) (astra_worker_heartbeat_age_seconds) > 30')).toEqual([
      'astra_worker_heartbeat_age_seconds',
    ]);
  });

  it('refuses unbalanced brackets and expressions that name no metric', () => {
    expect(() => metricNamesOf('sum(rate(x[5m])')).toThrow(/unclosed/);
    expect(() => metricNamesOf('sum(x})')).toThrow(/unbalanced/);
    expect(() => metricNamesOf('vector(1) > 0')).toThrow(/no metric/);
  });

  it('reads every alert and dashboard expression of ops/', async () => {
    const queries = await opsQueries();
    expect(queries.filter((q) => q.file === 'prometheus/alerts.yml').length).toBeGreaterThan(15);
    expect(new Set(queries.map((q) => q.file)).size).toBeGreaterThan(3);
    const names = await opsMetricNames();
    expect(names.has('astra_task_failure_total')).toBe(true);
  });
});
