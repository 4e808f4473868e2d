import { parseExposition } from './exposition.js';
import { opsQueries } from './ops-queries.js';
import { evaluatePromql, type TimedScrape, type VectorSample } from './promql/index.js';

/**
 * What the chaos tests stand on: a node's `/metrics` scraped into a history at the times the test
 * gives (the wall clock by default, or assigned times a day apart), and an alert rule of
 * ops/prometheus/alerts.yml evaluated on it. `for:` is not evaluated: an alert fires here when
 * its expression returns a non-empty vector.
 */
export class ScrapeHistory {
  readonly scrapes: TimedScrape[] = [];

  constructor(private readonly metricsUrl: string) {}

  async take(atMs: number = Date.now()): Promise<TimedScrape> {
    const answer = await fetch(`${this.metricsUrl}/metrics`);
    if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}`);
    const scrape = { atMs, scrape: parseExposition(await answer.text()) };
    this.scrapes.push(scrape);
    return scrape;
  }

  /** The alert's expression over the scrapes so far, at `atMs` (default: the last scrape's time). */
  async alert(name: string, atMs?: number): Promise<VectorSample[]> {
    const result = evaluatePromql(await alertExpr(name), this.scrapes, atMs);
    if (typeof result === 'number') throw new Error(`${name}: a scalar is not an alert`);
    return result;
  }
}

export async function alertExpr(name: string): Promise<string> {
  const rule = (await opsQueries()).find((q) => q.file === 'prometheus/alerts.yml' && q.where === name);
  if (rule === undefined) throw new Error(`no alert ${name} in ops/prometheus/alerts.yml`);
  return rule.expr;
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
