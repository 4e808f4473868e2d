import type { JsonValue } from '../../kernel/index.js';
import type { SandboxDriver, SandboxLimits, SandboxOutcome } from '../../ports/sandbox.js';
import type { ToolManifest } from './manifest.js';
import type { ToolRunner } from './tool-call.js';
import { ToolCallError } from './tool-errors.js';

/**
 * Runners for the built-in tools whose code runs in a sandbox driver (ports/sandbox.ts), given the
 * drivers this node has. A tool whose driver is absent gets no runner, so its calls answer
 * ASTRA_TOOL_UNAVAILABLE. A run that fails in its sandbox (a limit, an error of the program) ends
 * the call with ASTRA_TOOL_FAILED, the sandbox's code in `details.sandbox_code` and its message.
 */
export interface SandboxDrivers {
  readonly quickjs?: SandboxDriver;
}

/** `js_eval`: the code is evaluated as a script; the value of its last expression is the result. */
const JS_EVAL_MODULE = 'export default (input) => (0, eval)(input.code);';

/** A manifest's per-call limits in the sandbox port's terms. */
export function sandboxLimits(manifest: ToolManifest): Partial<SandboxLimits> {
  return {
    wallTimeMs: manifest.limits.wallMs,
    cpuTimeMs: manifest.limits.cpuMs,
    memoryBytes: manifest.limits.memoryMb * 1024 * 1024,
    outputBytes: manifest.limits.outputBytes,
  };
}

function settled(manifest: ToolManifest, outcome: SandboxOutcome): Extract<SandboxOutcome, { ok: true }> {
  if (outcome.ok) return outcome;
  throw new ToolCallError('ASTRA_TOOL_FAILED', `${manifest.name}: ${outcome.message}`, {
    tool: `${manifest.name}@${manifest.version}`,
    sandbox_code: outcome.code,
    stdout: outcome.stdout,
    stderr: outcome.stderr,
  });
}

export function sandboxRunners(drivers: SandboxDrivers): Map<string, ToolRunner> {
  const runners = new Map<string, ToolRunner>();
  const { quickjs } = drivers;
  if (quickjs !== undefined)
    runners.set('js_eval', async ({ input, manifest, signal }) => {
      const outcome = settled(
        manifest,
        await quickjs.run(
          {
            program: { kind: 'javascript', source: JS_EVAL_MODULE, input: { code: String(input.code) } },
            limits: sandboxLimits(manifest),
          },
          signal,
        ),
      );
      return { value: (outcome.value ?? null) as JsonValue, console: outcome.stdout };
    });
  return runners;
}
