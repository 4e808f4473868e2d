import { connect } from 'node:net';

/**
 * HTTP/1.1 over a bare socket, for the fuzzer: every byte of the request is ours, so it can send
 * what fetch refuses to (a Content-Length that lies, non-Latin-1 or oversized headers, a body on a
 * GET, no Content-Type). One request per connection (`Connection: close`); the answer is read
 * until the server closes. An event stream is cut 100 ms after its head arrived, any other answer
 * that does not end after `timeoutMs`, both marked `streaming`; no answer at all within `timeoutMs` is
 * `status: null` (the server may legitimately wait for a body that a lying Content-Length promised).
 */
export interface RawRequest {
  readonly method: string;
  /** Path and query, already encoded as they go on the request line. */
  readonly target: string;
  /** Sent in order; Host and Connection are added unless present. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: Buffer;
  /** Shut our side after writing (a truncated body then stays truncated). */
  readonly halfClose?: boolean;
}

export interface RawResponse {
  readonly status: number | null;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly streaming: boolean;
}

export function encodeRequest(port: number, request: RawRequest): Buffer {
  const names = new Set(request.headers.map(([name]) => name.toLowerCase()));
  const lines = [`${request.method} ${request.target} HTTP/1.1`];
  if (!names.has('host')) lines.push(`Host: 127.0.0.1:${port}`);
  if (!names.has('connection')) lines.push('Connection: close');
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  return request.body === undefined ? head : Buffer.concat([head, request.body]);
}

export function sendRaw(port: number, request: RawRequest, timeoutMs = 3000): Promise<RawResponse> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: '127.0.0.1', port });
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (cut: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseResponse(Buffer.concat(chunks), cut));
    };
    socket.on('connect', () => {
      socket.write(encodeRequest(port, request));
      if (request.halfClose === true) socket.end();
    });
    let streaming = false;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // An event stream never ends by itself: its head and first bytes are all there is to check.
      if (
        !streaming &&
        /content-type:\s*text\/event-stream/i.test(Buffer.concat(chunks).toString('latin1'))
      ) {
        streaming = true;
        clearTimeout(timer);
        timer = setTimeout(() => finish(true), 100);
      }
    });
    socket.on('end', () => finish(false));
    socket.on('close', () => finish(false));
    socket.on('error', () => finish(false));
    timer = setTimeout(() => finish(true), timeoutMs);
  });
}

function parseResponse(whole: Buffer, cut: boolean): RawResponse {
  let raw = whole;
  // Interim answers (100 Continue) come before the real one.
  while (/^HTTP\/1\.[01] 1\d\d /.test(raw.subarray(0, 16).toString('latin1'))) {
    const end = raw.indexOf('\r\n\r\n');
    if (end < 0) break;
    raw = raw.subarray(end + 4);
  }
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) return { status: null, headers: {}, body: raw.toString('utf8'), streaming: false };
  const [statusLine = '', ...headerLines] = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(headEnd + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') body = dechunk(body);
  else if (headers['content-length'] !== undefined)
    body = body.subarray(0, Number(headers['content-length']));
  return {
    status: Number.isNaN(status) ? null : status,
    headers,
    body: body.toString('utf8'),
    streaming: cut,
  };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
