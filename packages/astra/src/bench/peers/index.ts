// Peer benchmarks: BullMQ (also on a Redis with an AOF) and graphile-worker running the same noop shapes as Astra's benchmark
// (drain, chain, fan-out/fan-in, add→start latency), so the bench can print ratios from one run.
export { BULLMQ_CONCURRENCY, runBullmq } from './bullmq.js';
export { runBullmqDurable } from './bullmq-durable.js';
export type { PeerConditions, PeerFigures, PeerLog, Scale, ShapeSizes } from './common.js';
export { sizesFor } from './common.js';
export { GRAPHILE_CONCURRENCY, GRAPHILE_POOL_SIZE, runGraphile } from './graphile.js';
