import { isAstraError } from '../../errors/index.js';
import type { EgressSession } from '../../ports/egress.js';
import type { SandboxFile } from '../../ports/sandbox.js';
import { createSecretRedactor, type SecretRedactor } from '../../ports/secret-redactor.js';
import { callGrants } from './egress-grants.js';
import type { ToolCall } from './tool-call.js';
import { ToolCallError } from './tool-errors.js';

/**
 * What one call of a sandboxed or networked tool is given besides its input, opened before the run
 * and closed after it: the secrets its manifest requires (each read once, as read-only files
 * `secrets/<name>` for a sandbox), the redactor of their values (and of the header values its
 * grants inject) for everything the call answers, and its egress session, opened with the call's
 * identity (org, agent, task, tool) and allow-list (egress-grants.ts).
 */
export interface CallerInfo {
  readonly orgId: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** The agent a call runs for: its organization (egress records are logged against it) and config. */
export type CallerOf = (agentId: string) => Promise<CallerInfo | null>;

export interface CallContext {
  readonly files: readonly SandboxFile[];
  readonly redactor: SecretRedactor;
  /** null when no egress was asked for and none is granted. */
  readonly session: EgressSession | null;
  close(): Promise<void>;
}

/**
 * `egress`: `always` opens a session even with an empty allow-list (http_request: its refusals are
 * logged and answered by the proxy); `granted` only when some host is granted (a sandbox without a
 * grant gets no network primitive at all).
 */
export async function openCallContext(
  call: ToolCall,
  callerOf: CallerOf,
  egress: 'always' | 'granted',
): Promise<CallContext> {
  const { manifest, task, runtime } = call;
  const tool = `${manifest.name}@${manifest.version}`;
  const values = new Map<string, string>();
  for (const name of new Set(manifest.secrets)) {
    try {
      values.set(name, (await runtime.secrets.get(name)).value);
    } catch (error) {
      const code = isAstraError(error) ? error.code : 'ASTRA_SECRETS_UNAVAILABLE';
      throw new ToolCallError(
        'ASTRA_TOOL_FAILED',
        `${tool} needs the secret ${name}, which could not be read (${code})`,
        {
          tool,
          secret: name,
          secret_code: code,
        },
      );
    }
  }
  const caller = await callerOf(task.agentId);
  const grants = callGrants({
    manifest,
    agentConfig: caller?.config ?? null,
    payload: task.payload,
    secretValues: values,
  });
  const redactor = createSecretRedactor([
    ...[...values].map(([name, value]) => ({ name, value })),
    ...grants.injected,
  ]);
  const session =
    egress === 'always' || grants.rules.length > 0
      ? await runtime.egress.open({
          identity: { orgId: caller?.orgId ?? '', agentId: task.agentId, taskId: task.id, tool },
          grants: { tool: grants.rules },
        })
      : null;
  return {
    files: [...values].map(([name, value]) => ({ path: `secrets/${name}`, content: value })),
    redactor,
    session,
    close: async () => {
      await session?.close();
    },
  };
}
