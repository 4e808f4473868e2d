export { type NodeTracer, openNodeTracer, parseKeyValues, type TracerSettings } from './node-tracer.js';
export type { TracesSamplerName } from './sampler.js';
