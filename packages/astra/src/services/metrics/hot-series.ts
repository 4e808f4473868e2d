import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for the hot path (a task run, a claim, a SQL statement): each series is
 * a plain object bound once by its label values, and counting into it is a number increment (a
 * histogram: a bucket search over a preallocated array, its sum and count). No label object, hash
 * or validation per count; the registry reads the series only on a scrape (`get()`), in
 * prom-client's shape, so the exposition is the one prom-client's own metrics write.
 * (prom-client's own `labels(...).observe()` validates and hashes the labels on every call.)
 *
 * A histogram series is exported once it has an observation; a counter series from its binding
 * (so binding one exports it at 0). Families register on the registry like prom-client's metrics
 * (`registerMetric`: they have its `name`, `help`, `type`, `get`, `reset` and `aggregator`).
 */
export type LabelValues = readonly string[];

interface SeriesOf<S> {
  readonly labels: Record<string, string>;
  readonly series: S;
}

abstract class HotFamily<S> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum';
  abstract readonly type: 'counter' | 'histogram';
  readonly #labelNames: readonly string[];
  readonly #series = new Map<string, SeriesOf<S>>();

  constructor(registry: Registry, options: { name: string; help: string; labelNames?: readonly string[] }) {
    this.name = options.name;
    this.help = options.help;
    this.#labelNames = options.labelNames ?? [];
    // A family has prom-client's metric interface (get, reset, name, help, type, aggregator).
    registry.registerMetric(this as unknown as Metric);
  }

  /** The series for these label values (in labelNames' order), made on first use; bind it once. */
  series(...values: LabelValues): S {
    if (values.length !== this.#labelNames.length)
      throw new TypeError(`${this.name} takes labels ${this.#labelNames.join(', ')}`);
    const key = values.join('\u0000');
    let entry = this.#series.get(key);
    if (entry === undefined) {
      const labels: Record<string, string> = {};
      for (const [i, name] of this.#labelNames.entries()) labels[name] = values[i] as string;
      entry = { labels, series: this.make() };
      this.#series.set(key, entry);
    }
    return entry.series;
  }

  protected abstract make(): S;
  protected abstract clear(series: S): void;
  protected abstract values(name: string, labels: Record<string, string>, series: S): object[];

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: object[] }> {
    const values: object[] = [];
    for (const { labels, series } of this.#series.values())
      for (const value of this.values(this.name, labels, series)) values.push(value);
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const { series } of this.#series.values()) this.clear(series);
  }
}

export class CounterSeries {
  value = 0;

  inc(by = 1): void {
    this.value += by;
  }
}

export class HotCounter extends HotFamily<CounterSeries> {
  readonly type = 'counter';

  protected make(): CounterSeries {
    return new CounterSeries();
  }

  protected clear(series: CounterSeries): void {
    series.value = 0;
  }

  protected values(_name: string, labels: Record<string, string>, series: CounterSeries): object[] {
    return [{ labels, value: series.value }];
  }
}

export class HistogramSeries {
  /** Observations per bucket (not cumulative): counts[i] holds those above bounds[i - 1] up to bounds[i]. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  readonly #bounds: Float64Array;

  constructor(bounds: Float64Array) {
    this.#bounds = bounds;
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    if (i < bounds.length) this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

export class HotHistogram extends HotFamily<HistogramSeries> {
  readonly type = 'histogram';
  readonly #bounds: Float64Array;

  constructor(
    registry: Registry,
    options: { name: string; help: string; labelNames?: readonly string[]; buckets: readonly number[] },
  ) {
    super(registry, options);
    this.#bounds = Float64Array.from([...options.buckets].sort((a, b) => a - b));
  }

  protected make(): HistogramSeries {
    return new HistogramSeries(this.#bounds);
  }

  protected clear(series: HistogramSeries): void {
    series.counts.fill(0);
    series.sum = 0;
    series.count = 0;
  }

  protected values(name: string, labels: Record<string, string>, series: HistogramSeries): object[] {
    if (series.count === 0) return [];
    const out: object[] = [];
    let cumulative = 0;
    for (const [i, le] of this.#bounds.entries()) {
      cumulative += series.counts[i] as number;
      out.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative });
    }
    out.push(
      { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: series.count },
      { metricName: `${name}_sum`, labels, value: series.sum },
      { metricName: `${name}_count`, labels, value: series.count },
    );
    return out;
  }
}
