/**
 * A minimal Docker Engine API client over its Unix socket (no CLI, no environment): one HTTP
 * request per call, JSON in and out, and the multiplexed log stream of a container decoded into
 * stdout and stderr frames.
 */
import { request } from 'node:http';

export interface EngineAnswer {
  readonly status: number;
  readonly body: Buffer;
}

export class DockerEngine {
  constructor(private readonly socketPath: string) {}

  call(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<EngineAnswer> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers: Record<string, string | number> = { host: 'docker' };
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = payload.byteLength;
      }
      const call = request(
        { socketPath: this.socketPath, method, path: `/v1.41${path}`, headers, signal },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }),
          );
          response.on('error', reject);
        },
      );
      call.on('error', reject);
      call.end(payload);
    });
  }

  async json<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const answer = await this.call(method, path, body, signal);
    if (answer.status >= 300)
      throw new Error(
        `docker ${method} ${path} answered ${answer.status}: ${answer.body.toString('utf8').slice(0, 300)}`,
      );
    return (answer.body.byteLength === 0 ? {} : JSON.parse(answer.body.toString('utf8'))) as T;
  }
}

/** Splits Docker's multiplexed stream (8-byte headers: stream id, 3 zero bytes, big-endian size). */
export function demultiplex(stream: Buffer): { readonly stdout: Buffer; readonly stderr: Buffer } {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let at = 0;
  while (at + 8 <= stream.byteLength) {
    const kind = stream[at];
    const size = stream.readUInt32BE(at + 4);
    const frame = stream.subarray(at + 8, at + 8 + size);
    (kind === 2 ? stderr : stdout).push(frame);
    at += 8 + size;
  }
  return { stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) };
}
