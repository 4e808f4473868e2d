import type { Readable } from 'node:stream';
import { AstraError } from '../errors/index.js';
import { ARTIFACT_URI_PREFIX, type ArtifactRef, artifactRef } from '../kernel/index.js';

/**
 * Artifacts port: content-addressed blobs, the bytes behind the kernel's artifact references
 * (`{"$artifact": "astra://artifacts/<id>"}`, kernel/dataflow/artifact-ref.ts).
 *
 * Glossary: an artifact is a byte string named by the SHA-256 of its content
 * (`astra://artifacts/<64 lowercase hex>`), with a media type, a size, the time it was first
 * stored and the time it expires (or never). Adapters: the file system under the data dir, and S3
 * (any S3-compatible endpoint).
 *
 * Rules every adapter keeps (checked by the artifacts conformance suite):
 * - `put` stores the bytes and returns their URI; equal bytes always get the same URI. Putting
 *   bytes that are already stored keeps the first media type and creation time and extends the
 *   expiry to the later of the two (never beats any date). A reader sees a whole artifact or none:
 *   bytes are written aside and moved into place once complete.
 * - Bodies may be streams of any length up to `maxBytes`; past it the put fails with
 *   ASTRA_ARTIFACT_TOO_LARGE and nothing is stored. `get` streams the bytes back.
 * - Retention: each put keeps the artifact `retentionDays` (the store's default when absent,
 *   `null` for no expiry). Once `expiresAt` has passed on the store's clock an artifact is never
 *   returned by get, head or list; `sweep` deletes expired artifacts (and abandoned partial
 *   uploads) and says how many artifacts it removed.
 * - `list` pages through live artifacts in URI order (`after` is the last URI of the previous page).
 * - Errors: ASTRA_ARTIFACT_NOT_FOUND, ASTRA_ARTIFACT_TOO_LARGE, ASTRA_VALIDATION_FAILED (a URI that is
 *   not `astra://artifacts/<sha256>`, a malformed media type or retention), ASTRA_ARTIFACTS_UNAVAILABLE
 *   (the backend cannot be reached or written; retryable).
 */
export interface ArtifactMeta {
  readonly uri: string;
  readonly sha256: string;
  readonly sizeBytes: number;
  readonly mediaType: string;
  /** ISO 8601, when the bytes were first stored. */
  readonly createdAt: string;
  /** ISO 8601, or null for an artifact kept until deleted. */
  readonly expiresAt: string | null;
}

/** Bytes, text (stored as UTF-8), or a stream of chunks (a Node Readable is one). */
export type ArtifactBody = Uint8Array | string | AsyncIterable<Uint8Array>;

export interface ArtifactPutOptions {
  /** `type/subtype` with optional parameters; default `application/octet-stream`. */
  readonly mediaType?: string;
  /** Whole days to keep it (a positive integer), or null for no expiry; default the store's. */
  readonly retentionDays?: number | null;
}

export interface ArtifactListOptions {
  /** 1-1000; default 100. */
  readonly limit?: number;
  /** The last URI of the previous page. */
  readonly after?: string;
}

export interface ArtifactPage {
  readonly items: readonly ArtifactMeta[];
  /** The `after` of the next page; null on the last one. */
  readonly next: string | null;
}

export interface ArtifactStore {
  put(body: ArtifactBody, options?: ArtifactPutOptions): Promise<ArtifactMeta>;
  get(uri: string): Promise<{ readonly meta: ArtifactMeta; readonly body: Readable }>;
  head(uri: string): Promise<ArtifactMeta | null>;
  /** True when something was deleted. */
  delete(uri: string): Promise<boolean>;
  list(options?: ArtifactListOptions): Promise<ArtifactPage>;
  sweep(): Promise<{ readonly deleted: number }>;
  close(): Promise<void>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function artifactUri(sha256: string): string {
  return `${ARTIFACT_URI_PREFIX}${sha256}`;
}

/** The SHA-256 an artifact URI names; ASTRA_VALIDATION_FAILED when it is not one. */
export function artifactSha256(uri: string): string {
  const sha =
    typeof uri === 'string' && uri.startsWith(ARTIFACT_URI_PREFIX)
      ? uri.slice(ARTIFACT_URI_PREFIX.length)
      : '';
  if (!SHA256_HEX.test(sha))
    throw new AstraError('ASTRA_VALIDATION_FAILED', `an artifact URI is ${ARTIFACT_URI_PREFIX}<sha256 hex>`, {
      details: { path: 'uri', uri: String(uri).slice(0, 120) },
    });
  return sha;
}

/** The kernel's reference to a stored artifact, for a task's result or payload. */
export function artifactRefOf(meta: ArtifactMeta): ArtifactRef {
  return artifactRef(meta.sha256, { mediaType: meta.mediaType, sizeBytes: meta.sizeBytes });
}
