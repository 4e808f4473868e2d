import type { z } from 'zod';
import { AstraError } from '../../errors/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { ManifestInput, manifestOf, parseToolRef, type ToolManifest } from './manifest.js';
import { listVersions, readTool, registerTool } from './tool-store.js';

/**
 * Tools served by remote workers (docs/workers.md, "Tools served by a worker"). A worker declares
 * manifests when it registers; each is registered in the tool registry with sandbox `remote`,
 * owned by the worker's organization (`metadata.remote_org_id`): another organization's worker may
 * not register a version of that name, and only the owner's agents' tasks reach its workers.
 *
 * A plan's tool task naming such a tool, submitted for an agent of the owning organization, is
 * routed when it is submitted: its type becomes `tool:<name>`, a type the serving workers declare,
 * so the built-in executor never claims it and a remote worker does. The checks of any tool call
 * run on Astra's side when the worker claims the task, before it sees it (remote-tool-calls.ts).
 */
export const REMOTE_TOOL_PREFIX = 'tool:';
export const remoteToolType = (name: string): string => `${REMOTE_TOOL_PREFIX}${name}`;
export const isRemoteToolType = (type: string): boolean => type.startsWith(REMOTE_TOOL_PREFIX);

/** A manifest as a worker declares it: no sandbox (remote), egress, filesystem, secrets or metadata. */
export const RemoteToolManifest = ManifestInput.omit({
  sandbox: true,
  egress: true,
  filesystem: true,
  secrets: true,
  metadata: true,
}).meta({ id: 'RemoteToolManifest' });
export type RemoteToolInput = z.output<typeof RemoteToolManifest>;

/** The organization whose workers serve a tool version; null: not a remote tool. */
export function remoteOrgOf(manifest: Pick<ToolManifest, 'sandbox' | 'metadata'>): string | null {
  const org = manifest.metadata.remote_org_id;
  return manifest.sandbox === 'remote' && typeof org === 'string' ? org : null;
}

/**
 * Registers the manifests a worker declares for its organization; answers the task types they
 * give the worker (`tool:<name>`). The same manifest again is accepted; another manifest under a
 * registered version, or a name another organization (or the platform) registered, is refused.
 */
export async function registerRemoteTools(
  db: SqlExecutor,
  input: { readonly orgId: string; readonly by: string; readonly tools: readonly RemoteToolInput[] },
): Promise<string[]> {
  const manifests = input.tools.map((tool) =>
    manifestOf({
      ...tool,
      sandbox: 'remote',
      egress: [],
      filesystem: 'none',
      secrets: [],
      metadata: { remote_org_id: input.orgId },
    }),
  );
  for (const manifest of manifests) {
    const taken = (await listVersions(db, manifest.name)).find((v) => remoteOrgOf(v) !== input.orgId);
    if (taken !== undefined)
      throw new AstraError(
        'ASTRA_STATE_CONFLICT',
        `tool ${manifest.name} is registered by someone else (${taken.name}@${taken.version}, sandbox ${taken.sandbox}): a worker serves only tools of its own organization`,
        { details: { name: manifest.name } },
      );
    const { outcome } = await registerTool(db, manifest, input.by);
    if (outcome === 'conflict')
      throw new AstraError(
        'ASTRA_STATE_CONFLICT',
        `${manifest.name}@${manifest.version} is registered with another manifest; versions are immutable: register a new version`,
        { details: { name: manifest.name, version: manifest.version } },
      );
  }
  return [...new Set(manifests.map((manifest) => remoteToolType(manifest.name)))];
}

/**
 * A raw plan with the tool tasks that name a remote tool of `orgId` routed to its workers (type
 * `tool:<name>`); everything else as it was (the engine checks the plan).
 */
export async function routeRemoteTools(db: SqlExecutor, plan: unknown, orgId: string): Promise<unknown> {
  const tasks = (plan as { tasks?: unknown } | null)?.tasks;
  if (!Array.isArray(tasks)) return plan;
  const remote = new Map<string, boolean>();
  const routed: unknown[] = [];
  let changed = false;
  for (const task of tasks) {
    const { type, payload } = (task ?? {}) as { type?: unknown; payload?: { tool?: unknown } | null };
    const ref = type === 'tool' && typeof payload?.tool === 'string' ? parseToolRef(payload.tool) : null;
    if (ref === null) {
      routed.push(task);
      continue;
    }
    const key = `${ref.name}@${ref.version ?? ''}`;
    let isRemote = remote.get(key);
    if (isRemote === undefined) {
      const manifest = await readTool(db, ref.name, ref.version);
      isRemote = manifest !== null && remoteOrgOf(manifest) === orgId;
      remote.set(key, isRemote);
    }
    if (!isRemote) {
      routed.push(task);
      continue;
    }
    changed = true;
    routed.push({ ...(task as object), type: remoteToolType(ref.name) });
  }
  return changed ? { ...(plan as object), tasks: routed } : plan;
}
