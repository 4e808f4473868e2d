import { AstraError } from '../../errors/index.js';
import type { JsonValue } from '../../kernel/index.js';
import type { SandboxDriver } from '../../ports/sandbox.js';
import { textOf, type ValidatorResult, verdict } from './checks.js';
import type { Validator } from './spec.js';

/**
 * The `command` validator: the program `argv` in a process sandbox (the tool runtime's bubblewrap
 * driver: no network, no host files, a fresh scratch directory), given the value checked on its
 * stdin and as the read-only file `$ASTRA_FILES/result.json`. It passes on exit status 0; any other
 * status, or a limit hit (wall time `timeout_ms`, output, memory), fails it with the program's
 * output (the first 2,000 characters of each stream) in the details. No driver on this node, or a
 * driver that cannot run here, is ASTRA_EVALUATION_UNAVAILABLE: the validator did not run.
 */
const KEPT_CHARS = 2_000;

export async function runCommandCheck(
  sandbox: SandboxDriver | undefined,
  validator: Extract<Validator, { kind: 'command' }>,
  value: JsonValue,
  signal: AbortSignal,
): Promise<ValidatorResult> {
  if (sandbox === undefined)
    throw new AstraError(
      'ASTRA_EVALUATION_UNAVAILABLE',
      'this node has no process sandbox for command validators',
    );
  const input = typeof value === 'string' ? value : JSON.stringify(value);
  const outcome = await sandbox.run(
    {
      program: { kind: 'process', argv: validator.argv, stdin: input },
      limits: { wallTimeMs: validator.timeoutMs },
      files: [{ path: 'result.json', content: JSON.stringify(value) }],
    },
    signal,
  );
  const output = {
    stdout: outcome.stdout.slice(0, KEPT_CHARS),
    stderr: outcome.stderr.slice(0, KEPT_CHARS),
  };
  if (!outcome.ok) {
    if (outcome.code === 'ASTRA_SANDBOX_UNAVAILABLE' || outcome.code === 'ASTRA_SANDBOX_FAILED')
      throw new AstraError(
        'ASTRA_EVALUATION_UNAVAILABLE',
        `the command validator could not run: ${outcome.message}`,
      );
    return verdict(validator, false, outcome.message, {
      sandbox_code: outcome.code,
      exit_code: outcome.exitCode ?? null,
      ...output,
    });
  }
  const pass = outcome.exitCode === 0;
  const said = textOf(output.stderr || output.stdout)
    .trim()
    .slice(0, 200);
  return verdict(
    validator,
    pass,
    pass ? 'the command exited 0' : `the command exited ${outcome.exitCode}${said === '' ? '' : `: ${said}`}`,
    { exit_code: outcome.exitCode, ...output },
  );
}
