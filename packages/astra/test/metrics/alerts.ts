import { parseExposition, type Scrape } from './exposition.js';
import { alertRules } from './ops-queries.js';
import {
  type Alert,
  type AlertingRule,
  type AlertState,
  alertStateOf,
  evaluateAlertingRule,
  evaluatePromql,
  type Labels,
  type RuleEvaluation,
  type TimedScrape,
} from './promql/index.js';

/**
 * What the chaos tests stand on: a node's `/metrics` scraped into a history at times the test
 * assigns (the history's clock: each scrape is real, its time is given, and times only move
 * forward), and a rule of ops/prometheus/alerts.yml, with its `for:` from the file, evaluated at
 * every scrape's time as Prometheus would (promql/alerting.ts). A test waits for a symptom with
 * `peek`, which scrapes without recording, then records the scrapes whose times it chose, so
 * minutes of `for:` pass without waiting.
 */
export class ScrapeHistory {
  readonly scrapes: TimedScrape[] = [];

  constructor(private readonly metricsUrl: string) {}

  /** A scrape of `/metrics` now, not recorded. */
  async peek(): Promise<Scrape> {
    const answer = await fetch(`${this.metricsUrl}/metrics`);
    if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}`);
    return parseExposition(await answer.text());
  }

  /** A scrape of `/metrics` now, recorded at `atMs` (later than the last recorded one). */
  async take(atMs: number): Promise<TimedScrape> {
    const last = this.scrapes.at(-1);
    if (last !== undefined && atMs <= last.atMs)
      throw new Error(`a scrape at ${atMs} ms is not after the last one (${last.atMs} ms)`);
    const scrape = { atMs, scrape: await this.peek() };
    this.scrapes.push(scrape);
    return scrape;
  }

  /** Whether the rule's expression holds on a scrape of now alone (for rules on instant selectors). */
  async holdsNow(name: string): Promise<boolean> {
    const result = evaluatePromql((await alertRule(name)).expr, [{ atMs: 0, scrape: await this.peek() }]);
    return typeof result !== 'number' && result.length > 0;
  }

  /** The rule evaluated at each recorded scrape's time, oldest first. */
  async evaluations(name: string): Promise<RuleEvaluation[]> {
    return evaluateAlertingRule(await alertRule(name), this.scrapes);
  }

  /** The rule's pending and firing alerts as of the last recorded scrape. */
  async alerts(name: string): Promise<readonly Alert[]> {
    return (await this.evaluations(name)).at(-1)?.alerts ?? [];
  }

  /** The state of the rule's alert with exactly `labels` after each recorded scrape, oldest first. */
  async states(name: string, labels: Labels = {}): Promise<AlertState[]> {
    return (await this.evaluations(name)).map((evaluation) => alertStateOf(evaluation, labels));
  }
}

export async function alertRule(name: string): Promise<AlertingRule> {
  const rule = (await alertRules()).find((candidate) => candidate.name === name);
  if (rule === undefined) throw new Error(`no alert ${name} in ops/prometheus/alerts.yml`);
  return rule;
}

/** Asks until `test` holds or `timeoutMs` pass (each ask is a real round trip), then fails. */
export async function eventually<T>(
  ask: () => Promise<T>,
  test: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await ask();
    if (test(value)) return value;
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
