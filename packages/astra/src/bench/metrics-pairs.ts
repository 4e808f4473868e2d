import { loadavg } from 'node:os';
import { type PeerFigures, round } from './peers/common.js';

/**
 * `--metrics both --pairs N`: the kernel shapes N times without and N times with a node's
 * metrics, interleaved (off/on, then on/off, …, so neither side always runs first on a machine
 * whose load drifts). Each figure is reported as the median of its runs on each side, and
 * `metrics_on_off.<figure>` as the median of the pairs' ratios (on over off): throughput below 1
 * is a cost, latency and `cpu_us_per_task` above 1 are.
 */
export interface MetricsRun {
  readonly metrics: boolean;
  readonly figures: PeerFigures;
}

/** Which side runs first in pair `pair`: off first in even pairs, on first in odd ones. */
export function pairOrder(pair: number): readonly boolean[] {
  return pair % 2 === 0 ? [false, true] : [true, false];
}

/** The 1-minute load average, for the log lines of each run. */
export function loadLine(): string {
  return loadavg()
    .map((value) => value.toFixed(1))
    .join(' ');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Medians of each side's figures, and the median on/off ratio of each figure over the pairs. */
export function summarizePairs(runs: readonly MetricsRun[], log: (line: string) => void): PeerFigures {
  const off = runs.filter((run) => !run.metrics).map((run) => run.figures);
  const on = runs.filter((run) => run.metrics).map((run) => run.figures);
  const figures: PeerFigures = {};
  for (const side of [off, on])
    for (const name of Object.keys(side[0] ?? {}))
      figures[name] = round(median(side.map((f) => f[name] ?? Number.NaN)), 3);
  for (const [name] of Object.entries(off[0] ?? {})) {
    const [mode, ...rest] = name.split('.');
    const onName = `${mode}_metrics.${rest.join('.')}`;
    const ratios: number[] = [];
    for (let i = 0; i < Math.min(off.length, on.length); i++) {
      const a = off[i]?.[name];
      const b = on[i]?.[onName];
      if (a !== undefined && b !== undefined && a !== 0) ratios.push(b / a);
    }
    if (ratios.length === 0) continue;
    figures[`metrics_on_off.${name}`] = round(median(ratios), 3);
    if (ratios.length > 1)
      log(
        `metrics on/off ${name}: pairs ${ratios.map((r) => r.toFixed(3)).join(' ')}, median ${median(ratios).toFixed(3)}`,
      );
  }
  return figures;
}
