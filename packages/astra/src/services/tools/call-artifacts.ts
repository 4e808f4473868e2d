import { AstraError } from '../../errors/index.js';
import type { ArtifactRef } from '../../kernel/index.js';
import {
  type ArtifactBody,
  type ArtifactMeta,
  type ArtifactPutOptions,
  type ArtifactStore,
  artifactRefOf,
} from '../../ports/artifacts.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import type { Clock } from '../../time/clock.js';
import { type ArtifactProducer, recordArtifact } from './artifact-ledger.js';
import { ToolCallError } from './tool-errors.js';

/**
 * How a tool run stores an artifact: `call.storeArtifact(body, {mediaType})` puts the bytes into
 * the node's artifact store and records, in the same call, which task (goal, agent, organization)
 * produced them; it answers the kernel's reference (`{"$artifact": "astra://artifacts/<sha256>",
 * media_type, size_bytes}`) for the runner to put in its result. The artifact is then readable
 * through the API by whoever may read that task (`GET /artifacts/{sha256}`).
 *
 * A body past the store's size limit ends the call with ASTRA_TOOL_FAILED
 * (`details.artifact_code: ASTRA_ARTIFACT_TOO_LARGE`): the same call would fail the same way. A
 * store that cannot be reached stays ASTRA_ARTIFACTS_UNAVAILABLE, which a retry may cure.
 */
export type StoreArtifact = (body: ArtifactBody, options?: ArtifactPutOptions) => Promise<StoredArtifactRef>;

/** The kernel's ArtifactRef with its media type and size always present; a JSON value as it is. */
export type StoredArtifactRef = {
  readonly $artifact: string;
  readonly media_type: string;
  readonly size_bytes: number;
};

/** Where artifacts go: the store, the database its ledger lives in, the clock that dates records. */
export interface ArtifactKeeper {
  readonly store: ArtifactStore;
  readonly db: SqlExecutor;
  readonly clock: Clock;
}

/** The artifacts one call stores, in order, and the function it stores them with. */
export interface CallArtifacts {
  readonly stored: readonly ArtifactMeta[];
  readonly storeArtifact: StoreArtifact;
}

export function callArtifacts(
  keeper: ArtifactKeeper | undefined,
  producer: ArtifactProducer,
  tool: string,
): CallArtifacts {
  const stored: ArtifactMeta[] = [];
  const storeArtifact: StoreArtifact = async (body, options) => {
    if (keeper === undefined)
      throw new AstraError('ASTRA_ARTIFACTS_UNAVAILABLE', 'this node has no artifact store');
    let meta: ArtifactMeta;
    try {
      meta = await keeper.store.put(body, options);
    } catch (error) {
      if (error instanceof AstraError && error.code === 'ASTRA_ARTIFACT_TOO_LARGE')
        throw new ToolCallError('ASTRA_TOOL_FAILED', `${tool}: ${error.message}`, {
          tool,
          artifact_code: error.code,
        });
      throw error;
    }
    await recordArtifact(keeper.db, producer, meta, keeper.clock.now());
    stored.push(meta);
    const ref: ArtifactRef = artifactRefOf(meta);
    return { $artifact: ref.$artifact, media_type: meta.mediaType, size_bytes: meta.sizeBytes };
  };
  return { stored, storeArtifact };
}
