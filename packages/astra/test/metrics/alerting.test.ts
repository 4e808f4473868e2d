import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { alertRules, parseAlertRules } from './ops-queries.js';
import {
  type AlertingRule,
  alertStateOf,
  evaluateAlertingRule,
  parsePromql,
  scrapeAt,
  type TimedScrape,
} from './promql/index.js';

/** The tests' alert rule evaluator: `for:` and per-series states over hand-made scrape sequences. */
const at = scrapeAt;
const down: AlertingRule = { name: 'Down', expr: 'min(up) == 0', forMs: 60_000 };
const states = (rule: AlertingRule, history: readonly TimedScrape[]): [number, string][] =>
  evaluateAlertingRule(rule, history).map((evaluation) => [evaluation.atMs / 1000, alertStateOf(evaluation)]);

describe('alert rules over a run of evaluations', () => {
  it('goes pending when the expression first holds, firing once it has held for `for:`, inactive when it stops', () => {
    const history = [0, 15, 45, 75, 90, 105].map((s, i) => at(s, `up ${[1, 0, 0, 0, 1, 1][i]}`));
    expect(states(down, history)).toEqual([
      [0, 'inactive'],
      [15, 'pending'],
      [45, 'pending'],
      [75, 'firing'],
      [90, 'inactive'],
      [105, 'inactive'],
    ]);
    const [, pending, , firing] = evaluateAlertingRule(down, history);
    expect(pending?.alerts).toEqual([{ labels: {}, state: 'pending', activeAtMs: 15_000, value: 0 }]);
    expect(firing?.alerts).toEqual([{ labels: {}, state: 'firing', activeAtMs: 15_000, value: 0 }]);
  });

  it('restarts `for:` after a flap: one evaluation without the series resets pending', () => {
    const ups = [1, 0, 0, 1, 0, 0, 0, 0, 1];
    const history = [0, 15, 45, 60, 75, 105, 120, 135, 150].map((s, i) => at(s, `up ${ups[i]}`));
    expect(states(down, history)).toEqual([
      [0, 'inactive'],
      [15, 'pending'],
      [45, 'pending'],
      [60, 'inactive'],
      // Active again from 75 s: at 105 s and 120 s it would have held for a minute since 15 s.
      [75, 'pending'],
      [105, 'pending'],
      [120, 'pending'],
      [135, 'firing'],
      [150, 'inactive'],
    ]);
    expect(evaluateAlertingRule(down, history)[7]?.alerts[0]?.activeAtMs).toBe(75_000);
  });

  it('fires at the first evaluation that holds when the rule has no `for:`', () => {
    const lost: AlertingRule = { name: 'Lost', expr: 'sum(increase(lost_total[5m])) > 0', forMs: 0 };
    const counts = [0, 0, 1, 1, 1];
    const history = [0, 60, 120, 300, 480].map((s, i) => at(s, `lost_total ${counts[i]}`));
    expect(states(lost, history)).toEqual([
      [0, 'inactive'],
      [60, 'inactive'],
      [120, 'firing'],
      [300, 'firing'],
      // (180 s, 480 s] holds 300 s and 480 s, both 1: no increase.
      [480, 'inactive'],
    ]);
  });

  it('keeps a state per series, each with its own activeAt, without the metric name', () => {
    const stale: AlertingRule = { name: 'Stale', expr: 'age_seconds > 30', forMs: 60_000 };
    const ages = (a: number, b: number) => `age_seconds{worker_id="a"} ${a}\nage_seconds{worker_id="b"} ${b}`;
    const history = [at(0, ages(40, 5)), at(30, ages(70, 35)), at(60, ages(100, 65)), at(90, ages(1, 95))];
    const evaluations = evaluateAlertingRule(stale, history);
    expect(
      evaluations.map((e) => [alertStateOf(e, { worker_id: 'a' }), alertStateOf(e, { worker_id: 'b' })]),
    ).toEqual([
      ['pending', 'inactive'],
      ['pending', 'pending'],
      ['firing', 'pending'],
      ['inactive', 'firing'],
    ]);
    expect(evaluations[2]?.alerts).toEqual([
      { labels: { worker_id: 'a' }, state: 'firing', activeAtMs: 0, value: 100 },
      { labels: { worker_id: 'b' }, state: 'pending', activeAtMs: 30_000, value: 65 },
    ]);
    // The metric name is no part of an alert's identity: the labels asked for have none.
    expect(
      alertStateOf(evaluations[3] as (typeof evaluations)[number], {
        __name__: 'age_seconds',
        worker_id: 'b',
      }),
    ).toBe('firing');
  });

  it('evaluates once per scrape time, on the scrapes up to it only', () => {
    const history = [at(0, 'up 0'), at(30, 'up 1'), at(90, 'up 0')];
    // Two scrapes at one time are one evaluation; out of order, they are sorted.
    const evaluations = evaluateAlertingRule(down, [
      history[2],
      history[0],
      history[1],
      history[0],
    ] as TimedScrape[]);
    expect(evaluations.map((e) => [e.atMs, alertStateOf(e)])).toEqual([
      [0, 'pending'],
      [30_000, 'inactive'],
      [90_000, 'pending'],
    ]);
  });
});

describe('the rules of ops/prometheus/alerts.yml', () => {
  it('reads each rule with its `for:` from the file (0 without one)', async () => {
    const rules = await alertRules();
    const text = await readFile(new URL('../../../../ops/prometheus/alerts.yml', import.meta.url), 'utf8');
    expect(rules.map((rule) => rule.name)).toEqual([...text.matchAll(/- alert: (\S+)/g)].map((m) => m[1]));
    expect(rules.filter((rule) => rule.forMs > 0)).toHaveLength([...text.matchAll(/^\s+for: /gm)].length);
    for (const rule of rules) expect(() => parsePromql(rule.expr), rule.name).not.toThrow();
  });

  it('refuses what the evaluator does not model, and a rule without an expression', () => {
    const rule = (lines: string) => `groups:\n  - name: g\n    rules:\n      - alert: A\n${lines}`;
    expect(parseAlertRules(rule('        expr: up == 0\n        for: 1h30m\n'))).toEqual([
      { name: 'A', expr: 'up == 0', forMs: 5_400_000 },
    ]);
    expect(parseAlertRules(rule('        expr: up == 0\n'))).toEqual([
      { name: 'A', expr: 'up == 0', forMs: 0 },
    ]);
    expect(() => parseAlertRules(rule('        expr: up == 0\n        keep_firing_for: 5m\n'))).toThrow(
      /A: keep_firing_for is not evaluated/,
    );
    expect(() => parseAlertRules(rule('        expr: |\n          up == 0\n'))).toThrow(/on the expr line/);
    expect(() => parseAlertRules(rule('        for: 5m\n'))).toThrow(/A: no expr/);
    expect(() => parseAlertRules(rule('        expr: up == 0\n        for: soon\n'))).toThrow(
      /not a duration/,
    );
  });
});
