/**
 * The sandbox port's conformance suite, run against every driver present (one file per driver calls
 * it with the driver's kit). A driver that is not available here is skipped with its reason in the
 * suite's name. No check asserts a duration: limits are small so runs end fast, and each check
 * looks only at the structured outcome.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAstraError } from '../../src/errors/index.js';
import {
  SANDBOX_FILES_DIR,
  SANDBOX_SCRATCH_DIR,
  type SandboxAvailability,
  type SandboxDriver,
  type SandboxOutcome,
  type SandboxRequest,
} from '../../src/ports/sandbox.js';
import type { SandboxKit } from './kit.js';

const FAST = { wallTimeMs: 15_000, cpuTimeMs: 10_000 } as const;

export function expectSuccess(
  outcome: SandboxOutcome,
): asserts outcome is Extract<SandboxOutcome, { ok: true }> {
  expect(outcome, JSON.stringify(outcome).slice(0, 2000)).toMatchObject({ ok: true });
}

export function expectFailure(outcome: SandboxOutcome, code: string): void {
  expect(outcome.ok ? 'ok' : outcome.code, JSON.stringify(outcome).slice(0, 2000)).toBe(code);
  if (!outcome.ok) expect(outcome.message.length).toBeGreaterThan(10);
}

/** Succeeded with exit status 0. */
function expectClean(outcome: SandboxOutcome): void {
  expectSuccess(outcome);
  expect(outcome.exitCode).toBe(0);
}

/** The program could not do what it tried: it failed, or the run ended in a structured failure. */
export function expectRefused(outcome: SandboxOutcome): void {
  const refused = outcome.ok ? outcome.exitCode !== 0 : true;
  expect(refused, JSON.stringify(outcome).slice(0, 2000)).toBe(true);
}

export async function availability(
  kit: SandboxKit,
): Promise<{ driver: SandboxDriver; state: SandboxAvailability }> {
  const driver = await kit.create();
  return { driver, state: await driver.available() };
}

export function describeSandboxConformance(
  kit: SandboxKit,
  driver: SandboxDriver,
  state: SandboxAvailability,
): void {
  const title = state.ok
    ? `sandbox conformance: ${kit.name}`
    : `sandbox conformance: ${kit.name} (skipped: ${state.reason})`;
  describe.skipIf(!state.ok)(title, () => {
    const run = (request: SandboxRequest, signal?: AbortSignal) =>
      driver.run({ ...request, limits: { ...FAST, ...request.limits } }, signal);
    const omitted = (check: keyof SandboxKit) =>
      kit[check] === undefined ? ` (skipped: ${kit.omitted[check] ?? 'the kit has no such program'})` : '';

    afterAll(() => driver.close());

    it('runs a program and reports its output, exit status and duration', async () => {
      const outcome = await run({ program: kit.print('hello from the sandbox') });
      expectClean(outcome);
      expect(outcome.stdout).toContain('hello from the sandbox');
      expect(outcome.stdoutTruncated).toBe(false);
      expect(outcome.stderrTruncated).toBe(false);
      expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
      if (outcome.ok && driver.programKind === 'javascript')
        expect(outcome.value).toBe('hello from the sandbox');
    });

    it('passes the input (stdin, or the JavaScript input) to the program', async () => {
      const outcome = await run({ program: kit.echoInput('an input line') });
      expectClean(outcome);
      expect(outcome.stdout).toContain('an input line');
    });

    it('reports a failing program: a non-zero exit status, or ASTRA_SANDBOX_PROGRAM_ERROR for a throw', async () => {
      const outcome = await run({ program: kit.fail(3) });
      if (driver.programKind === 'javascript') {
        expectFailure(outcome, 'ASTRA_SANDBOX_PROGRAM_ERROR');
        expect(outcome.ok ? '' : outcome.message).toContain('exit 3');
      } else {
        expectSuccess(outcome);
        expect(outcome.exitCode).toBe(3);
      }
    });

    it('gives the program the request environment and nothing of the host process', async () => {
      process.env.ASTRA_SANDBOX_CONFORMANCE_CANARY = 'host-only-value';
      try {
        const outcome = await run({ program: kit.printEnv(), env: { TOOL_SETTING: 'given-value' } });
        expectSuccess(outcome);
        expect(outcome.stdout).toContain('TOOL_SETTING=given-value');
        expect(outcome.stdout).not.toContain('host-only-value');
        expect(outcome.stdout).not.toContain('ASTRA_SANDBOX_CONFORMANCE_CANARY');
      } finally {
        delete process.env.ASTRA_SANDBOX_CONFORMANCE_CANARY;
      }
    });

    it('places the request files read-only under the files directory', async () => {
      const files = [
        { path: 'token', content: 'file-content-1' },
        { path: 'nested/dir/config.json', content: '{"k":2}' },
      ];
      const first = await run({ program: kit.readFile(`${SANDBOX_FILES_DIR}/token`), files });
      expectClean(first);
      expect(first.stdout).toContain('file-content-1');
      const nested = await run({
        program: kit.readFile(`${SANDBOX_FILES_DIR}/nested/dir/config.json`),
        files,
      });
      expectClean(nested);
      expect(nested.stdout).toContain('{"k":2}');
      if (kit.writeFile !== undefined) {
        const write = await run({ program: kit.writeFile(`${SANDBOX_FILES_DIR}/token`, 'changed'), files });
        expectRefused(write);
        const again = await run({ program: kit.readFile(`${SANDBOX_FILES_DIR}/token`), files });
        expect(again.stdout).toContain('file-content-1');
      }
    });

    it.skipIf(kit.writeFile === undefined)(
      `gives each run a fresh, writable scratch directory${omitted('writeFile')}`,
      async () => {
        const write = kit.writeFile;
        if (write === undefined) return;
        const wrote = await run({ program: write(`${SANDBOX_SCRATCH_DIR}/note.txt`, 'scratch-content') });
        expectClean(wrote);
        expect(wrote.stdout).toContain('written');
        const later = await run({ program: kit.listFiles([SANDBOX_SCRATCH_DIR]) });
        expectSuccess(later);
        expect(later.stdout).not.toContain('scratch-content');
      },
    );

    it('stops a program past its wall-time limit with ASTRA_SANDBOX_TIMEOUT', async () => {
      const outcome = await run({ program: kit.block(), limits: { wallTimeMs: 300, cpuTimeMs: 60_000 } });
      expectFailure(outcome, 'ASTRA_SANDBOX_TIMEOUT');
    });

    it('stops a program past its output limit with ASTRA_SANDBOX_OUTPUT_LIMIT, keeping output up to the cap', async () => {
      const outcome = await run({ program: kit.flood(), limits: { outputBytes: 4096 } });
      expectFailure(outcome, 'ASTRA_SANDBOX_OUTPUT_LIMIT');
      expect(Buffer.byteLength(outcome.stdout)).toBeLessThanOrEqual(4096);
      expect(Buffer.byteLength(outcome.stdout)).toBeGreaterThan(0);
      if (!outcome.ok) expect(outcome.stdoutTruncated || driver.programKind === 'javascript').toBe(true);
    });

    it.skipIf(!(state.ok && state.enforcement.cpuTime))(
      'stops a program past its CPU-time limit with ASTRA_SANDBOX_CPU_LIMIT',
      async () => {
        const outcome = await run({ program: kit.spin(), limits: { cpuTimeMs: 1000, wallTimeMs: 30_000 } });
        expectFailure(outcome, 'ASTRA_SANDBOX_CPU_LIMIT');
      },
    );

    it.skipIf(!(state.ok && state.enforcement.memory))(
      'stops a program past its memory limit with ASTRA_SANDBOX_MEMORY_LIMIT',
      async () => {
        const outcome = await run({ program: kit.memoryBomb(), limits: { memoryBytes: 16 * 1024 * 1024 } });
        expectFailure(outcome, 'ASTRA_SANDBOX_MEMORY_LIMIT');
      },
    );

    it('resolves ASTRA_SANDBOX_CANCELLED when the signal aborts the run', async () => {
      const controller = new AbortController();
      const outcome = run(
        { program: kit.block(), limits: { wallTimeMs: 30_000, cpuTimeMs: 60_000 } },
        controller.signal,
      );
      setTimeout(() => controller.abort(), 100);
      expectFailure(await outcome, 'ASTRA_SANDBOX_CANCELLED');
      const before = new AbortController();
      before.abort();
      expectFailure(await run({ program: kit.print('never') }, before.signal), 'ASTRA_SANDBOX_CANCELLED');
    });

    it('runs concurrent programs apart, each with its own files', async () => {
      const outcomes = await Promise.all(
        [1, 2, 3, 4].map((n) =>
          run({
            program: kit.readFile(`${SANDBOX_FILES_DIR}/mine`),
            files: [{ path: 'mine', content: `run-${n}` }],
          }),
        ),
      );
      outcomes.forEach((outcome, index) => {
        expectClean(outcome);
        expect(outcome.stdout).toContain(`run-${index + 1}`);
      });
    });

    it('throws ASTRA_SANDBOX_INVALID_REQUEST for a malformed request, before running anything', async () => {
      const other =
        driver.programKind === 'javascript'
          ? { kind: 'process' as const, argv: ['/bin/true'] }
          : { kind: 'javascript' as const, source: 'export default () => 1' };
      const bad: SandboxRequest[] = [
        { program: other },
        { program: kit.print('x'), limits: { wallTimeMs: 0 } },
        { program: kit.print('x'), limits: { memoryBytes: 1.5 } },
        { program: kit.print('x'), files: [{ path: '../escape', content: 'x' }] },
        { program: kit.print('x'), files: [{ path: '/etc/passwd', content: 'x' }] },
        { program: kit.print('x'), env: { HOME: '/root' } },
        { program: kit.print('x'), env: { 'BAD NAME': 'x' } },
      ];
      for (const request of bad) {
        const caught = await driver.run(request).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(isAstraError(caught, 'ASTRA_SANDBOX_INVALID_REQUEST'), JSON.stringify(request)).toBe(true);
      }
    });

    describe('after close', () => {
      let closing: SandboxDriver;
      beforeAll(async () => {
        closing = await kit.create();
        await closing.close();
      });

      it('resolves ASTRA_SANDBOX_UNAVAILABLE', async () => {
        expectFailure(await closing.run({ program: kit.print('x') }), 'ASTRA_SANDBOX_UNAVAILABLE');
      });
    });
  });
}
