import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
} from './artifact-rules.js';

/**
 * Artifacts on the local file system, for embedded mode (`<dataDir>/artifacts`).
 *
 * Layout: `blobs/<first two hex>/<sha256>` holds the bytes and `<sha256>.json` beside it the
 * metadata; `tmp/` holds uploads in progress. Directories are 0700 and files 0600 whatever the
 * umask. A put streams into `tmp/` while hashing, fsyncs, and renames the file into place, then
 * writes the metadata the same way (temp file, rename): a blob without metadata is invisible, and
 * `sweep` removes it with abandoned uploads once older than an hour. Puts of the same content are
 * serialized within the process, so their retentions merge.
 */
export interface FsArtifactStoreOptions {
  readonly root: string;
  readonly clock?: Clock;
  readonly retentionDays?: number | null;
  readonly maxBytes?: number;
}

interface StoredMeta {
  readonly mediaType: string;
  readonly sizeBytes: number;
  readonly createdAt: string;
  readonly expiresAt: string | null;
}

function unavailable(action: string, cause: unknown): AstraError {
  const code = (cause as NodeJS.ErrnoException)?.code ?? 'failed';
  return new AstraError('ASTRA_ARTIFACTS_UNAVAILABLE', `artifact store: ${action} failed (${code})`, {
    details: { action, reason: code },
    cause,
  });
}

function notFound(uri: string): AstraError {
  return new AstraError('ASTRA_ARTIFACT_NOT_FOUND', `no artifact ${uri}`, { details: { uri } });
}

export async function createFsArtifactStore(options: FsArtifactStoreOptions): Promise<ArtifactStore> {
  const clock = options.clock ?? systemClock;
  const defaultRetention =
    options.retentionDays === undefined ? ARTIFACTS_DEFAULTS.retentionDays : options.retentionDays;
  const maxBytes = options.maxBytes ?? ARTIFACTS_DEFAULTS.maxBytes;
  const root = path.resolve(options.root);
  const blobs = path.join(root, 'blobs');
  const tmp = path.join(root, 'tmp');
  try {
    for (const dir of [root, blobs, tmp]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
    }
  } catch (cause) {
    throw unavailable('creating the artifact directory', cause);
  }
  const blobPath = (sha: string): string => path.join(blobs, sha.slice(0, 2), sha);
  const metaPath = (sha: string): string => `${blobPath(sha)}.json`;
  const locks = new Map<string, Promise<unknown>>();

  async function readMeta(sha: string): Promise<ArtifactMeta | null> {
    let text: string;
    try {
      text = await readFile(metaPath(sha), 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw unavailable('reading metadata', cause);
    }
    const stored = JSON.parse(text) as StoredMeta;
    return { uri: artifactUri(sha), sha256: sha, ...stored };
  }

  async function liveMeta(sha: string): Promise<ArtifactMeta | null> {
    const meta = await readMeta(sha);
    return meta === null || isExpired(meta, clock.now()) ? null : meta;
  }

  async function writeFileAtomically(target: string, data: string): Promise<void> {
    const temp = path.join(tmp, `${randomUUID()}.json`);
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  }

  /** Runs `work` after every earlier put of the same content has finished. */
  async function serialized<T>(sha: string, work: () => Promise<T>): Promise<T> {
    const previous = locks.get(sha) ?? Promise.resolve();
    const current = previous.then(work, work);
    locks.set(sha, current);
    try {
      return await current;
    } finally {
      if (locks.get(sha) === current) locks.delete(sha);
    }
  }

  return {
    async put(body, putOptions) {
      const settings = checkPutOptions(putOptions, defaultRetention);
      const temp = path.join(tmp, randomUUID());
      const hashing = new HashingLimit(maxBytes);
      try {
        await pipeline(
          Readable.from(chunksOf(body)),
          hashing,
          createWriteStream(temp, { flags: 'wx', mode: 0o600 }),
        );
        const handle = await open(temp, 'r');
        await handle.sync().finally(() => handle.close());
      } catch (cause) {
        await rm(temp, { force: true });
        if (isAstraError(cause)) throw cause;
        throw unavailable('writing the artifact', cause);
      }
      const sha = hashing.sha256();
      const now = clock.now();
      return serialized(sha, async () => {
        try {
          const existing = await liveMeta(sha);
          await mkdir(path.dirname(blobPath(sha)), { recursive: true, mode: 0o700 });
          if (existing === null) await rename(temp, blobPath(sha));
          else await rm(temp, { force: true });
          const stored: StoredMeta = {
            mediaType: existing?.mediaType ?? settings.mediaType,
            sizeBytes: hashing.sizeBytes,
            createdAt: existing?.createdAt ?? new Date(now).toISOString(),
            expiresAt:
              existing === null
                ? expiresAtFor(now, settings.retentionDays)
                : laterExpiry(existing.expiresAt, expiresAtFor(now, settings.retentionDays)),
          };
          await writeFileAtomically(metaPath(sha), JSON.stringify(stored));
          return { uri: artifactUri(sha), sha256: sha, ...stored };
        } catch (cause) {
          await rm(temp, { force: true });
          throw unavailable('storing the artifact', cause);
        }
      });
    },

    async get(uri) {
      const sha = artifactSha256(uri);
      const meta = await liveMeta(sha);
      if (meta === null) throw notFound(uri);
      try {
        const handle = await open(blobPath(sha), 'r');
        return { meta, body: handle.createReadStream() };
      } catch (cause) {
        if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(uri);
        throw unavailable('reading the artifact', cause);
      }
    },

    async head(uri) {
      return liveMeta(artifactSha256(uri));
    },

    async delete(uri) {
      const sha = artifactSha256(uri);
      const existed = (await readMeta(sha)) !== null;
      try {
        await rm(metaPath(sha), { force: true });
        await rm(blobPath(sha), { force: true });
      } catch (cause) {
        throw unavailable('deleting the artifact', cause);
      }
      return existed;
    },

    async list(listOptions) {
      const { limit, after } = checkListOptions(listOptions);
      const shas = (await allShas()).filter((sha) => after === null || sha > after);
      return pageOf(shas, limit, liveMeta);
    },

    async sweep() {
      const now = clock.now();
      let deleted = 0;
      for (const sha of await allShas(true)) {
        const meta = await readMeta(sha);
        if (meta !== null && isExpired(meta, now)) {
          await rm(metaPath(sha), { force: true });
          await rm(blobPath(sha), { force: true });
          deleted += 1;
        } else if (meta === null && (await olderThan(blobPath(sha), now)))
          await rm(blobPath(sha), { force: true });
      }
      for (const entry of await readdir(tmp))
        if (await olderThan(path.join(tmp, entry), now)) await rm(path.join(tmp, entry), { force: true });
      return { deleted };
    },

    async close() {},
  };

  /** Every stored SHA-256 in order: those with metadata, or (`orphans`) every blob too. */
  async function allShas(orphans = false): Promise<string[]> {
    const out: string[] = [];
    try {
      for (const shard of (await readdir(blobs)).sort())
        for (const entry of await readdir(path.join(blobs, shard)))
          if (entry.endsWith('.json')) out.push(entry.slice(0, -'.json'.length));
          else if (orphans && /^[0-9a-f]{64}$/.test(entry)) out.push(entry);
    } catch (cause) {
      throw unavailable('listing artifacts', cause);
    }
    return [...new Set(out)].sort();
  }

  async function olderThan(file: string, now: number): Promise<boolean> {
    const info = await stat(file).catch(() => null);
    return info !== null && info.mtimeMs < now - ARTIFACTS_DEFAULTS.abandonedUploadMs;
  }
}
