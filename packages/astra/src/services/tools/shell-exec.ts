import type { SandboxDriver } from '../../ports/sandbox.js';
import type { CallerOf } from './call-context.js';
import { runInSandbox } from './sandbox-run.js';
import type { ToolRunner } from './tool-call.js';

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
    const scope = call.manifest.filesystem;
    const workspace = scope === 'none' ? undefined : await call.workspace();
    const { outcome, redactor } = await runInSandbox(
      driver,
      call,
      callerOf,
      { kind: 'process', argv: ['/bin/sh', '-c', String(call.input.command)] },
      workspace === undefined ? undefined : { dir: workspace.dir, writable: scope === 'workspace' },
    );
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
