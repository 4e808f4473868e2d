import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { AstraError, isAstraError } from '../../errors/index.js';
import { type ArtifactMeta, type ArtifactStore, artifactSha256, artifactUri } from '../../ports/artifacts.js';
import { type Clock, systemClock } from '../../time/clock.js';
import {
  ARTIFACTS_DEFAULTS,
  checkListOptions,
  checkPutOptions,
  chunksOf,
  expiresAtFor,
  HashingLimit,
  isExpired,
  laterExpiry,
  pageOf,
  tooLarge,
} from './artifact-rules.js';

/**
 * Artifacts in S3 or any S3-compatible store (path-style addressing for a custom endpoint).
 *
 * Layout: `<prefix>blobs/<sha256>` with the media type as Content-Type and the times as user
 * metadata (`astra-created-at`, `astra-expires-at`, `never` for no expiry); `<prefix>tmp/<uuid>`
 * for streamed uploads. A body given whole is hashed first and written to its key with one
 * PutObject. A stream is uploaded to a temporary key (multipart, constant memory) while it is
 * hashed, then copied to its key and the temporary object deleted: objects appear whole, and
 * CopyObject bounds an artifact at 5 GiB. Updating an expiry copies the object onto itself with new
 * metadata. `list` and `sweep` read each object's metadata (one HEAD per object); a bucket
 * lifecycle rule that aborts incomplete multipart uploads covers uploads a crash left behind.
 */
export interface S3ArtifactStoreOptions {
  readonly bucket: string;
  /** Key prefix, e.g. `astra/`; default `artifacts/`. */
  readonly prefix?: string;
  /** A custom endpoint (MinIO, a local server); path-style addressing is then the default. */
  readonly endpoint?: string;
  readonly region?: string;
  readonly forcePathStyle?: boolean;
  /** Explicit credentials; without them the SDK's default chain (instance roles, web identity). */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  readonly clock?: Clock;
  readonly retentionDays?: number | null;
  readonly maxBytes?: number;
}

const CREATED = 'astra-created-at';
const EXPIRES = 'astra-expires-at';
const NEVER = 'never';

function unavailable(action: string, cause: unknown): AstraError {
  const name = (cause as { name?: string })?.name ?? 'failed';
  return new AstraError('ASTRA_ARTIFACTS_UNAVAILABLE', `artifact store (s3): ${action} failed (${name})`, {
    details: { action, reason: name },
    cause,
  });
}

function isMissing(cause: unknown): boolean {
  const name = (cause as { name?: string })?.name;
  const status = (cause as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return name === 'NotFound' || name === 'NoSuchKey' || status === 404;
}

function notFound(uri: string): AstraError {
  return new AstraError('ASTRA_ARTIFACT_NOT_FOUND', `no artifact ${uri}`, { details: { uri } });
}

interface ObjectHead {
  readonly ContentType?: string | undefined;
  readonly ContentLength?: number | undefined;
  readonly Metadata?: Record<string, string> | undefined;
}

function metaOf(sha: string, head: ObjectHead): ArtifactMeta {
  const expires = head.Metadata?.[EXPIRES];
  return {
    uri: artifactUri(sha),
    sha256: sha,
    sizeBytes: head.ContentLength ?? 0,
    mediaType: head.ContentType ?? 'application/octet-stream',
    createdAt: head.Metadata?.[CREATED] ?? new Date(0).toISOString(),
    expiresAt: expires === undefined || expires === NEVER ? null : expires,
  };
}

export async function createS3ArtifactStore(options: S3ArtifactStoreOptions): Promise<ArtifactStore> {
  // The SDK is loaded only by a node that stores artifacts in S3 (about 40 ms of every start otherwise).
  const [s3, storage] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]);
  const clock = options.clock ?? systemClock;
  const defaultRetention =
    options.retentionDays === undefined ? ARTIFACTS_DEFAULTS.retentionDays : options.retentionDays;
  const maxBytes = options.maxBytes ?? ARTIFACTS_DEFAULTS.maxBytes;
  const bucket = options.bucket;
  const prefix = options.prefix ?? 'artifacts/';
  const client = new s3.S3Client({
    region: options.region ?? 'us-east-1',
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    ...(options.credentials === undefined ? {} : { credentials: { ...options.credentials } }),
  });
  const blobKey = (sha: string): string => `${prefix}blobs/${sha}`;
  try {
    await client.send(new s3.HeadBucketCommand({ Bucket: bucket }));
  } catch (cause) {
    client.destroy();
    throw unavailable(`reaching bucket ${bucket}`, cause);
  }

  async function headOf(sha: string): Promise<ArtifactMeta | null> {
    try {
      return metaOf(sha, await client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key: blobKey(sha) })));
    } catch (cause) {
      if (isMissing(cause)) return null;
      throw unavailable('reading metadata', cause);
    }
  }

  async function liveHead(sha: string): Promise<ArtifactMeta | null> {
    const meta = await headOf(sha);
    return meta === null || isExpired(meta, clock.now()) ? null : meta;
  }

  const metadata = (meta: Pick<ArtifactMeta, 'createdAt' | 'expiresAt'>): Record<string, string> => ({
    [CREATED]: meta.createdAt,
    [EXPIRES]: meta.expiresAt ?? NEVER,
  });

  /** Stores under `sha` what `source` (a temporary key, or bytes) holds, merging with what is there. */
  async function settle(
    sha: string,
    sizeBytes: number,
    settings: { mediaType: string; retentionDays: number | null },
    source: { readonly tempKey: string } | { readonly bytes: Buffer },
  ): Promise<ArtifactMeta> {
    const now = clock.now();
    const existing = await liveHead(sha);
    const wanted = expiresAtFor(now, settings.retentionDays);
    const meta: ArtifactMeta =
      existing === null
        ? {
            uri: artifactUri(sha),
            sha256: sha,
            sizeBytes,
            mediaType: settings.mediaType,
            createdAt: new Date(now).toISOString(),
            expiresAt: wanted,
          }
        : { ...existing, expiresAt: laterExpiry(existing.expiresAt, wanted) };
    try {
      if (existing === null && 'bytes' in source)
        await client.send(
          new s3.PutObjectCommand({
            Bucket: bucket,
            Key: blobKey(sha),
            Body: source.bytes,
            ContentType: meta.mediaType,
            Metadata: metadata(meta),
          }),
        );
      else if (existing === null || existing.expiresAt !== meta.expiresAt)
        await client.send(
          new s3.CopyObjectCommand({
            Bucket: bucket,
            Key: blobKey(sha),
            CopySource: `${bucket}/${existing === null && 'tempKey' in source ? source.tempKey : blobKey(sha)}`,
            MetadataDirective: 'REPLACE',
            ContentType: meta.mediaType,
            Metadata: metadata(meta),
          }),
        );
    } catch (cause) {
      throw unavailable('storing the artifact', cause);
    }
    return meta;
  }

  async function putStream(
    body: AsyncIterable<Uint8Array>,
    settings: { mediaType: string; retentionDays: number | null },
  ): Promise<ArtifactMeta> {
    const tempKey = `${prefix}tmp/${randomUUID()}`;
    const hashing = new HashingLimit(maxBytes);
    let failure: unknown;
    const source = Readable.from(chunksOf(body));
    source.on('error', (error) => hashing.destroy(error));
    hashing.on('error', (error) => {
      failure = error;
    });
    try {
      await new storage.Upload({
        client,
        params: { Bucket: bucket, Key: tempKey, Body: source.pipe(hashing) },
      }).done();
      if (failure !== undefined) throw failure;
      return await settle(hashing.sha256(), hashing.sizeBytes, settings, { tempKey });
    } catch (cause) {
      const reason = failure ?? cause;
      if (isAstraError(reason)) throw reason;
      throw unavailable('uploading the artifact', reason);
    } finally {
      await client.send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: tempKey })).catch(() => undefined);
    }
  }

  async function keysUnder(
    folder: string,
    after: string | null,
  ): Promise<{ key: string; modifiedMs: number }[]> {
    const out: { key: string; modifiedMs: number }[] = [];
    let token: string | undefined;
    try {
      do {
        const page = await client.send(
          new s3.ListObjectsV2Command({
            Bucket: bucket,
            Prefix: folder,
            ...(token === undefined && after !== null ? { StartAfter: `${folder}${after}` } : {}),
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        );
        for (const entry of page.Contents ?? [])
          if (entry.Key !== undefined)
            out.push({
              key: entry.Key,
              modifiedMs: entry.LastModified?.getTime() ?? Number.POSITIVE_INFINITY,
            });
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    } catch (cause) {
      throw unavailable('listing artifacts', cause);
    }
    return out;
  }

  const shaOfKey = (key: string): string | null => {
    const sha = key.slice(`${prefix}blobs/`.length);
    return /^[0-9a-f]{64}$/.test(sha) ? sha : null;
  };

  return {
    async put(body, putOptions) {
      const settings = checkPutOptions(putOptions, defaultRetention);
      if (typeof body === 'string' || body instanceof Uint8Array) {
        const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
        if (bytes.length > maxBytes) throw tooLarge(maxBytes);
        const sha = createHash('sha256').update(bytes).digest('hex');
        return settle(sha, bytes.length, settings, { bytes });
      }
      return putStream(chunksOf(body), settings);
    },

    async get(uri) {
      const sha = artifactSha256(uri);
      let answer: GetObjectCommandOutput;
      try {
        answer = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: blobKey(sha) }));
      } catch (cause) {
        if (isMissing(cause)) throw notFound(uri);
        throw unavailable('reading the artifact', cause);
      }
      const meta = metaOf(sha, answer);
      const body = answer.Body as Readable;
      if (isExpired(meta, clock.now())) {
        body.destroy();
        throw notFound(uri);
      }
      return { meta, body };
    },

    async head(uri) {
      return liveHead(artifactSha256(uri));
    },

    async delete(uri) {
      const sha = artifactSha256(uri);
      if ((await headOf(sha)) === null) return false;
      try {
        await client.send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: blobKey(sha) }));
      } catch (cause) {
        throw unavailable('deleting the artifact', cause);
      }
      return true;
    },

    async list(listOptions) {
      const { limit, after } = checkListOptions(listOptions);
      const keys = await keysUnder(`${prefix}blobs/`, after);
      return pageOf(
        keys.map(({ key }) => shaOfKey(key)),
        limit,
        liveHead,
      );
    },

    async sweep() {
      const now = clock.now();
      let deleted = 0;
      for (const { key } of await keysUnder(`${prefix}blobs/`, null)) {
        const sha = shaOfKey(key);
        const meta = sha === null ? null : await headOf(sha);
        if (meta === null || !isExpired(meta, now)) continue;
        await client
          .send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: key }))
          .catch((cause: unknown) => {
            throw unavailable('sweeping', cause);
          });
        deleted += 1;
      }
      for (const { key, modifiedMs } of await keysUnder(`${prefix}tmp/`, null))
        if (modifiedMs < now - ARTIFACTS_DEFAULTS.abandonedUploadMs)
          await client.send(new s3.DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
      return { deleted };
    },

    async close() {
      client.destroy();
    },
  };
}
