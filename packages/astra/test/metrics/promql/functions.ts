/**
 * The two computations of the evaluator that are Prometheus's own arithmetic rather than plumbing:
 * rate()/increase() over a range (counter resets and extrapolation to the window's edges) and
 * histogram_quantile() over cumulative `le` buckets.
 */
export interface Point {
  readonly atMs: number;
  readonly value: number;
}

/**
 * Prometheus's `extrapolatedRate` for counters, over the points of one series inside the window
 * (`startMs`, `endMs`]: undefined with fewer than two points. A drop between two points is a
 * counter reset, so the value before it is added back. The change between the first and last
 * point is then extrapolated towards each edge of the window: the whole gap when the point is
 * within 1.1 average sample intervals of the edge, else half an interval; and towards the start
 * never past the time the counter would have been zero. `perSecond` divides by the window.
 */
export function extrapolatedRate(
  points: readonly Point[],
  window: { readonly startMs: number; readonly endMs: number },
  perSecond: boolean,
): number | undefined {
  const first = points[0];
  const last = points.at(-1);
  if (first === undefined || last === undefined || points.length < 2) return undefined;
  let increase = last.value - first.value;
  for (let i = 1; i < points.length; i++) {
    const previous = (points[i - 1] as Point).value;
    if ((points[i] as Point).value < previous) increase += previous;
  }
  const sampledSeconds = (last.atMs - first.atMs) / 1000;
  const averageInterval = sampledSeconds / (points.length - 1);
  const threshold = averageInterval * 1.1;
  let toStart = (first.atMs - window.startMs) / 1000;
  const toEnd = (window.endMs - last.atMs) / 1000;
  if (increase > 0 && first.value >= 0)
    toStart = Math.min(toStart, sampledSeconds * (first.value / increase));
  const extrapolated =
    sampledSeconds +
    (toStart < threshold ? toStart : averageInterval / 2) +
    (toEnd < threshold ? toEnd : averageInterval / 2);
  const result = increase * (extrapolated / sampledSeconds);
  return perSecond ? result / ((window.endMs - window.startMs) / 1000) : result;
}

export interface Bucket {
  /** The bucket's upper bound (`le`), +Infinity for the last. */
  readonly le: number;
  /** Observations at or below `le` (cumulative). */
  readonly count: number;
}

/**
 * Prometheus's `bucketQuantile`: the bucket holding the φ-th observation, interpolated linearly
 * inside it (the first bucket starts at 0). NaN without a +Inf bucket or without observations;
 * the highest finite bound when the rank falls in the +Inf bucket. Counts that go down from one
 * bucket to the next (a scrape between two updates) are raised to keep the buckets monotonic.
 */
export function bucketQuantile(phi: number, unsorted: readonly Bucket[]): number {
  if (phi < 0) return Number.NEGATIVE_INFINITY;
  if (phi > 1) return Number.POSITIVE_INFINITY;
  const buckets = [...unsorted].sort((a, b) => a.le - b.le);
  let highest = 0;
  const counts = buckets.map((bucket) => {
    highest = Math.max(highest, bucket.count);
    return highest;
  });
  const lastBucket = buckets.at(-1);
  if (buckets.length < 2 || lastBucket === undefined || lastBucket.le !== Number.POSITIVE_INFINITY)
    return Number.NaN;
  const total = counts.at(-1) as number;
  if (total === 0) return Number.NaN;
  const rank = phi * total;
  const index = counts.findIndex((count) => count >= rank);
  if (index === buckets.length - 1) return (buckets[buckets.length - 2] as Bucket).le;
  const upper = (buckets[index] as Bucket).le;
  if (index === 0 && upper <= 0) return upper;
  const lower = index === 0 ? 0 : (buckets[index - 1] as Bucket).le;
  const below = index === 0 ? 0 : (counts[index - 1] as number);
  return lower + (upper - lower) * ((rank - below) / ((counts[index] as number) - below));
}
