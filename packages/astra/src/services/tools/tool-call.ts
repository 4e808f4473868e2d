import type { ClaimedTask, JsonValue } from '../../kernel/index.js';
import type { Logger } from '../../log/logger.js';
import type { ArtifactStore } from '../../ports/artifacts.js';
import type { EgressProxy } from '../../ports/egress.js';
import type { SecretStore } from '../../ports/secrets.js';
import type { Clock } from '../../time/clock.js';
import type { StoreArtifact } from './call-artifacts.js';
import type { ToolManifest } from './manifest.js';
import type { Workspace } from './workspace.js';

/**
 * What a tool runner is handed for one call. The node builds one ToolRuntime (src/app/tool-runtime.ts)
 * and the `tool` task type adds the call's own parts: its checked input, the manifest it runs
 * under, the task it belongs to, the goal's workspace and the task's abort signal.
 */
export interface ToolRuntime {
  /** Content-addressed blobs a run produces (screenshots, large outputs). */
  readonly artifacts: ArtifactStore;
  /** The node's egress proxy: the only way a run reaches the network. */
  readonly egress: EgressProxy;
  /** Where the secrets a manifest requires are read from. */
  readonly secrets: SecretStore;
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface ToolCall {
  readonly input: Record<string, unknown>;
  readonly manifest: ToolManifest;
  /** The task making the call (ids, agent, goal, attempt). */
  readonly task: ClaimedTask;
  readonly workspace: () => Promise<Workspace>;
  readonly runtime: ToolRuntime;
  /**
   * Stores bytes as an artifact of this task and answers its reference (`{"$artifact":
   * "astra://artifacts/<sha256>", media_type, size_bytes}`) for the result: readable through the
   * API by whoever may read the task (call-artifacts.ts). Runners store with this, never with
   * `runtime.artifacts.put`, which records no owner (and so serves no one).
   */
  readonly storeArtifact: StoreArtifact;
  readonly signal: AbortSignal;
}

export type ToolRunner = (call: ToolCall) => Promise<JsonValue>;
