import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadNodeTracer } from '../adapters/tracing/index.js';
import type { SqlExecutor } from '../ports/sql-store.js';
import { createGoalTracing, type GoalTracing } from '../services/tracing/index.js';

/**
 * `npm run bench -- --tracing on`: the kernel shapes with a node's tracing wired as `startNode`
 * wires it (the engine and task interceptors, the goal hooks, the goal's trace context written with
 * it), exporting to a loopback OTLP receiver that counts the spans and discards them, so the figure
 * includes the export's own cost on this machine.
 */
export interface BenchTracing {
  readonly tracing: GoalTracing;
  /** Spans the receiver got so far. */
  exported(): number;
  close(): Promise<void>;
}

export async function openBenchTracing(db: SqlExecutor): Promise<BenchTracing> {
  let spans = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[];
      };
      for (const group of body.resourceSpans ?? [])
        for (const scope of group.scopeSpans ?? []) spans += scope.spans?.length ?? 0;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const tracer = await loadNodeTracer({
    url: `http://127.0.0.1:${port}/v1/traces`,
    headers: {},
    serviceName: 'astra-bench',
    serviceVersion: 'bench',
    resourceAttributes: {},
    sampler: 'parentbased_always_on',
  });
  const tracing = createGoalTracing({ tracer, db, onError: () => undefined });
  return {
    tracing,
    exported: () => spans,
    close: async () => {
      await tracing.settle();
      await tracer.shutdown();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
