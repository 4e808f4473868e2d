import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local OTLP/HTTP trace receiver for tests: accepts `POST /v1/traces` with an OTLP JSON body
 * (what @opentelemetry/exporter-trace-otlp-http sends), answers 200 with an empty partial-success
 * body, and keeps every span it got, flattened with its resource's attributes. Anything else is 404;
 * a body that is not OTLP JSON is 400 and kept in `refused`.
 */
export type AttributeValue = string | number | boolean | readonly AttributeValue[];

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly startNs: bigint;
  readonly endNs: bigint;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly events: readonly { readonly name: string; readonly attributes: Record<string, AttributeValue> }[];
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
  readonly status: { readonly code: number; readonly message?: string };
  readonly resource: Readonly<Record<string, AttributeValue>>;
}

export interface OtlpReceiver {
  readonly url: string;
  readonly spans: ReceivedSpan[];
  readonly refused: string[];
  /** Resolves once some span satisfies `test` (checked on every export). */
  waitFor(test: (span: ReceivedSpan) => boolean): Promise<ReceivedSpan>;
  close(): Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}

type OtlpAttributes = { key: string; value: OtlpValue }[] | undefined;

function decodedValue(value: OtlpValue): AttributeValue {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decodedValue);
  throw new Error(`an OTLP value of no known kind: ${JSON.stringify(value)}`);
}

function attributesOf(list: OtlpAttributes): Record<string, AttributeValue> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, decodedValue(value)]));
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: OtlpAttributes;
  events?: { name: string; attributes?: OtlpAttributes }[];
  links?: { traceId: string; spanId: string }[];
  status?: { code?: number; message?: string };
}

interface OtlpBody {
  resourceSpans: {
    resource?: { attributes?: OtlpAttributes };
    scopeSpans?: { spans?: OtlpSpan[] }[];
  }[];
}

function spansOf(body: OtlpBody): ReceivedSpan[] {
  if (!Array.isArray(body.resourceSpans)) throw new Error('no resourceSpans');
  return body.resourceSpans.flatMap((group) => {
    const resource = attributesOf(group.resource?.attributes);
    return (group.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind,
        startNs: BigInt(span.startTimeUnixNano),
        endNs: BigInt(span.endTimeUnixNano),
        attributes: attributesOf(span.attributes),
        events: (span.events ?? []).map((event) => ({
          name: event.name,
          attributes: attributesOf(event.attributes),
        })),
        links: (span.links ?? []).map((link) => ({ traceId: link.traceId, spanId: link.spanId })),
        status: {
          code: span.status?.code ?? 0,
          ...(span.status?.message ? { message: span.status.message } : {}),
        },
        resource,
      })),
    );
  });
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const refused: string[] = [];
  const waiters: { test: (span: ReceivedSpan) => boolean; resolve: (span: ReceivedSpan) => void }[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      let received: ReceivedSpan[];
      try {
        if (!String(request.headers['content-type']).startsWith('application/json'))
          throw new Error(`content-type ${request.headers['content-type']}`);
        received = spansOf(JSON.parse(text) as OtlpBody);
      } catch (error) {
        refused.push(`${(error as Error).message}: ${text.slice(0, 200)}`);
        response.writeHead(400).end();
        return;
      }
      spans.push(...received);
      for (const waiter of [...waiters]) {
        const found = spans.find(waiter.test);
        if (found !== undefined) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(found);
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    refused,
    waitFor: (test) => {
      const found = spans.find(test);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ test, resolve }));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
