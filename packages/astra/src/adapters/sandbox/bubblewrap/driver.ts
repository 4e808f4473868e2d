/**
 * The bubblewrap sandbox driver: a process (argv + stdin) runs in new user, pid, ipc, uts, network
 * and cgroup namespaces (command.ts), as uid 65534 inside and, when Astra runs as root, as a host uid
 * of its own per concurrent run (`uidBase + slot`), with no capabilities and no new privileges.
 *
 * Limits: wall time by killing the tree (supervise.ts); CPU time by RLIMIT_CPU (whole seconds, per
 * process); memory and process count by a per-run cgroup where one is writable (cgroup.ts), else by
 * RLIMIT_AS and RLIMIT_NPROC; file size by RLIMIT_FSIZE; output by the caps on the pipes.
 *
 * Run: take a slot → make the run dir and cgroup → spawn → classify → kill what is left, remove the
 * cgroup and the run dir → give the slot back. The outcome is decided in this order: a start failure
 * (ASTRA_SANDBOX_FAILED), output overflow, cancellation, a memory or process limit the cgroup (or, without
 * one, the program's own error text) recorded, the deadline, SIGXCPU, an egress refusal followed by a
 * failure, a crash by signal; otherwise success with the exit code.
 */

import { access, constants, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type {
  SandboxAvailability,
  SandboxDriver,
  SandboxLimits,
  SandboxOutcome,
  SandboxRequest,
} from '../../../ports/sandbox.js';
import { RunLifecycle } from '../lifecycle.js';
import { failure, notRun, outputOf, success } from '../outcome.js';
import { resolveRequest, SANDBOX_LIMIT_DEFAULTS } from '../request.js';
import { createRunDir, DEFAULT_SANDBOX_ROOT, type RunDir } from '../run-dir.js';
import { RunSlots } from '../slots.js';
import { copyIn, type WorkspaceCopy, WorkspaceLimitError } from '../workspace-copy.js';
import { type CgroupSupport, createRunCgroup, detectCgroups, type RunCgroup } from './cgroup.js';
import { buildCommand, type HostLayout, readHostLayout, STATUS_FD } from './command.js';
import { type EgressRelay, startEgressRelay } from './egress-relay.js';
import { type SupervisedRun, supervise } from './supervise.js';

export interface BubblewrapDriverOptions {
  readonly bwrapPath?: string;
  /** Host directory holding the per-run directories. */
  readonly rootDir?: string;
  /** Runs at once; more wait for a slot. */
  readonly slots?: number;
  /** When Astra runs as root, run `slot` runs as host uid `uidBase + slot`. */
  readonly uidBase?: number;
  /** RLIMIT_FSIZE: the largest file a program may write. */
  readonly maxFileBytes?: number;
  /** Use per-run cgroups when the host offers them (default true). */
  readonly cgroups?: boolean;
  readonly limits?: Partial<SandboxLimits>;
}

export const BUBBLEWRAP_DRIVER_DEFAULTS = {
  bwrapPath: '/usr/bin/bwrap',
  slots: 16,
  uidBase: 1_879_048_192,
  maxFileBytes: 64 * 1024 * 1024,
} as const;

const TOOLS = { sh: '/bin/sh', prlimit: '/usr/bin/prlimit', setpriv: '/usr/bin/setpriv' } as const;
const EXTRA_READ_ONLY = ['/etc/alternatives', '/etc/ssl/certs', '/etc/ca-certificates'];
/** bwrap's own two processes in the run's uid: the outer monitor and the namespace's init. */
const BWRAP_PROCESSES = 2;
const SIGXCPU_EXIT = 128 + 24;
const NO_MEMORY = /cannot allocate memory|out of memory|memory exhausted|out of space|MemoryError/i;
const NO_FORK = /cannot fork|fork: (retry: )?resource temporarily unavailable|fork failed/i;

interface Host {
  readonly layout: HostLayout;
  readonly cgroups: CgroupSupport;
  readonly root: boolean;
}

async function executable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** Processes the caller's uid has now: RLIMIT_NPROC counts them too when Astra is not root. */
async function processesOfCurrentUser(): Promise<number> {
  const uid = process.getuid?.() ?? 0;
  let count = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = await stat(`/proc/${entry}`).catch(() => undefined);
    if (info?.uid === uid) count++;
  }
  return count;
}

export function createBubblewrapDriver(options: BubblewrapDriverOptions = {}): SandboxDriver {
  const defaults = { ...SANDBOX_LIMIT_DEFAULTS, ...options.limits };
  const bwrap = options.bwrapPath ?? BUBBLEWRAP_DRIVER_DEFAULTS.bwrapPath;
  const rootDir = options.rootDir ?? DEFAULT_SANDBOX_ROOT;
  const uidBase = options.uidBase ?? BUBBLEWRAP_DRIVER_DEFAULTS.uidBase;
  const maxFileBytes = options.maxFileBytes ?? BUBBLEWRAP_DRIVER_DEFAULTS.maxFileBytes;
  const slots = new RunSlots(options.slots ?? BUBBLEWRAP_DRIVER_DEFAULTS.slots);
  let host: Promise<Host> | undefined;
  let availability: Promise<SandboxAvailability> | undefined;

  const getHost = (): Promise<Host> => {
    host ??= (async () => ({
      layout: await readHostLayout(),
      cgroups:
        options.cgroups === false
          ? { ok: false as const, reason: 'per-run cgroups are turned off for this driver' }
          : await detectCgroups(),
      root: process.getuid?.() === 0,
    }))();
    return host;
  };

  async function execute(request: SandboxRequest, signal: AbortSignal | undefined): Promise<SandboxOutcome> {
    const resolved = resolveRequest(request, 'process', defaults);
    const { limits, program, egress } = resolved;
    const ready = await available();
    if (!ready.ok) return notRun('ASTRA_SANDBOX_UNAVAILABLE', limits, ready.reason);
    const { layout, cgroups, root } = await getHost();
    const slot = await slots.acquire(signal);
    if (slot === undefined) {
      const empty = { stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 0 };
      return failure('ASTRA_SANDBOX_CANCELLED', limits, empty);
    }
    const hostUid = root ? uidBase + slot : undefined;
    let cgroup: RunCgroup | undefined;
    let runDir: RunDir | undefined;
    let relay: EgressRelay | undefined;
    let workspace: WorkspaceCopy | undefined;
    try {
      runDir = await createRunDir(rootDir, hostUid);
      if (resolved.workspace !== undefined) workspace = await copyIn(resolved.workspace, runDir.dir, hostUid);
      if (cgroups.ok)
        cgroup = await createRunCgroup(cgroups, path.basename(runDir.dir), {
          memoryBytes: limits.memoryBytes,
          processes: limits.processes + BWRAP_PROCESSES,
        });
      if (egress?.socketPath !== undefined)
        relay = await startEgressRelay(egress.socketPath, path.join(runDir.dir, 'egress.sock'), hostUid);
      const nproc = limits.processes + BWRAP_PROCESSES + (root ? 0 : await processesOfCurrentUser());
      const command = buildCommand({
        tools: { ...TOOLS, bwrap },
        layout,
        extraReadOnly: EXTRA_READ_ONLY,
        limits,
        nproc,
        maxFileBytes,
        addressSpace: cgroup === undefined,
        cgroupProcs: cgroup?.procsFiles ?? [],
        hostUid,
        scratch: runDir.scratch,
        workspace:
          workspace === undefined
            ? undefined
            : { dir: workspace.dir, writable: resolved.workspace?.writable === true },
        files: resolved.files.map((file) => file.path),
        egressSocket: relay?.path,
        env: resolved.env,
        argv: program.argv,
      });
      const run = await supervise({
        ...command,
        stdin: typeof program.stdin === 'string' ? new TextEncoder().encode(program.stdin) : program.stdin,
        files: resolved.files.map((file) => file.content),
        statusFd: STATUS_FD,
        wallTimeMs: limits.wallTimeMs,
        outputBytes: limits.outputBytes,
        signal,
      });
      const usage = (await cgroup?.usage()) ?? { memoryLimitHit: false, processLimitHit: false };
      const outcome = classify(run, usage, limits, egress?.refusals?.() ?? 0);
      // A completed run's changes go back to the host workspace; a stopped one's never do.
      if (!outcome.ok || workspace === undefined || resolved.workspace?.writable !== true) return outcome;
      try {
        return { ...outcome, workspace: await workspace.copyOut() };
      } catch (error) {
        if (!(error instanceof WorkspaceLimitError)) throw error;
        const { stdout, stderr, stdoutTruncated, stderrTruncated, durationMs } = outcome;
        const output = { stdout, stderr, stdoutTruncated, stderrTruncated, durationMs };
        return failure('ASTRA_SANDBOX_WORKSPACE_LIMIT', limits, output, {
          detail: error.message,
          exitCode: outcome.exitCode,
        });
      }
    } catch (error) {
      const empty = { stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 0 };
      if (error instanceof WorkspaceLimitError)
        return failure('ASTRA_SANDBOX_WORKSPACE_LIMIT', limits, empty, { detail: error.message });
      return failure('ASTRA_SANDBOX_FAILED', limits, empty, { detail: (error as Error).message });
    } finally {
      await cgroup?.destroy();
      await relay?.close();
      await runDir?.remove();
      slots.release(slot);
    }
  }

  function available(): Promise<SandboxAvailability> {
    availability ??= (async (): Promise<SandboxAvailability> => {
      if (process.platform !== 'linux') return { ok: false, reason: 'bubblewrap runs only on Linux' };
      if (!(await executable(bwrap))) return { ok: false, reason: `${bwrap} not found (install bubblewrap)` };
      if (!(await executable(TOOLS.prlimit)))
        return { ok: false, reason: `${TOOLS.prlimit} not found (util-linux)` };
      const { cgroups, root } = await getHost();
      if (root && !(await executable(TOOLS.setpriv)))
        return { ok: false, reason: `${TOOLS.setpriv} not found: sandboxes are never run as host root` };
      const probe = await probeRun();
      if (probe !== undefined) return { ok: false, reason: `bwrap cannot create a sandbox here: ${probe}` };
      const notes = [
        cgroups.ok
          ? `memory and process count: per-run cgroup v${cgroups.version}`
          : `memory and process count: rlimits only (${cgroups.reason})`,
        'CPU time: RLIMIT_CPU, whole seconds, per process',
      ];
      if (root) notes.push(`each concurrent run has its own host uid from ${uidBase}`);
      return { ok: true, enforcement: { cpuTime: true, memory: true, processes: true, notes } };
    })();
    return availability;
  }

  /** One tiny run with the real command line: undefined when it worked, else bwrap's complaint. */
  async function probeRun(): Promise<string | undefined> {
    const { layout, root } = await getHost();
    const runDir = await createRunDir(rootDir, root ? uidBase : undefined);
    try {
      const limits = { ...SANDBOX_LIMIT_DEFAULTS, wallTimeMs: 10_000 };
      const command = buildCommand({
        tools: { ...TOOLS, bwrap },
        layout,
        extraReadOnly: [],
        limits,
        nproc: limits.processes + BWRAP_PROCESSES + (root ? 0 : await processesOfCurrentUser()),
        maxFileBytes,
        addressSpace: false,
        cgroupProcs: [],
        hostUid: root ? uidBase : undefined,
        scratch: runDir.scratch,
        files: [],
        egressSocket: undefined,
        env: { PATH: '/usr/bin' },
        argv: ['/usr/bin/true'],
      });
      const run = await supervise({
        ...command,
        stdin: undefined,
        files: [],
        statusFd: STATUS_FD,
        wallTimeMs: 10_000,
        outputBytes: 4096,
        signal: undefined,
      });
      if (run.started && run.exitCode === 0) return undefined;
      return (run.spawnError ?? run.stderr.text().trim().split('\n')[0]) || `exit ${String(run.exitCode)}`;
    } finally {
      await runDir.remove();
    }
  }

  const lifecycle = new RunLifecycle(defaults, execute);
  return {
    kind: 'bubblewrap',
    programKind: 'process',
    available,
    run: lifecycle.run,
    close: () => lifecycle.close(),
  };
}

/**
 * bwrap reports a setup failure (a bind source missing, a namespace refused) as exit 1 with one
 * `bwrap: …` line on stderr, before the program exists; a spawn error means nothing started at all.
 */
function bwrapSetupError(run: SupervisedRun): string | undefined {
  if (run.spawnError !== undefined) return run.spawnError;
  if (run.stopped !== undefined) return undefined;
  const stderr = run.stderr.text().trim();
  if (!run.started) return stderr.split('\n')[0] || 'bwrap did not start the sandbox';
  if (run.exitCode === 1 && stderr.startsWith('bwrap: ') && !stderr.includes('\n')) return stderr;
  return undefined;
}

function classify(
  run: SupervisedRun,
  usage: { readonly memoryLimitHit: boolean; readonly processLimitHit: boolean },
  limits: SandboxLimits,
  refusals: number,
): SandboxOutcome {
  const output = outputOf(run.stdout, run.stderr, run.durationMs);
  const status = {
    ...(run.exitCode === null ? {} : { exitCode: run.exitCode }),
    ...(run.exitSignal === null ? {} : { signal: run.exitSignal }),
  };
  const setupError = bwrapSetupError(run);
  if (setupError !== undefined)
    return failure('ASTRA_SANDBOX_FAILED', limits, output, { detail: setupError });
  if (run.stopped === 'output') return failure('ASTRA_SANDBOX_OUTPUT_LIMIT', limits, output);
  if (run.stopped === 'cancelled') return failure('ASTRA_SANDBOX_CANCELLED', limits, output);
  const failed = run.stopped !== undefined || run.exitCode !== 0;
  const stderr = run.stderr.text();
  if (usage.processLimitHit || (failed && NO_FORK.test(stderr)))
    return failure('ASTRA_SANDBOX_PROCESS_LIMIT', limits, output, status);
  if (failed && (usage.memoryLimitHit || NO_MEMORY.test(stderr)))
    return failure('ASTRA_SANDBOX_MEMORY_LIMIT', limits, output, status);
  if (run.stopped === 'timeout') return failure('ASTRA_SANDBOX_TIMEOUT', limits, output);
  if (run.exitCode === SIGXCPU_EXIT) return failure('ASTRA_SANDBOX_CPU_LIMIT', limits, output, status);
  if (failed && refusals > 0) return failure('ASTRA_SANDBOX_EGRESS_REFUSED', limits, output, status);
  if (run.exitCode !== null && run.exitCode > 128 && run.exitCode < 128 + 65)
    return failure('ASTRA_SANDBOX_PROGRAM_ERROR', limits, output, {
      ...status,
      detail: `It was killed by signal ${run.exitCode - 128}.`,
    });
  return success(output, run.exitCode ?? 1);
}
