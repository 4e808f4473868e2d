import type { SandboxDriver, SandboxOutcome } from '../../ports/sandbox.js';
import { type CallerOf, openCallContext } from './call-context.js';
import { sandboxLimits } from './sandbox-runners.js';
import type { ToolRunner } from './tool-call.js';
import { ToolCallError } from './tool-errors.js';

/**
 * `shell_exec {command}` in the bubblewrap sandbox: `/bin/sh -c <command>` with the goal's workspace
 * as its working directory (`/workspace`, a copy the driver applies back after a completed run:
 * read-write for a manifest with `filesystem: workspace`, read-only with `workspace_read`, absent
 * with `none`), `/scratch` and `/tmp` for anything else, the manifest's secrets as read-only files
 * under `$ASTRA_FILES/secrets/`, and network only through the egress proxy's socket
 * (`$ASTRA_EGRESS_SOCKET`) when the call's allow-list grants some host.
 *
 * The result is `{stdout, stderr, exit_code, stdout_truncated, stderr_truncated, workspace}`: a
 * non-zero exit status is a result the model reads, not a failure. A limit (wall time, CPU, memory,
 * processes, output, workspace size) or a sandbox failure is ASTRA_TOOL_FAILED with
 * `details.sandbox_code`. Secret values are redacted from everything it answers.
 */
export function shellExecRunner(driver: SandboxDriver, callerOf: CallerOf): ToolRunner {
  return async (call) => {
    const { input, manifest, signal } = call;
    const context = await openCallContext(call, callerOf, 'granted');
    let outcome: SandboxOutcome;
    try {
      const scope = manifest.filesystem;
      const workspace = scope === 'none' ? undefined : await call.workspace();
      outcome = await driver.run(
        {
          program: { kind: 'process', argv: ['/bin/sh', '-c', String(input.command)] },
          limits: sandboxLimits(manifest),
          files: context.files,
          ...(context.session === null
            ? {}
            : {
                egress: {
                  socketPath: context.session.socketPath,
                  refusals: () => context.session?.refusals() ?? 0,
                },
              }),
          ...(workspace === undefined
            ? {}
            : { workspace: { dir: workspace.dir, writable: scope === 'workspace' } }),
        },
        signal,
      );
    } finally {
      await context.close();
    }
    const { redactor } = context;
    // Stopped by the task's own signal (its timeout, a cancellation, a drain): the kernel decides.
    if (!outcome.ok && outcome.code === 'ASTRA_SANDBOX_CANCELLED' && signal.aborted) throw signal.reason;
    if (!outcome.ok)
      throw new ToolCallError('ASTRA_TOOL_FAILED', `${manifest.name}: ${redactor.redact(outcome.message)}`, {
        tool: `${manifest.name}@${manifest.version}`,
        sandbox_code: outcome.code,
        ...(outcome.exitCode === undefined ? {} : { exit_code: outcome.exitCode }),
        stdout: redactor.redact(outcome.stdout),
        stderr: redactor.redact(outcome.stderr),
      });
    return {
      stdout: redactor.redact(outcome.stdout),
      stderr: redactor.redact(outcome.stderr),
      exit_code: outcome.exitCode,
      stdout_truncated: outcome.stdoutTruncated,
      stderr_truncated: outcome.stderrTruncated,
      ...(outcome.workspace === undefined
        ? {}
        : {
            workspace: {
              written: outcome.workspace.written.map((file) => redactor.redact(file)),
              removed: outcome.workspace.removed.map((file) => redactor.redact(file)),
            },
          }),
    };
  };
}
