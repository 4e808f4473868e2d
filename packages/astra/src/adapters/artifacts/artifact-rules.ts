import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AstraError } from '../../errors/index.js';
import {
  type ArtifactBody,
  type ArtifactListOptions,
  type ArtifactMeta,
  type ArtifactPage,
  type ArtifactPutOptions,
  artifactSha256,
} from '../../ports/artifacts.js';

/** What both artifact adapters share: defaults, option checks, hashing with a size limit, retention. */
export const ARTIFACTS_DEFAULTS = {
  retentionDays: 30,
  /** The largest artifact (1 GiB); S3's CopyObject, used to move a streamed upload into place, takes 5 GiB. */
  maxBytes: 1024 * 1024 * 1024,
  listLimit: 100,
  /** A partial upload older than this is abandoned: `sweep` removes it. */
  abandonedUploadMs: 60 * 60 * 1000,
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;
const MEDIA_TYPE =
  /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=("[^"\\\r\n]*"|[A-Za-z0-9!#$&^_.+-]+))*$/;

function invalid(path: string, reason: string): AstraError {
  return new AstraError('ASTRA_VALIDATION_FAILED', `${path}: ${reason}`, { details: { path, reason } });
}

export interface PutSettings {
  readonly mediaType: string;
  readonly retentionDays: number | null;
}

export function checkPutOptions(
  options: ArtifactPutOptions | undefined,
  defaultRetentionDays: number | null,
): PutSettings {
  const mediaType = options?.mediaType ?? 'application/octet-stream';
  if (typeof mediaType !== 'string' || mediaType.length > 255 || !MEDIA_TYPE.test(mediaType))
    throw invalid('mediaType', 'must be type/subtype with optional parameters');
  const retentionDays = options?.retentionDays === undefined ? defaultRetentionDays : options.retentionDays;
  if (
    retentionDays !== null &&
    (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 36_500)
  )
    throw invalid('retentionDays', 'must be a whole number of days from 1 to 36500, or null');
  return { mediaType, retentionDays };
}

export function checkListOptions(options: ArtifactListOptions | undefined): {
  limit: number;
  after: string | null;
} {
  const limit = options?.limit ?? ARTIFACTS_DEFAULTS.listLimit;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalid('limit', 'must be 1-1000');
  return { limit, after: options?.after === undefined ? null : artifactSha256(options.after) };
}

/**
 * One page of a listing: the live artifacts among the candidates (content hashes in order, from
 * after the cursor), up to `limit`, and the cursor of the next page (null: this is the last).
 */
export async function pageOf(
  candidates: Iterable<string | null>,
  limit: number,
  liveMeta: (sha: string) => Promise<ArtifactMeta | null>,
): Promise<ArtifactPage> {
  const items: ArtifactMeta[] = [];
  for (const sha of candidates) {
    const meta = sha === null ? null : await liveMeta(sha);
    if (meta === null) continue;
    if (items.length === limit) return { items, next: items.at(-1)?.uri ?? null };
    items.push(meta);
  }
  return { items, next: null };
}

/** Any accepted body as a stream of chunks. */
export async function* chunksOf(body: ArtifactBody): AsyncIterable<Uint8Array> {
  if (typeof body === 'string') yield Buffer.from(body, 'utf8');
  else if (body instanceof Uint8Array) yield body;
  else if (body !== null && typeof body === 'object' && Symbol.asyncIterator in body) {
    for await (const chunk of body) {
      if (typeof chunk === 'string') yield Buffer.from(chunk, 'utf8');
      else if (chunk instanceof Uint8Array) yield chunk;
      else throw invalid('body', 'a stream must yield bytes');
    }
  } else throw invalid('body', 'must be bytes, text or a stream of bytes');
}

export function tooLarge(maxBytes: number): AstraError {
  return new AstraError('ASTRA_ARTIFACT_TOO_LARGE', `the artifact is larger than ${maxBytes} bytes`, {
    details: { max_bytes: maxBytes },
  });
}

/** Passes bytes through while hashing and counting them; fails with ASTRA_ARTIFACT_TOO_LARGE past `maxBytes`. */
export class HashingLimit extends Transform {
  readonly #hash = createHash('sha256');
  readonly #maxBytes: number;
  #size = 0;

  constructor(maxBytes: number) {
    super();
    this.#maxBytes = maxBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#size += chunk.length;
    if (this.#size > this.#maxBytes) {
      callback(tooLarge(this.#maxBytes));
      return;
    }
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  get sizeBytes(): number {
    return this.#size;
  }

  /** The hex SHA-256 of everything that passed; call once, after the stream ended. */
  sha256(): string {
    return this.#hash.digest('hex');
  }
}

export function expiresAtFor(nowMs: number, retentionDays: number | null): string | null {
  return retentionDays === null ? null : new Date(nowMs + retentionDays * DAY_MS).toISOString();
}

export function isExpired(meta: Pick<ArtifactMeta, 'expiresAt'>, nowMs: number): boolean {
  return meta.expiresAt !== null && Date.parse(meta.expiresAt) <= nowMs;
}

/** The later of two expiries; null (never) beats any date. */
export function laterExpiry(a: string | null, b: string | null): string | null {
  if (a === null || b === null) return null;
  return Date.parse(a) >= Date.parse(b) ? a : b;
}
