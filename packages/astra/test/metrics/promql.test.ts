import { describe, expect, it } from 'vitest';
import { opsQueries } from './ops-queries.js';
import {
  bucketQuantile,
  durationMs,
  evaluatePromql,
  extrapolatedRate,
  parsePromql,
  scrapeAt,
  type TimedScrape,
} from './promql/index.js';

/** The test-support PromQL evaluator: the subset the alert rules use, against Prometheus's arithmetic. */
const at = scrapeAt;
const values = (result: ReturnType<typeof evaluatePromql>): unknown =>
  typeof result === 'number' ? result : result.map((s) => [s.labels, s.value]);

describe('the PromQL evaluator', () => {
  it('reads every alert expression of ops/prometheus/alerts.yml and evaluates it on an empty history', async () => {
    const alerts = (await opsQueries()).filter((q) => q.file === 'prometheus/alerts.yml');
    expect(alerts.length).toBeGreaterThan(15);
    for (const alert of alerts) {
      expect(() => parsePromql(alert.expr), alert.where).not.toThrow();
      expect(evaluatePromql(alert.expr, []), alert.where).toEqual([]);
    }
  });

  it('reads the failure-rate rule as Prometheus does: no success series, no ratio', async () => {
    const rule = (await opsQueries()).find((q) => q.where === 'AstraHighTaskFailureRate')?.expr as string;
    const failures = (n: number) => `astra_task_failure_total{task_type="tool",retryable="false"} ${n}`;
    const onlyFailures = [at(0, failures(1)), at(60, failures(5))];
    expect(evaluatePromql(rule, onlyFailures)).toEqual([]);
    const success = (n: number) => `astra_task_success_total{task_type="tool"} ${n}`;
    const both = [at(0, `${failures(1)}\n${success(1)}`), at(60, `${failures(5)}\n${success(2)}`)];
    expect(evaluatePromql(rule, both)).toHaveLength(1);
  });

  it('refuses what it does not implement, naming it', () => {
    expect(() => parsePromql('a or b')).toThrow(/"or" is not supported/);
    expect(() => parsePromql('sum without (x) (a)')).toThrow(/"without" is not supported/);
    expect(() => parsePromql('a / on (x) b')).toThrow(/"on" is not supported/);
    expect(() => parsePromql('topk(3, a)')).toThrow(/topk\(\) is not supported/);
    expect(() => parsePromql('rate(a[5m])[10m]')).toThrow(/subqueries/);
    expect(() => parsePromql('sum(rate(a[5m])')).toThrow(/expected ",", found the end/);
    expect(() => parsePromql('{job="x"}')).toThrow(/without a metric name/);
    expect(() => evaluatePromql('1 > 0', [])).toThrow(/bool/);
  });

  it('reads durations and binds operators as Prometheus does', () => {
    expect(durationMs('1h30m')).toBe(5_400_000);
    expect(durationMs('1d')).toBe(86_400_000);
    expect(evaluatePromql('1 + 2 * 3 ^ 2 ^ 0.5', [])).toBeCloseTo(1 + 2 * 3 ** (2 ** 0.5));
    expect(evaluatePromql('-2 ^ 2', [])).toBe(-4);
    expect(evaluatePromql('7 % 4 - 1e-9 * 0', [])).toBe(3);
  });

  it('selects with =, !=, =~ and !~ from the latest scrape within five minutes', () => {
    const history = [
      at(0, 'up{backend="sql"} 0\nup{backend="bus"} 0\nup{backend="cache"} 0'),
      at(10, 'up{backend="sql"} 1\nup{backend="bus"} 0\nup{backend="cache"} 1'),
    ];
    expect(values(evaluatePromql('up{backend="sql"}', history))).toEqual([
      [{ __name__: 'up', backend: 'sql' }, 1],
    ]);
    expect(values(evaluatePromql('min(up{backend=~"bus|cache"}) == 0', history))).toEqual([[{}, 0]]);
    expect(values(evaluatePromql('up{backend!~"bus|cache"}', history, 5_000))).toEqual([
      [{ __name__: 'up', backend: 'sql' }, 0],
    ]);
    expect(evaluatePromql('up{backend!="sql"}', history)).toHaveLength(2);
    // Older than the lookback, or before the first scrape: nothing.
    expect(evaluatePromql('up', history, 10_000 + 300_000)).toEqual([]);
    expect(evaluatePromql('up', history, -1)).toEqual([]);
    // A series missing from the latest scrape is gone (staleness), not read from an older one.
    expect(evaluatePromql('up{backend="bus"}', [...history, at(20, 'up{backend="sql"} 1')])).toEqual([]);
  });

  it('computes increase() and rate() with counter resets and Prometheus extrapolation', () => {
    // Samples every 10 s from 0 s to 60 s at 0, 10, …, 60, evaluated at 60 s over [1m]: the
    // window (0, 60] holds 10…60; the first is 10 s from the start, within 1.1 intervals.
    const steady = Array.from({ length: 7 }, (_, i) => at(i * 10, `c_total ${i * 10}`));
    expect(evaluatePromql('increase(c_total[1m])', steady)).toEqual([{ labels: {}, value: 60 }]);
    expect(values(evaluatePromql('rate(c_total[1m])', steady))).toEqual([[{}, 1]]);
    // A reset (a restarted process) counts the value before it: 10→20, reset, 0→5 is 25.
    const reset = [at(0, 'c_total 10'), at(10, 'c_total 20'), at(20, 'c_total 0'), at(30, 'c_total 5')];
    const points = [10, 20, 0, 5].map((value, i) => ({ atMs: i * 10_000, value }));
    expect(extrapolatedRate(points, { startMs: 0, endMs: 30_000 }, false)).toBe(15);
    // Through the selector: (−10 s, 30 s] holds all four; 10 s to the start is within 1.1 intervals.
    expect(evaluatePromql('increase(c_total[40s])', reset, 30_000)).toEqual([
      { labels: {}, value: 15 * (40 / 30) },
    ]);
    // Far from the edges: half an interval on each side. Two samples 10 s apart, window 300 s.
    expect(
      evaluatePromql('increase(c_total[5m])', [at(100, 'c_total 4'), at(110, 'c_total 6')], 200_000),
    ).toEqual([{ labels: {}, value: 2 * (20 / 10) }]);
    // Never extrapolated back past zero: from 0 the start is where the counter began.
    expect(
      evaluatePromql('increase(c_total[5m])', [at(100, 'c_total 0'), at(110, 'c_total 6')], 110_000),
    ).toEqual([{ labels: {}, value: 6 }]);
    // One sample in the window: no result, as in Prometheus.
    expect(evaluatePromql('increase(c_total[5m])', [at(100, 'c_total 3')])).toEqual([]);
  });

  it('shifts a selector by offset', () => {
    const day = 86_400;
    const history = [
      at(60, 'c_total 0'),
      at(day, 'c_total 10'),
      at(day + 60, 'c_total 10'),
      at(2 * day, 'c_total 40'),
    ];
    expect(evaluatePromql('c_total offset 1d', history, 2 * day * 1000)).toEqual([
      { labels: { __name__: 'c_total' }, value: 10 },
    ]);
    expect(values(evaluatePromql('increase(c_total[1d] offset 1d)', history, 2 * day * 1000))).toEqual([
      [{}, 10],
    ]);
    const spike = 'sum(increase(c_total[1d])) > 2 * sum(increase(c_total[1d] offset 1d))';
    expect(evaluatePromql(spike, history, 2 * day * 1000)).toHaveLength(1);
    expect(
      evaluatePromql(spike, [...history.slice(0, 3), at(2 * day, 'c_total 25')], 2 * day * 1000),
    ).toEqual([]);
  });

  it('aggregates with and without by (…), dropping the name and the other labels', () => {
    const history = [
      at(
        0,
        'q{shard="0",node="a"} 5\nq{shard="0",node="b"} 7\nq{shard="1",node="a"} 1\nq{shard="2",node="a"} 0',
      ),
    ];
    expect(values(evaluatePromql('max by (shard) (q)', history))).toEqual([
      [{ shard: '0' }, 7],
      [{ shard: '1' }, 1],
      [{ shard: '2' }, 0],
    ]);
    expect(values(evaluatePromql('sum(max by (shard) (q))', history))).toEqual([[{}, 8]]);
    expect(values(evaluatePromql('avg(q)', history))).toEqual([[{}, 13 / 4]]);
    expect(values(evaluatePromql('min by (node) (q)', history))).toEqual([
      [{ node: 'a' }, 0],
      [{ node: 'b' }, 7],
    ]);
    expect(values(evaluatePromql('count(q) by (node)', history))).toEqual([
      [{ node: 'a' }, 3],
      [{ node: 'b' }, 1],
    ]);
  });

  it('matches vectors one to one on their labels, filters on comparisons and intersects with and', () => {
    const history = [at(0, 'a{x="1"} 10\na{x="2"} 3\nb{x="1"} 2\nb{x="3"} 9')];
    expect(values(evaluatePromql('a / b', history))).toEqual([[{ x: '1' }, 5]]);
    expect(values(evaluatePromql('a > b', history))).toEqual([[{ __name__: 'a', x: '1' }, 10]]);
    expect(values(evaluatePromql('a > 4', history))).toEqual([[{ __name__: 'a', x: '1' }, 10]]);
    expect(values(evaluatePromql('4 < a', history))).toEqual([[{ __name__: 'a', x: '1' }, 10]]);
    expect(values(evaluatePromql('2 * a', history))).toEqual([
      [{ x: '1' }, 20],
      [{ x: '2' }, 6],
    ]);
    expect(values(evaluatePromql('a and b', history))).toEqual([[{ __name__: 'a', x: '1' }, 10]]);
    expect(values(evaluatePromql('clamp_min(b - 5, 0)', history))).toEqual([
      [{ x: '1' }, 0],
      [{ x: '3' }, 4],
    ]);
    expect(evaluatePromql('a / sum(b)', history)).toEqual([]);
    expect(() => evaluatePromql('a + ignoring (x) b', history)).toThrow(/"ignoring" is not supported/);
    const many = [at(0, 'a{x="1",y="1"} 1\nb{x="1",y="1"} 1\nb{x="1",y="1",z=""} 1')];
    expect(() => evaluatePromql('a + b', many)).toThrow(/many-to-one/);
  });

  it('computes histogram_quantile() over le buckets as Prometheus does', () => {
    const buckets = (counts: number[]): { le: number; count: number }[] =>
      [0.1, 0.5, 1, Number.POSITIVE_INFINITY].map((le, i) => ({ le, count: counts[i] as number }));
    expect(bucketQuantile(0.5, buckets([10, 20, 20, 20]))).toBeCloseTo(0.1);
    expect(bucketQuantile(0.75, buckets([10, 20, 20, 20]))).toBeCloseTo(0.1 + 0.4 * 0.5);
    expect(bucketQuantile(0.25, buckets([10, 20, 20, 20]))).toBeCloseTo(0.05);
    expect(bucketQuantile(0.99, buckets([0, 0, 1, 10]))).toBe(1);
    expect(bucketQuantile(0.5, buckets([0, 0, 0, 0]))).toBeNaN();
    expect(bucketQuantile(0.5, [{ le: 1, count: 3 }])).toBeNaN();
    expect(bucketQuantile(0.5, buckets([10, 8, 20, 20]))).toBeCloseTo(0.1);
    const bucket = (le: string, n: number, seconds: number): string =>
      `h_bucket{le="${le}",t="a"} ${n * seconds}`;
    const histogramAt = (seconds: number): TimedScrape =>
      at(
        seconds,
        [bucket('0.05', 1, seconds), bucket('0.5', 3, seconds), bucket('+Inf', 4, seconds)].join('\n'),
      );
    const history = [histogramAt(0), histogramAt(60), histogramAt(120)];
    const median = evaluatePromql('histogram_quantile(0.5, sum by (le) (rate(h_bucket[5m])))', history);
    expect(values(median)).toEqual([[{}, expect.closeTo(0.05 + 0.45 * ((2 - 1) / 2), 9)]]);
    expect(
      evaluatePromql('histogram_quantile(0.5, sum by (le) (rate(h_bucket[5m]))) > 0.05', history),
    ).toHaveLength(1);
    expect(
      evaluatePromql('histogram_quantile(0.2, sum by (le) (rate(h_bucket[5m]))) > 0.05', history),
    ).toEqual([]);
  });
});
