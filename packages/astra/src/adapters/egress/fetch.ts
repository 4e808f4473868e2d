import http from 'node:http';
import { AstraError } from '../../errors/index.js';
import type { EgressFetch, EgressFetchRequest, EgressFetchResponse } from '../../ports/egress.js';
import { refusal } from './refusal.js';

/**
 * The session's `fetch` (for QuickJS tools): it sends the request in absolute form over the
 * session's own Unix socket, so it passes through exactly the proxy's checks, injection and logging.
 * An `https://` URL is fetched by the proxy over TLS. The response is read whole, up to
 * `maxResponseBytes`; a larger one is cut off and answered 502 ASTRA_EGRESS_RESPONSE_TOO_LARGE.
 */
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function bad(reason: string): AstraError {
  return new AstraError('ASTRA_EGRESS_BAD_REQUEST', `egress fetch: ${reason}`, { details: { reason } });
}

function validate(request: EgressFetchRequest): { url: URL; method: string } {
  if (typeof request !== 'object' || request === null) throw bad('the request must be an object');
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw bad('url must be an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw bad('url must be an absolute http:// or https:// URL');
  if (url.username !== '' || url.password !== '') throw bad('url must not carry credentials');
  const method = (request.method ?? 'GET').toUpperCase();
  if (!METHOD.test(method) || method === 'CONNECT')
    throw bad(`"${method.slice(0, 32)}" is not a method fetch sends`);
  const body = request.body;
  if (body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array))
    throw bad('body must be a string or bytes');
  for (const [name, value] of Object.entries(request.headers ?? {}))
    if (!METHOD.test(name) || typeof value !== 'string' || /[\r\n\0]/.test(value))
      throw bad(`header "${name.slice(0, 64)}" is malformed`);
  return { url, method };
}

export interface SocketFetchOptions {
  readonly socketPath: string;
  readonly agent: http.Agent;
  readonly maxResponseBytes: number;
  readonly isClosed: () => boolean;
}

export function createSocketFetch(options: SocketFetchOptions): EgressFetch {
  return (request, signal) =>
    new Promise<EgressFetchResponse>((resolve, reject) => {
      if (options.isClosed()) {
        reject(new AstraError('ASTRA_EGRESS_SESSION_CLOSED'));
        return;
      }
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const { url, method } = validate(request);
      const body =
        request.body === undefined
          ? undefined
          : typeof request.body === 'string'
            ? Buffer.from(request.body)
            : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength);
      const headers: Record<string, string | number> = { ...request.headers, host: url.host };
      if (body !== undefined) headers['content-length'] = body.length;
      const outgoing = http.request({
        socketPath: options.socketPath,
        agent: options.agent,
        method,
        path: url.href,
        headers,
        ...(signal === undefined ? {} : { signal }),
      });
      outgoing.on('error', (error) =>
        reject(
          signal?.aborted
            ? signal.reason
            : options.isClosed()
              ? new AstraError('ASTRA_EGRESS_SESSION_CLOSED', undefined, { cause: error })
              : new AstraError('ASTRA_EGRESS_UPSTREAM_FAILED', 'egress fetch: the proxy connection failed', {
                  cause: error,
                }),
        ),
      );
      outgoing.on('response', (answer) => {
        const chunks: Buffer[] = [];
        let size = 0;
        answer.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxResponseBytes) {
            answer.destroy();
            const tooLarge = refusal(
              'ASTRA_EGRESS_RESPONSE_TOO_LARGE',
              `the response is larger than ${options.maxResponseBytes} bytes`,
              { host: url.hostname, max_bytes: options.maxResponseBytes },
            );
            resolve({
              status: tooLarge.status,
              headers: { 'content-type': 'application/json' },
              body: new Uint8Array(tooLarge.body),
            });
            return;
          }
          chunks.push(chunk);
        });
        answer.on('end', () => {
          const out: Record<string, string> = {};
          for (const [name, value] of Object.entries(answer.headers))
            if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
          resolve({
            status: answer.statusCode ?? 502,
            headers: out,
            body: new Uint8Array(Buffer.concat(chunks)),
          });
        });
        // Cut off before its end (the upstream broke off, or the signal aborted); a settled promise
        // ignores this (the too-large answer above destroys the response itself).
        answer.on('error', () => undefined);
        answer.on('close', () => {
          if (!answer.complete)
            reject(
              signal?.aborted
                ? signal.reason
                : new AstraError('ASTRA_EGRESS_UPSTREAM_FAILED', 'egress fetch: the response broke off'),
            );
        });
      });
      outgoing.end(body);
    });
}
