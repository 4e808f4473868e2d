import { parseExposition, type Scrape } from '../exposition.js';
import { type Bucket, bucketQuantile, extrapolatedRate, type Point } from './functions.js';
import type { AggregateOp, ArithmeticOp, ComparisonOp, Expr, Matcher } from './parse.js';
import { parsePromql } from './parse.js';

/**
 * Evaluates a PromQL expression (the subset parse.ts reads) at one instant over a history of
 * scrapes of one target, as a Prometheus server scraping it at those times would:
 *
 * - An instant selector reads the latest scrape at or before the evaluation time (minus its
 *   offset), if that scrape is at most 5 minutes old (Prometheus's lookback). A series missing
 *   from that scrape is absent, as Prometheus's staleness markers make it.
 * - A range selector `[d]` reads every scrape in (t − d, t] (left-open, as Prometheus 3).
 * - rate()/increase() follow Prometheus's counter-reset handling and extrapolation (functions.ts).
 * - Vector ∘ vector operators match one to one on every label but the name (a many-to-one pair is
 *   an error); arithmetic drops the name, comparisons filter and keep the left side's sample.
 * - Alert rules' `for:` and states over a run of evaluations: alerting.ts.
 */
export interface TimedScrape {
  readonly atMs: number;
  readonly scrape: Scrape;
}

/** A hand-written exposition text scraped at `seconds` (the unit tests' sequences). */
export const scrapeAt = (seconds: number, text: string): TimedScrape => ({
  atMs: seconds * 1000,
  scrape: parseExposition(text),
});

export type Labels = Readonly<Record<string, string>>;

export interface VectorSample {
  readonly labels: Labels;
  readonly value: number;
}

type Value =
  | { readonly type: 'scalar'; readonly value: number }
  | { readonly type: 'vector'; readonly samples: readonly VectorSample[] }
  | {
      readonly type: 'matrix';
      readonly series: readonly RangeSeries[];
      readonly startMs: number;
      readonly endMs: number;
    };

interface RangeSeries {
  readonly labels: Labels;
  readonly points: readonly Point[];
}

const LOOKBACK_MS = 5 * 60_000;

/** The expression's result at `atMs` (default: the last scrape's time): a vector, or a scalar. */
export function evaluatePromql(
  source: string,
  history: readonly TimedScrape[],
  atMs: number = history.at(-1)?.atMs ?? 0,
): VectorSample[] | number {
  const sorted = [...history].sort((a, b) => a.atMs - b.atMs);
  const value = evaluate(parsePromql(source), sorted, atMs);
  if (value.type === 'matrix') throw new Error(`PromQL: a range vector is not a result: ${source}`);
  return value.type === 'scalar' ? value.value : [...value.samples];
}

function evaluate(expr: Expr, history: readonly TimedScrape[], atMs: number): Value {
  switch (expr.kind) {
    case 'number':
      return { type: 'scalar', value: expr.value };
    case 'selector':
      return select(expr, history, atMs);
    case 'negate': {
      const inner = evaluate(expr.expr, history, atMs);
      if (inner.type === 'scalar') return { type: 'scalar', value: -inner.value };
      return {
        type: 'vector',
        samples: vectorOf(inner).map((s) => ({ labels: dropName(s.labels), value: -s.value })),
      };
    }
    case 'call':
      return call(
        expr.fn,
        expr.args.map((arg) => evaluate(arg, history, atMs)),
      );
    case 'aggregate':
      return {
        type: 'vector',
        samples: aggregate(expr.op, expr.by, vectorOf(evaluate(expr.expr, history, atMs))),
      };
    case 'binary':
      return binary(expr.op, evaluate(expr.left, history, atMs), evaluate(expr.right, history, atMs));
  }
}

function matches(matcher: Matcher, labels: Labels): boolean {
  const value = labels[matcher.label] ?? '';
  switch (matcher.op) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return new RegExp(`^(?:${matcher.value})$`).test(value);
    case '!~':
      return !new RegExp(`^(?:${matcher.value})$`).test(value);
  }
}

function samplesOf(scrape: Scrape, matchers: readonly Matcher[]): VectorSample[] {
  return scrape.samples
    .map((sample) => ({ labels: withName(sample.name, sample.labels), value: sample.value }))
    .filter((sample) => matchers.every((matcher) => matches(matcher, sample.labels)));
}

function select(
  expr: Extract<Expr, { kind: 'selector' }>,
  history: readonly TimedScrape[],
  atMs: number,
): Value {
  const endMs = atMs - expr.offsetMs;
  if (expr.rangeMs === undefined) {
    const latest = history.filter((s) => s.atMs <= endMs && s.atMs > endMs - LOOKBACK_MS).at(-1);
    return { type: 'vector', samples: latest === undefined ? [] : samplesOf(latest.scrape, expr.matchers) };
  }
  const startMs = endMs - expr.rangeMs;
  const series = new Map<string, { labels: Labels; points: Point[] }>();
  for (const { atMs: scrapedAtMs, scrape } of history) {
    if (scrapedAtMs <= startMs || scrapedAtMs > endMs) continue;
    for (const sample of samplesOf(scrape, expr.matchers)) {
      const key = signature(sample.labels, true);
      const entry = series.get(key) ?? { labels: sample.labels, points: [] };
      entry.points.push({ atMs: scrapedAtMs, value: sample.value });
      series.set(key, entry);
    }
  }
  return { type: 'matrix', series: [...series.values()], startMs, endMs };
}

function call(fn: Extract<Expr, { kind: 'call' }>['fn'], args: readonly Value[]): Value {
  const arity = { rate: 1, increase: 1, histogram_quantile: 2, clamp_min: 2 }[fn];
  if (args.length !== arity) throw new Error(`PromQL: ${fn}() takes ${arity} argument(s)`);
  if (fn === 'rate' || fn === 'increase') {
    const range = args[0] as Value;
    if (range.type !== 'matrix') throw new Error(`PromQL: ${fn}() takes a range vector`);
    const samples: VectorSample[] = [];
    for (const { labels, points } of range.series) {
      const value = extrapolatedRate(points, range, fn === 'rate');
      if (value !== undefined) samples.push({ labels: dropName(labels), value });
    }
    return { type: 'vector', samples };
  }
  if (fn === 'clamp_min') {
    const min = scalarOf(args[1] as Value, fn);
    return {
      type: 'vector',
      samples: vectorOf(args[0] as Value).map((s) => ({
        labels: dropName(s.labels),
        value: Math.max(s.value, min),
      })),
    };
  }
  const phi = scalarOf(args[0] as Value, fn);
  const groups = new Map<string, { labels: Labels; buckets: Bucket[] }>();
  for (const sample of vectorOf(args[1] as Value)) {
    const le = sample.labels.le;
    if (le === undefined) continue;
    const { le: _le, ...rest } = dropName(sample.labels);
    const key = signature(rest, false);
    const group = groups.get(key) ?? { labels: rest, buckets: [] };
    group.buckets.push({ le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count: sample.value });
    groups.set(key, group);
  }
  return {
    type: 'vector',
    samples: [...groups.values()].map(({ labels, buckets }) => ({
      labels,
      value: bucketQuantile(phi, buckets),
    })),
  };
}

function aggregate(
  op: AggregateOp,
  by: readonly string[] | undefined,
  samples: readonly VectorSample[],
): VectorSample[] {
  const groups = new Map<string, { labels: Labels; values: number[] }>();
  for (const sample of samples) {
    const labels: Record<string, string> = {};
    for (const label of by ?? []) {
      const value = sample.labels[label];
      if (value !== undefined && value !== '') labels[label] = value;
    }
    const key = signature(labels, false);
    const group = groups.get(key) ?? { labels, values: [] };
    group.values.push(sample.value);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ labels, values }) => ({ labels, value: reduce(op, values) }));
}

function reduce(op: AggregateOp, values: readonly number[]): number {
  const sum = values.reduce((total, value) => total + value, 0);
  switch (op) {
    case 'sum':
      return sum;
    case 'avg':
      return sum / values.length;
    case 'count':
      return values.length;
    case 'max':
      return values.reduce((a, b) => (Number.isNaN(a) || b > a ? b : a));
    case 'min':
      return values.reduce((a, b) => (Number.isNaN(a) || b < a ? b : a));
  }
}

const ARITHMETIC: Record<ArithmeticOp, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '%': (a, b) => a % b,
  '^': (a, b) => a ** b,
};
const COMPARISON: Record<ComparisonOp, (a: number, b: number) => boolean> = {
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
};

function binary(op: Extract<Expr, { kind: 'binary' }>['op'], left: Value, right: Value): Value {
  if (left.type === 'matrix' || right.type === 'matrix')
    throw new Error(`PromQL: ${op} between range vectors`);
  if (op === 'and') {
    if (left.type !== 'vector' || right.type !== 'vector')
      throw new Error('PromQL: "and" is between vectors');
    const present = new Set(right.samples.map((s) => signature(s.labels, false)));
    return { type: 'vector', samples: left.samples.filter((s) => present.has(signature(s.labels, false))) };
  }
  const isComparison = op in COMPARISON;
  if (left.type === 'scalar' && right.type === 'scalar') {
    if (isComparison) throw new Error('PromQL: a comparison between scalars needs "bool" (not supported)');
    return { type: 'scalar', value: ARITHMETIC[op as ArithmeticOp](left.value, right.value) };
  }
  const apply = (l: VectorSample, r: number, keepLeft: boolean, labels: Labels): VectorSample | undefined => {
    const [a, b] = keepLeft ? [l.value, r] : [r, l.value];
    if (isComparison) return COMPARISON[op as ComparisonOp](a, b) ? l : undefined;
    return { labels: dropName(labels), value: ARITHMETIC[op as ArithmeticOp](a, b) };
  };
  if (left.type === 'scalar' || right.type === 'scalar') {
    const [vector, scalar, keepLeft] =
      left.type === 'vector'
        ? [left, right as { value: number }, true]
        : [right as { samples: readonly VectorSample[] }, left, false];
    const samples = vector.samples.flatMap((s) => apply(s, scalar.value, keepLeft, s.labels) ?? []);
    return { type: 'vector', samples };
  }
  const rightBySignature = new Map<string, VectorSample>();
  for (const sample of right.samples) {
    const key = signature(sample.labels, false);
    if (rightBySignature.has(key))
      throw new Error(`PromQL: many-to-one matching on the right of ${op} (not supported)`);
    rightBySignature.set(key, sample);
  }
  const seen = new Set<string>();
  const samples: VectorSample[] = [];
  for (const sample of left.samples) {
    const key = signature(sample.labels, false);
    const match = rightBySignature.get(key);
    if (match === undefined) continue;
    if (seen.has(key)) throw new Error(`PromQL: many-to-one matching on the left of ${op} (not supported)`);
    seen.add(key);
    const result = apply(sample, match.value, true, sample.labels);
    if (result !== undefined) samples.push(result);
  }
  return { type: 'vector', samples };
}

function vectorOf(value: Value): readonly VectorSample[] {
  if (value.type !== 'vector') throw new Error(`PromQL: expected an instant vector, got a ${value.type}`);
  return value.samples;
}

function scalarOf(value: Value, fn: string): number {
  if (value.type !== 'scalar') throw new Error(`PromQL: ${fn}() takes a scalar there, got a ${value.type}`);
  return value.value;
}

/** A sample's labels as PromQL sees them: the name as `__name__`, an empty value as no label. */
function withName(name: string, labels: Labels): Labels {
  const result: Record<string, string> = { __name__: name };
  for (const [key, value] of Object.entries(labels)) if (value !== '') result[key] = value;
  return result;
}

function dropName(labels: Labels): Labels {
  const { __name__: _name, ...rest } = labels;
  return rest;
}

/** A series' identity: its sorted labels, with or without the metric name. */
export function signature(labels: Labels, withName: boolean): string {
  return JSON.stringify(
    Object.entries(labels)
      .filter(([key]) => withName || key !== '__name__')
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
}
