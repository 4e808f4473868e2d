/**
 * Building sandbox outcomes: bounded output capture and the one place failure messages are worded,
 * so every driver tells a model the same thing for the same limit.
 */
import type {
  SandboxFailure,
  SandboxFailureCode,
  SandboxLimits,
  SandboxOutput,
  SandboxSuccess,
} from '../../ports/sandbox.js';

/** Keeps at most `maxBytes` of a stream; `push` answers false once something had to be dropped. */
export class OutputCapture {
  private readonly chunks: Uint8Array[] = [];
  private bytes = 0;
  truncated = false;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Uint8Array): boolean {
    const room = this.maxBytes - this.bytes;
    if (chunk.byteLength > room) {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.bytes = this.maxBytes;
      this.truncated = true;
      return false;
    }
    this.chunks.push(chunk);
    this.bytes += chunk.byteLength;
    return true;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export function outputOf(stdout: OutputCapture, stderr: OutputCapture, durationMs: number): SandboxOutput {
  return {
    stdout: stdout.text(),
    stderr: stderr.text(),
    stdoutTruncated: stdout.truncated,
    stderrTruncated: stderr.truncated,
    durationMs: Math.round(durationMs),
  };
}

/** What a model reads for each failure: the limit it hit and what it can change. */
export function explain(code: SandboxFailureCode, limits: SandboxLimits, detail?: string): string {
  const tail = detail === undefined || detail === '' ? '' : ` ${detail}`;
  switch (code) {
    case 'ASTRA_SANDBOX_TIMEOUT':
      return `The program ran longer than its wall-time limit of ${limits.wallTimeMs} ms and was stopped; make it finish sooner or split the work.${tail}`;
    case 'ASTRA_SANDBOX_CPU_LIMIT':
      return `The program used more than its CPU-time limit of ${limits.cpuTimeMs} ms and was stopped; look for an endless or too costly loop.${tail}`;
    case 'ASTRA_SANDBOX_MEMORY_LIMIT':
      return `The program needed more than its memory limit of ${limits.memoryBytes} bytes and was stopped; process the data in smaller pieces.${tail}`;
    case 'ASTRA_SANDBOX_OUTPUT_LIMIT':
      return `The program wrote more than ${limits.outputBytes} bytes to one output stream and was stopped; the output is kept up to that limit. Write less, or write large results to a file in /scratch.${tail}`;
    case 'ASTRA_SANDBOX_PROCESS_LIMIT':
      return `The program tried to run more than ${limits.processes} processes at once and was stopped; do not start processes in a loop.${tail}`;
    case 'ASTRA_SANDBOX_WORKSPACE_LIMIT':
      return `The workspace is larger than the sandbox copies (in, or written back), so nothing was copied back; keep large or many files out of the workspace.${tail}`;
    case 'ASTRA_SANDBOX_EGRESS_REFUSED':
      return `The program failed after the egress proxy refused a connection: this tool may reach only the hosts its manifest allows.${tail}`;
    case 'ASTRA_SANDBOX_PROGRAM_ERROR':
      return `The program failed.${tail}`;
    case 'ASTRA_SANDBOX_CANCELLED':
      return `The run was cancelled before the program finished.${tail}`;
    case 'ASTRA_SANDBOX_UNAVAILABLE':
      return `This sandbox cannot run programs here.${tail}`;
    case 'ASTRA_SANDBOX_FAILED':
      return `The sandbox itself failed to run the program; this is not the program's fault.${tail}`;
  }
}

export function failure(
  code: SandboxFailureCode,
  limits: SandboxLimits,
  output: SandboxOutput,
  extra: { readonly detail?: string; readonly exitCode?: number; readonly signal?: string } = {},
): SandboxFailure {
  const { detail, ...status } = extra;
  return { ok: false, code, message: explain(code, limits, detail), ...output, ...status };
}

export function success(
  output: SandboxOutput,
  exitCode: number,
  value?: SandboxSuccess['value'],
): SandboxSuccess {
  return value === undefined ? { ok: true, exitCode, ...output } : { ok: true, exitCode, value, ...output };
}

/** An outcome for a run that never started (a closed or unavailable driver). */
export function notRun(
  code: 'ASTRA_SANDBOX_UNAVAILABLE',
  limits: SandboxLimits,
  detail: string,
): SandboxFailure {
  const empty = { stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 0 };
  return failure(code, limits, empty, { detail });
}
