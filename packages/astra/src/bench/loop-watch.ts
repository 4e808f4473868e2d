import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Preloaded into the node under test by the responsiveness bench (`node --import`): watches the
 * process's main event loop from inside and reports on stderr, once a second, one line
 * `astra-loop-watch {json}` with the time, the longest delay of that second and every stretch the loop was
 * held longer than LONG_MS (when it ended, how long). The bench reads these lines: the longest
 * blocking stretch is steadier under a loaded machine than a probe's round trip.
 */
const LONG_MS = 50;
const TICK_MS = 10;

const histogram = monitorEventLoopDelay({ resolution: TICK_MS });
histogram.enable();
let long: { at: number; ms: number }[] = [];
let last = performance.now();
const tick = setInterval(() => {
  const now = performance.now();
  const held = now - last - TICK_MS;
  if (held > LONG_MS) long.push({ at: Math.round(performance.timeOrigin + now), ms: Math.round(held) });
  last = now;
}, TICK_MS);
tick.unref();
const report = setInterval(() => {
  const line = { at: Date.now(), maxMs: Math.round(histogram.max / 1e6), long };
  histogram.reset();
  long = [];
  process.stderr.write(`astra-loop-watch ${JSON.stringify(line)}\n`);
}, 1000);
report.unref();
