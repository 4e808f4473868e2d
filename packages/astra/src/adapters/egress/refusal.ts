import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { AstraError, type ErrorCode, type ErrorDetails } from '../../errors/index.js';

/** The proxy's own answer: the status of `code` and the API's error body, which the model can read. */
export interface Refusal {
  readonly code: ErrorCode;
  readonly status: number;
  readonly body: Buffer;
}

export function refusal(code: ErrorCode, message: string, details: ErrorDetails): Refusal {
  const error = new AstraError(code, message, { details });
  return { code, status: error.httpStatus, body: Buffer.from(JSON.stringify({ error: error.toJSON() })) };
}

/** The challenge of a 407: sessions on the TCP listener authenticate with Basic credentials. */
export const PROXY_CHALLENGE = 'Basic realm="astra-egress"';

const JSON_HEADERS = { 'content-type': 'application/json', 'x-astra-egress': 'refused' };

export function sendRefusal(res: ServerResponse, answer: Refusal): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(answer.status, { ...JSON_HEADERS, 'content-length': answer.body.length });
  res.end(answer.body);
}

/** A refusal written on a raw socket (a CONNECT that gets no tunnel), then the socket is ended. */
export function writeRawRefusal(socket: Duplex, answer: Refusal): void {
  const head = [
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? 'Refused'}`,
    ...Object.entries(JSON_HEADERS).map(([name, value]) => `${name}: ${value}`),
    // A client answers a 407 only when told the scheme (a browser's proxy credentials, for one).
    ...(answer.status === 407 ? [`proxy-authenticate: ${PROXY_CHALLENGE}`] : []),
    `content-length: ${answer.body.length}`,
    'connection: close',
    '',
    '',
  ].join('\r\n');
  socket.end(Buffer.concat([Buffer.from(head), answer.body]));
}
