/**
 * Per-run cgroups for process sandboxes: memory and process-count limits that hold for the whole
 * process tree, a record of whether a limit was hit, and a kill that reaches every process.
 *
 * Detection (once per driver): cgroup v2 where the unified hierarchy offers the `memory` and `pids`
 * controllers under a directory we may create (`<mount>/astra-sandbox`, controllers enabled in its
 * `cgroup.subtree_control`); otherwise cgroup v1 where the `memory` and `pids` hierarchies are
 * mounted and writable. Neither: no cgroup, with the reason, and the driver falls back to rlimits.
 * A run's process joins its cgroups itself before it execs the sandbox (the wrapper writes `$$` to
 * each `cgroup.procs`), so no process of the run ever starts outside them.
 */
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export type CgroupSupport =
  | { readonly ok: true; readonly version: 1 | 2; readonly roots: readonly string[] }
  | { readonly ok: false; readonly reason: string };

export interface RunCgroup {
  /** The `cgroup.procs` files the run's first process writes its pid to. */
  readonly procsFiles: readonly string[];
  /** Whether the memory limit was reached and whether a fork was refused, during the run. */
  usage(): Promise<{ readonly memoryLimitHit: boolean; readonly processLimitHit: boolean }>;
  /** Kills every process left in the cgroups, waits until they are empty, removes them. */
  destroy(): Promise<void>;
}

const GROUP = 'astra-sandbox';

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The value of `key` in a flat-keyed cgroup file (`max 3`, `oom_kill 1`). */
function keyed(text: string | undefined, key: string): number {
  const line = text?.split('\n').find((entry) => entry.startsWith(`${key} `));
  return line === undefined ? 0 : Number(line.slice(key.length + 1));
}

async function writable(dir: string): Promise<boolean> {
  try {
    await mkdir(dir, { recursive: true });
    return true;
  } catch {
    return false;
  }
}

export async function detectCgroups(mount = '/sys/fs/cgroup'): Promise<CgroupSupport> {
  const mounts = (await readText('/proc/self/mounts')) ?? '';
  const unified = mounts
    .split('\n')
    .map((line) => line.split(' '))
    .find((fields) => fields[2] === 'cgroup2' && fields[1]?.startsWith(mount))?.[1];
  if (unified !== undefined) {
    const controllers = ((await readText(path.join(unified, 'cgroup.controllers'))) ?? '').split(/\s+/);
    if (controllers.includes('memory') && controllers.includes('pids')) {
      const root = path.join(unified, GROUP);
      if (await writable(root)) {
        try {
          await writeFile(path.join(root, 'cgroup.subtree_control'), '+memory +pids');
          return { ok: true, version: 2, roots: [root] };
        } catch {
          // Controllers cannot be delegated here; try v1.
        }
      }
    }
  }
  const roots = [path.join(mount, 'memory', GROUP), path.join(mount, 'pids', GROUP)];
  const v1 =
    mounts.includes(' cgroup ') && mounts.split('\n').some((line) => line.includes(`${mount}/memory `));
  if (v1 && (await writable(roots[0] as string)) && (await writable(roots[1] as string)))
    return { ok: true, version: 1, roots };
  return {
    ok: false,
    reason:
      'no writable cgroup with memory and pids controllers (cgroup v2 delegation or cgroup v1 as root): memory is an address-space rlimit and the process count is RLIMIT_NPROC',
  };
}

async function killAll(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const pids = ((await readText(path.join(dir, 'cgroup.procs'))) ?? '').split('\n').filter(Boolean);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function createRunCgroup(
  support: Extract<CgroupSupport, { ok: true }>,
  name: string,
  limits: { readonly memoryBytes: number; readonly processes: number },
): Promise<RunCgroup> {
  const dirs = support.roots.map((root) => path.join(root, name));
  for (const dir of dirs) await mkdir(dir);
  const [memoryDir, pidsDir] = support.version === 2 ? [dirs[0], dirs[0]] : [dirs[0], dirs[1]];
  const memory = memoryDir as string;
  const pids = pidsDir as string;
  if (support.version === 2) {
    await writeFile(path.join(memory, 'memory.max'), String(limits.memoryBytes));
    await writeFile(path.join(memory, 'memory.swap.max'), '0').catch(() => undefined);
  } else {
    await writeFile(path.join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    await writeFile(path.join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(
      () => undefined,
    );
  }
  await writeFile(path.join(pids, 'pids.max'), String(limits.processes));
  return {
    procsFiles: dirs.map((dir) => path.join(dir, 'cgroup.procs')),
    async usage() {
      const processLimitHit = keyed(await readText(path.join(pids, 'pids.events')), 'max') > 0;
      if (support.version === 2) {
        const events = await readText(path.join(memory, 'memory.events'));
        return { memoryLimitHit: keyed(events, 'max') > 0 || keyed(events, 'oom_kill') > 0, processLimitHit };
      }
      const failures = Number((await readText(path.join(memory, 'memory.failcnt'))) ?? '0');
      const oom = keyed(await readText(path.join(memory, 'memory.oom_control')), 'oom_kill');
      return { memoryLimitHit: failures > 0 || oom > 0, processLimitHit };
    },
    async destroy() {
      if (support.version === 2)
        await writeFile(path.join(memory, 'cgroup.kill'), '1').catch(() => undefined);
      for (const dir of dirs) await killAll(dir);
      for (const dir of dirs) {
        for (let attempt = 0; attempt < 100; attempt++) {
          try {
            await rmdir(dir);
            break;
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        }
      }
    },
  };
}
