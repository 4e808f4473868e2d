import type { JsonValue } from '../../kernel/index.js';
import type { SandboxDriver } from '../../ports/sandbox.js';
import type { SecretRedactor } from '../../ports/secret-redactor.js';
import type { CallerOf } from './call-context.js';
import { checkAgainst } from './json-schema.js';
import type { ToolManifest } from './manifest.js';
import { runInSandbox, toolId } from './sandbox-run.js';
import type { ToolCall, ToolRunner } from './tool-call.js';
import type { CodeKind } from './tool-code.js';
import { ToolCallError } from './tool-errors.js';

/**
 * Code tools: registered tools whose code is part of their manifest and runs in the sandbox the
 * manifest names, with only what the manifest grants.
 *
 * - `sandbox: quickjs` with `metadata.code`: an ES module whose default export is called with the
 *   call's input; its (awaited) return value is the result. `globalThis.fetch` exists only when the
 *   call's allow-list grants some host, and goes through the egress proxy; the manifest's secrets are
 *   `astra.files['secrets/<name>']`.
 * - `sandbox: wasi` with `metadata.module`: the URI (`astra://artifacts/<sha256>`) of a stored
 *   `.wasm` module (WASI preview 1). It reads the input as JSON on stdin and writes its result as
 *   JSON on stdout; a non-zero exit status is a failure with its stderr. Secrets are files under
 *   `$ASTRA_FILES/secrets/`; WASI has no network.
 *
 * Either way a result that breaks the manifest's `output_schema` is ASTRA_TOOL_OUTPUT_INVALID with
 * JSON Pointer paths, a sandbox failure (a limit, a throw) ASTRA_TOOL_FAILED with
 * `details.sandbox_code`, and secret values are redacted from everything the call answers. `js_eval`
 * is the built-in code tool whose code is the caller's: its module evaluates `input.code`.
 */
export interface CodeDrivers {
  readonly quickjs?: SandboxDriver;
  readonly wasi?: SandboxDriver;
}

/** Runners of code tools by sandbox kind; a kind whose driver is absent has none. */
export type CodeRunners = Partial<Record<CodeKind, ToolRunner>>;

/** The result, redacted, checked against the manifest's output schema when it has one. */
function checkedOutput(manifest: ToolManifest, value: JsonValue, redactor: SecretRedactor): JsonValue {
  const redacted = JSON.parse(redactor.redact(JSON.stringify(value))) as JsonValue;
  if (manifest.outputSchema === null) return redacted;
  const issues = checkAgainst(manifest.outputSchema, redacted);
  if (issues.length > 0)
    throw new ToolCallError(
      'ASTRA_TOOL_OUTPUT_INVALID',
      `the output of ${toolId(manifest)} does not match its schema: ${issues
        .map((issue) => `${issue.path || '(the output)'} ${issue.message}`)
        .join('; ')}`,
      { tool: toolId(manifest), issues },
    );
  return redacted;
}

function quickJsRunner(driver: SandboxDriver, callerOf: CallerOf): ToolRunner {
  return async (call) => {
    const { outcome, redactor } = await runInSandbox(driver, call, callerOf, {
      kind: 'javascript',
      source: String(call.manifest.metadata.code),
      input: call.input as JsonValue,
    });
    return checkedOutput(call.manifest, (outcome.value ?? null) as JsonValue, redactor);
  };
}

function wasiRunner(driver: SandboxDriver, callerOf: CallerOf): ToolRunner {
  return async (call) => {
    const { manifest } = call;
    const module = await readModule(call, String(manifest.metadata.module));
    const { outcome, redactor } = await runInSandbox(driver, call, callerOf, {
      kind: 'wasm',
      module,
      args: [manifest.name],
      stdin: JSON.stringify(call.input),
    });
    if (outcome.exitCode !== 0)
      throw new ToolCallError(
        'ASTRA_TOOL_FAILED',
        `${manifest.name} exited with status ${outcome.exitCode}: ${redactor.redact(outcome.stderr).slice(0, 500)}`,
        { tool: toolId(manifest), exit_code: outcome.exitCode, stderr: redactor.redact(outcome.stderr) },
      );
    let value: JsonValue;
    try {
      value = JSON.parse(outcome.stdout) as JsonValue;
    } catch {
      throw new ToolCallError('ASTRA_TOOL_OUTPUT_INVALID', `${manifest.name} wrote output that is not JSON`, {
        tool: toolId(manifest),
        stdout: redactor.redact(outcome.stdout).slice(0, 2000),
        stdout_truncated: outcome.stdoutTruncated,
      });
    }
    return checkedOutput(manifest, value, redactor);
  };
}

/** A WASI tool's module from the artifact store; one that is gone makes the tool unavailable. */
async function readModule(call: ToolCall, uri: string): Promise<Uint8Array> {
  try {
    const { body } = await call.runtime.artifacts.get(uri);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return new Uint8Array(Buffer.concat(chunks));
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'ASTRA_ARTIFACTS_UNAVAILABLE';
    throw new ToolCallError(
      'ASTRA_TOOL_UNAVAILABLE',
      `${call.manifest.name}: its module ${uri} could not be read (${code})`,
      { tool: toolId(call.manifest), module: uri, artifact_code: code },
      { retryable: code !== 'ASTRA_ARTIFACT_NOT_FOUND' },
    );
  }
}

export function codeToolRunners(drivers: CodeDrivers, callerOf: CallerOf): CodeRunners {
  return {
    ...(drivers.quickjs === undefined ? {} : { quickjs: quickJsRunner(drivers.quickjs, callerOf) }),
    ...(drivers.wasi === undefined ? {} : { wasi: wasiRunner(drivers.wasi, callerOf) }),
  };
}
