/**
 * The escape suite: every way out a hostile program might try, run against every driver present.
 * Zero escapes are allowed: each attempt must be contained (the host shows no trace of it: no
 * connection at a host listener, no file written, no secret or host variable in the output, no
 * process left) AND end in the structured outcome that names it. Attempts a driver cannot even
 * express (a QuickJS program has no processes) are skipped with the kit's reason.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SANDBOX_FILES_DIR,
  SANDBOX_SCRATCH_DIR,
  type SandboxAvailability,
  type SandboxDriver,
  type SandboxEgress,
  type SandboxOutcome,
  type SandboxRequest,
} from '../../src/ports/sandbox.js';
import { expectFailure, expectRefused } from './conformance.suite.js';
import {
  type HostPeer,
  processesWith,
  refusingFetchEgress,
  refusingSocketEgress,
  tcpPeer,
  udpPeer,
} from './host-probes.js';
import type { SandboxKit } from './kit.js';

const LIMITS = { wallTimeMs: 20_000, cpuTimeMs: 15_000 } as const;
const THIS_FILE = fileURLToPath(import.meta.url);

/** Nothing the attempt was after shows up anywhere in what the run returned. */
function expectNoTrace(outcome: SandboxOutcome, ...secrets: string[]): void {
  const seen = `${outcome.stdout}\n${outcome.stderr}\n${outcome.ok ? JSON.stringify(outcome.value ?? null) : outcome.message}`;
  for (const secret of secrets) expect(seen, `leaked ${secret}`).not.toContain(secret);
}

export function describeSandboxEscapes(
  kit: SandboxKit,
  driver: SandboxDriver,
  state: SandboxAvailability,
): void {
  const title = state.ok
    ? `sandbox escapes: ${kit.name}`
    : `sandbox escapes: ${kit.name} (skipped: ${state.reason})`;
  describe.skipIf(!state.ok)(title, () => {
    const run = (request: SandboxRequest) =>
      driver.run({ ...request, limits: { ...LIMITS, ...request.limits } });
    const reason = (check: keyof SandboxKit) =>
      kit[check] === undefined ? ` (skipped: ${kit.omitted[check] ?? 'the kit has no such program'})` : '';
    let tcp: HostPeer;
    let udp: HostPeer;

    beforeAll(async () => {
      tcp = await tcpPeer();
      udp = await udpPeer();
    });
    afterAll(async () => {
      await tcp.close();
      await udp.close();
      await driver.close();
    });

    describe('network', () => {
      const attempts = [
        [
          'a host listener by IP over TCP',
          () => ({ protocol: 'tcp', host: '127.0.0.1', port: tcp.port }) as const,
        ],
        [
          'a host listener by name over TCP',
          () => ({ protocol: 'tcp', host: 'localhost', port: tcp.port }) as const,
        ],
        [
          'a host responder over UDP',
          () => ({ protocol: 'udp', host: '127.0.0.1', port: udp.port }) as const,
        ],
        ['a raw socket', () => ({ protocol: 'raw', host: '127.0.0.1', port: 0 }) as const],
      ] as const;
      for (const [label, target] of attempts) {
        it.skipIf(kit.connect === undefined)(`cannot reach ${label}`, async () => {
          const connect = kit.connect;
          if (connect === undefined) return;
          const before = tcp.hits() + udp.hits();
          const outcome = await run({ program: connect(target()) });
          expect(tcp.hits() + udp.hits()).toBe(before);
          expect(outcome.stdout).not.toContain('CONNECTED');
          if (driver.programKind === 'javascript') {
            // No network primitive exists without a grant: the attempt is a ReferenceError.
            expectFailure(outcome, 'ASTRA_SANDBOX_PROGRAM_ERROR');
            expect(outcome.ok ? '' : outcome.message).toMatch(/fetch.*not defined/);
          } else expectRefused(outcome);
        });
      }

      it.skipIf(kit.egressRequest === undefined)(
        'a host the egress refuses ends in ASTRA_SANDBOX_EGRESS_REFUSED',
        async () => {
          const request = kit.egressRequest;
          if (request === undefined) return;
          let egress: SandboxEgress & { close?: () => Promise<void> };
          let dir: string | undefined;
          if (driver.programKind === 'javascript') egress = refusingFetchEgress();
          else {
            dir = await mkdtemp(path.join(os.tmpdir(), 'astra-egress-'));
            egress = await refusingSocketEgress(path.join(dir, 'egress.sock'));
          }
          try {
            const outcome = await run({ program: request('http://not-allowed.example/secret'), egress });
            expectFailure(outcome, 'ASTRA_SANDBOX_EGRESS_REFUSED');
            expect(egress.refusals?.()).toBe(1);
          } finally {
            await egress.close?.();
            if (dir !== undefined) await rm(dir, { recursive: true, force: true });
          }
        },
      );
    });

    describe('the host', () => {
      it('cannot read the host files: /etc/shadow, the repository, /proc/1/environ', async () => {
        for (const file of ['/etc/shadow', THIS_FILE, '/proc/1/environ', '/proc/self/root/etc/shadow']) {
          const outcome = await run({ program: kit.readFile(file) });
          if (file === '/proc/1/environ' && outcome.ok && outcome.exitCode === 0) {
            // The sandbox's own pid 1 (its namespace's init), started with an empty environment.
            expect(outcome.stdout.trim()).toBe('');
            continue;
          }
          expectRefused(outcome);
          expectNoTrace(outcome, 'describeSandboxEscapes', 'root:');
        }
      });

      it('cannot see the host environment', async () => {
        const canary = `canary-${Math.random().toString(36).slice(2)}`;
        process.env.ASTRA_SANDBOX_ESCAPE_CANARY = canary;
        try {
          const outcome = await run({ program: kit.printEnv() });
          expect(outcome.ok).toBe(true);
          expectNoTrace(outcome, canary, 'ASTRA_SANDBOX_ESCAPE_CANARY', process.cwd());
        } finally {
          delete process.env.ASTRA_SANDBOX_ESCAPE_CANARY;
        }
      });

      it.skipIf(kit.writeFile === undefined)(
        `cannot write outside scratch${reason('writeFile')}`,
        async () => {
          const write = kit.writeFile;
          if (write === undefined) return;
          const hostTarget = path.join(path.dirname(THIS_FILE), `escape-${process.pid}-${Date.now()}`);
          for (const target of [
            '/usr/escape',
            '/escape',
            '/etc/escape',
            '/proc/escape',
            hostTarget,
            `${SANDBOX_FILES_DIR}/escape`,
          ]) {
            const outcome = await run({ program: write(target, 'escaped') });
            expectRefused(outcome);
            expect(outcome.stdout).not.toContain('written');
          }
          expect(existsSync(hostTarget)).toBe(false);
          expect(existsSync('/usr/escape')).toBe(false);
          expect(existsSync('/escape')).toBe(false);
          const allowed = await run({ program: write(`${SANDBOX_SCRATCH_DIR}/fine`, 'ok') });
          expect(allowed.stdout).toContain('written');
          // /tmp is the run's own small tmpfs: writable, and gone with the run, never the host's /tmp.
          const hostTmp = path.join(os.tmpdir(), `astra-escape-${process.pid}-${Date.now()}`);
          await run({ program: write(hostTmp, 'private') });
          expect(existsSync(hostTmp)).toBe(false);
        },
      );
    });

    describe('resource exhaustion', () => {
      it.skipIf(kit.forkBomb === undefined || !(state.ok && state.enforcement.processes))(
        `a fork bomb ends in ASTRA_SANDBOX_PROCESS_LIMIT${reason('forkBomb')}`,
        async () => {
          const bomb = kit.forkBomb;
          if (bomb === undefined) return;
          const outcome = await run({ program: bomb(), limits: { processes: 16, wallTimeMs: 10_000 } });
          expectFailure(outcome, 'ASTRA_SANDBOX_PROCESS_LIMIT');
        },
      );

      it.skipIf(!(state.ok && state.enforcement.memory))(
        'a memory bomb ends in ASTRA_SANDBOX_MEMORY_LIMIT',
        async () => {
          const outcome = await run({ program: kit.memoryBomb(), limits: { memoryBytes: 16 * 1024 * 1024 } });
          expectFailure(outcome, 'ASTRA_SANDBOX_MEMORY_LIMIT');
        },
      );

      it('an infinite loop ends in ASTRA_SANDBOX_CPU_LIMIT, or ASTRA_SANDBOX_TIMEOUT where the wall comes first', async () => {
        const cpuEnforced = state.ok && state.enforcement.cpuTime;
        const byCpu = await run({
          program: kit.spin(),
          limits: { cpuTimeMs: 1000, wallTimeMs: cpuEnforced ? 30_000 : 1000 },
        });
        expectFailure(byCpu, cpuEnforced ? 'ASTRA_SANDBOX_CPU_LIMIT' : 'ASTRA_SANDBOX_TIMEOUT');
        const byWall = await run({ program: kit.spin(), limits: { cpuTimeMs: 60_000, wallTimeMs: 300 } });
        expectFailure(byWall, 'ASTRA_SANDBOX_TIMEOUT');
      });

      it('an output flood ends in ASTRA_SANDBOX_OUTPUT_LIMIT with the output capped', async () => {
        const outcome = await run({ program: kit.flood(), limits: { outputBytes: 64 * 1024 } });
        expectFailure(outcome, 'ASTRA_SANDBOX_OUTPUT_LIMIT');
        expect(Buffer.byteLength(outcome.stdout)).toBeLessThanOrEqual(64 * 1024);
      });
    });

    describe('other runs', () => {
      it("cannot read a concurrent run's secret files", async () => {
        const secret = `secret-${Math.random().toString(36).slice(2)}`;
        const holder = run({
          program: kit.block(),
          files: [{ path: 'api-token', content: secret }],
          limits: { wallTimeMs: 1500, cpuTimeMs: 60_000 },
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
        const dirs = ['/run', '/tmp', '/scratch', '/dev/shm', '/var'];
        const snoop = await run({
          program: kit.listFiles(dirs),
          files: [{ path: 'own', content: 'own-file' }],
        });
        expect(snoop.stdout).toContain('own-file');
        expectNoTrace(snoop, secret);
        expectFailure(await holder, 'ASTRA_SANDBOX_TIMEOUT');
      });
    });

    describe('processes', () => {
      for (const mode of ['block', 'exit'] as const) {
        it.skipIf(kit.leaveProcesses === undefined)(
          `leaves no process behind once the run ends, ${mode === 'block' ? 'at the deadline' : 'after the program exits'}${reason('leaveProcesses')}`,
          async () => {
            const leave = kit.leaveProcesses;
            if (leave === undefined) return;
            const marker = `${3000 + Math.floor(Math.random() * 500)}.${Date.now() % 1_000_000}`;
            const outcome = await run({ program: leave(marker, mode), limits: { wallTimeMs: 1000 } });
            if (mode === 'block') expectFailure(outcome, 'ASTRA_SANDBOX_TIMEOUT');
            expect(await processesWith(marker)).toEqual([]);
          },
        );
      }
    });
  });
}
