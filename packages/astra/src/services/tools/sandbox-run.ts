import type {
  SandboxDriver,
  SandboxLimits,
  SandboxOutcome,
  SandboxProgram,
  SandboxWorkspace,
} from '../../ports/sandbox.js';
import { sandboxEgressOf } from '../../ports/sandbox-egress.js';
import type { SecretRedactor } from '../../ports/secret-redactor.js';
import { type CallerOf, openCallContext } from './call-context.js';
import type { ToolManifest } from './manifest.js';
import type { ToolCall } from './tool-call.js';
import { ToolCallError } from './tool-errors.js';

/** A manifest's per-call limits in the sandbox port's terms. */
export function sandboxLimits(manifest: ToolManifest): Partial<SandboxLimits> {
  return {
    wallTimeMs: manifest.limits.wallMs,
    cpuTimeMs: manifest.limits.cpuMs,
    memoryBytes: manifest.limits.memoryMb * 1024 * 1024,
    outputBytes: manifest.limits.outputBytes,
  };
}

export const toolId = (manifest: ToolManifest): string => `${manifest.name}@${manifest.version}`;

/**
 * Runs one program of a call in its sandbox, in the call's context (call-context.ts): the
 * manifest's secrets as read-only files, the egress proxy only when the call's allow-list grants
 * some host (`fetch` for JavaScript, the socket for a process, nothing for WASI), and the goal's
 * workspace when given (process drivers). A sandbox failure
 * is ASTRA_TOOL_FAILED with `details.sandbox_code` and the output redacted, a driver that cannot run
 * here ASTRA_TOOL_UNAVAILABLE (retryable); a run stopped by the task's own signal rethrows it for
 * the kernel.
 */
export async function runInSandbox(
  driver: SandboxDriver,
  call: ToolCall,
  callerOf: CallerOf,
  program: SandboxProgram,
  workspace?: SandboxWorkspace,
): Promise<{ outcome: Extract<SandboxOutcome, { ok: true }>; redactor: SecretRedactor }> {
  const { manifest, signal } = call;
  const context = await openCallContext(call, callerOf, 'granted');
  let outcome: SandboxOutcome;
  try {
    outcome = await driver.run(
      {
        program,
        limits: sandboxLimits(manifest),
        files: context.files,
        ...(context.session === null ? {} : { egress: sandboxEgressOf(context.session, program.kind) }),
        ...(workspace === undefined ? {} : { workspace }),
      },
      signal,
    );
  } finally {
    await context.close();
  }
  const { redactor } = context;
  // Stopped by the task's own signal (its timeout, a cancellation, a drain): the kernel decides.
  if (!outcome.ok && outcome.code === 'ASTRA_SANDBOX_CANCELLED' && signal.aborted) throw signal.reason;
  // The driver cannot run here (bubblewrap missing, say): as for a tool with no runner, another
  // node, or this one later, may run it.
  if (!outcome.ok && outcome.code === 'ASTRA_SANDBOX_UNAVAILABLE')
    throw new ToolCallError(
      'ASTRA_TOOL_UNAVAILABLE',
      `${manifest.name}: ${outcome.message}`,
      { tool: toolId(manifest), sandbox: manifest.sandbox, reason: outcome.message },
      { retryable: true },
    );
  if (!outcome.ok)
    throw new ToolCallError('ASTRA_TOOL_FAILED', `${manifest.name}: ${redactor.redact(outcome.message)}`, {
      tool: toolId(manifest),
      sandbox_code: outcome.code,
      ...(outcome.exitCode === undefined ? {} : { exit_code: outcome.exitCode }),
      stdout: redactor.redact(outcome.stdout),
      stderr: redactor.redact(outcome.stderr),
    });
  return { outcome, redactor };
}
