import type { JsonValue } from '../../kernel/index.js';
import type { SandboxDriver } from '../../ports/sandbox.js';
import type { CallerOf } from './call-context.js';
import { runInSandbox } from './sandbox-run.js';
import type { ToolRunner } from './tool-call.js';

export { sandboxLimits } from './sandbox-run.js';

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

/** No agent known: the manifest's own grants only. */
const NO_CALLER: CallerOf = async () => null;

/**
 * `js_eval {code}` in QuickJS: `{value, console}`. Like every sandboxed call it gets `fetch` (through
 * the egress proxy) only when its allow-list grants a host, and its manifest's secrets as
 * `astra.files`.
 */
export function sandboxRunners(
  drivers: SandboxDrivers,
  callerOf: CallerOf = NO_CALLER,
): Map<string, ToolRunner> {
  const runners = new Map<string, ToolRunner>();
  const { quickjs } = drivers;
  if (quickjs !== undefined)
    runners.set('js_eval', async (call) => {
      const { outcome, redactor } = await runInSandbox(quickjs, call, callerOf, {
        kind: 'javascript',
        source: JS_EVAL_MODULE,
        input: { code: String(call.input.code) },
      });
      return {
        value: JSON.parse(redactor.redact(JSON.stringify(outcome.value ?? null))) as JsonValue,
        console: redactor.redact(outcome.stdout),
      };
    });
  return runners;
}
