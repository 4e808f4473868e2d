/**
 * The Docker sandbox driver, through the Engine API on its Unix socket (engine.ts): one container per
 * run with no network (`NetworkMode: none`), a read-only root file system, every capability dropped,
 * no new privileges, uid 65534, memory (swap included) and pid limits, RLIMIT_CPU and RLIMIT_FSIZE,
 * tmpfs /tmp and /scratch, the run's files bound read-only and the egress socket bound at
 * SANDBOX_EGRESS_SOCKET. Stdin is a read-only file the container's shell redirects, so the image
 * needs /bin/sh. Output is read once the container has ended and cut at the cap.
 *
 * UNTESTED HERE: the machines this project is built on run no Docker engine, so the suites skip this
 * driver (`available()` says why). It is built to the same port and would run both suites unchanged.
 */

import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  SANDBOX_EGRESS_SOCKET,
  SANDBOX_FILES_DIR,
  type SandboxAvailability,
  type SandboxDriver,
  type SandboxLimits,
  type SandboxOutcome,
  type SandboxRequest,
} from '../../../ports/sandbox.js';
import { RunLifecycle } from '../lifecycle.js';
import { failure, notRun, OutputCapture, outputOf, success } from '../outcome.js';
import { resolveRequest, SANDBOX_LIMIT_DEFAULTS } from '../request.js';
import { createRunDir, DEFAULT_SANDBOX_ROOT } from '../run-dir.js';
import { DockerEngine, demultiplex } from './engine.js';

export interface DockerDriverOptions {
  readonly socketPath?: string;
  /** The image programs run in; it must be present already (the driver never pulls). */
  readonly image?: string;
  readonly rootDir?: string;
  readonly limits?: Partial<SandboxLimits>;
}

export const DOCKER_DRIVER_DEFAULTS = {
  socketPath: '/var/run/docker.sock',
  image: 'debian:bookworm-slim',
} as const;

const STDIN_PATH = '/run/astra/stdin';

export function createDockerDriver(options: DockerDriverOptions = {}): SandboxDriver {
  const defaults = { ...SANDBOX_LIMIT_DEFAULTS, ...options.limits };
  const socketPath = options.socketPath ?? DOCKER_DRIVER_DEFAULTS.socketPath;
  const image = options.image ?? DOCKER_DRIVER_DEFAULTS.image;
  const rootDir = options.rootDir ?? DEFAULT_SANDBOX_ROOT;
  const engine = new DockerEngine(socketPath);
  let availability: Promise<SandboxAvailability> | undefined;

  function available(): Promise<SandboxAvailability> {
    availability ??= (async (): Promise<SandboxAvailability> => {
      try {
        await access(socketPath);
      } catch {
        return { ok: false, reason: `no Docker engine socket at ${socketPath} (no engine runs here)` };
      }
      try {
        const ping = await engine.call('GET', '/_ping');
        if (ping.status !== 200)
          return { ok: false, reason: `the Docker engine answered ${ping.status} to /_ping` };
        const found = await engine.call('GET', `/images/${encodeURIComponent(image)}/json`);
        if (found.status !== 200)
          return { ok: false, reason: `the image ${image} is not present (the driver never pulls)` };
      } catch (error) {
        return { ok: false, reason: `the Docker engine does not answer: ${(error as Error).message}` };
      }
      return {
        ok: true,
        enforcement: {
          cpuTime: true,
          memory: true,
          processes: true,
          notes: [
            'memory and processes: the container cgroup; CPU time: RLIMIT_CPU; output is cut after the run',
          ],
        },
      };
    })();
    return availability;
  }

  async function execute(request: SandboxRequest, signal: AbortSignal | undefined): Promise<SandboxOutcome> {
    const resolved = resolveRequest(request, 'process', defaults);
    const { limits, program, egress } = resolved;
    const ready = await available();
    if (!ready.ok) return notRun('ASTRA_SANDBOX_UNAVAILABLE', limits, ready.reason);
    if (resolved.workspace !== undefined)
      return notRun('ASTRA_SANDBOX_UNAVAILABLE', limits, 'The Docker driver does not copy workspaces yet.');
    const runDir = await createRunDir(rootDir);
    const started = performance.now();
    let id: string | undefined;
    try {
      const files = path.join(runDir.dir, 'files');
      await mkdir(files, { mode: 0o755 });
      for (const file of resolved.files) {
        const target = path.join(files, file.path);
        await mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
        await writeFile(target, file.content, { mode: 0o444 });
      }
      const stdinFile = path.join(runDir.dir, 'stdin');
      await writeFile(stdinFile, program.stdin ?? '', { mode: 0o444 });
      const cpuSeconds = Math.ceil(limits.cpuTimeMs / 1000);
      const binds = [`${files}:${SANDBOX_FILES_DIR}:ro`, `${stdinFile}:${STDIN_PATH}:ro`];
      if (egress?.socketPath !== undefined) binds.push(`${egress.socketPath}:${SANDBOX_EGRESS_SOCKET}`);
      const created = await engine.json<{ Id: string }>('POST', '/containers/create', {
        Image: image,
        Entrypoint: ['/bin/sh', '-c', `exec "$@" < ${STDIN_PATH}`, 'astra-sandbox'],
        Cmd: program.argv,
        Env: Object.entries(resolved.env).map(([name, value]) => `${name}=${value}`),
        User: '65534:65534',
        WorkingDir: '/scratch',
        NetworkDisabled: true,
        HostConfig: {
          NetworkMode: 'none',
          ReadonlyRootfs: true,
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
          Memory: limits.memoryBytes,
          MemorySwap: limits.memoryBytes,
          PidsLimit: limits.processes,
          Ulimits: [
            { Name: 'cpu', Soft: cpuSeconds, Hard: cpuSeconds + 1 },
            { Name: 'core', Soft: 0, Hard: 0 },
          ],
          Tmpfs: {
            '/tmp': `rw,nosuid,nodev,size=${limits.memoryBytes}`,
            '/scratch': `rw,nosuid,nodev,size=${limits.memoryBytes},uid=65534,gid=65534,mode=0700`,
          },
          Binds: binds,
        },
      });
      id = created.Id;
      await engine.json('POST', `/containers/${id}/start`);
      const deadline = AbortSignal.timeout(limits.wallTimeMs);
      const waitSignal = signal === undefined ? deadline : AbortSignal.any([deadline, signal]);
      let stopped: 'timeout' | 'cancelled' | undefined;
      try {
        await engine.json('POST', `/containers/${id}/wait`, undefined, waitSignal);
      } catch (error) {
        if (!waitSignal.aborted) throw error;
        stopped = signal?.aborted === true ? 'cancelled' : 'timeout';
        await engine.call('POST', `/containers/${id}/kill`);
      }
      const state = await engine.json<{ State: { ExitCode: number; OOMKilled: boolean } }>(
        'GET',
        `/containers/${id}/json`,
      );
      const logs = demultiplex((await engine.call('GET', `/containers/${id}/logs?stdout=1&stderr=1`)).body);
      const stdout = new OutputCapture(limits.outputBytes);
      const stderr = new OutputCapture(limits.outputBytes);
      const overflow = !stdout.push(logs.stdout) || !stderr.push(logs.stderr);
      const output = outputOf(stdout, stderr, performance.now() - started);
      const exitCode = state.State.ExitCode;
      if (overflow) return failure('ASTRA_SANDBOX_OUTPUT_LIMIT', limits, output);
      if (stopped === 'cancelled') return failure('ASTRA_SANDBOX_CANCELLED', limits, output);
      if (state.State.OOMKilled) return failure('ASTRA_SANDBOX_MEMORY_LIMIT', limits, output, { exitCode });
      if (stopped === 'timeout') return failure('ASTRA_SANDBOX_TIMEOUT', limits, output);
      if (exitCode === 128 + 24) return failure('ASTRA_SANDBOX_CPU_LIMIT', limits, output, { exitCode });
      if (exitCode !== 0 && (egress?.refusals?.() ?? 0) > 0)
        return failure('ASTRA_SANDBOX_EGRESS_REFUSED', limits, output, { exitCode });
      return success(output, exitCode);
    } catch (error) {
      const empty = { stdout: '', stderr: '', stdoutTruncated: false, stderrTruncated: false, durationMs: 0 };
      return failure('ASTRA_SANDBOX_FAILED', limits, empty, { detail: (error as Error).message });
    } finally {
      if (id !== undefined)
        await engine.call('DELETE', `/containers/${id}?force=1&v=1`).catch(() => undefined);
      await runDir.remove();
    }
  }

  const lifecycle = new RunLifecycle(defaults, execute);
  return {
    kind: 'docker',
    programKind: 'process',
    available,
    run: lifecycle.run,
    close: () => lifecycle.close(),
  };
}
