import type { NodeTracer, TracerSettings } from './node-tracer.js';

export { parseKeyValues } from './key-values.js';
export type { NodeTracer, TracerSettings } from './node-tracer.js';
export type { TracesSamplerName } from './sampler.js';

/**
 * Opens a node's tracer (node-tracer.ts). The OpenTelemetry SDK and its OTLP exporter are loaded
 * here, by a node that exports traces, not by every node at start (about 0.1 s of module loading).
 */
export async function loadNodeTracer(settings: TracerSettings): Promise<NodeTracer> {
  const { openNodeTracer } = await import('./node-tracer.js');
  return openNodeTracer(settings);
}
