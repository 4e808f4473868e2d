// CPU time from Linux's /proc, for benchmarks that must show what bounds them: a process's user +
// system time (any process on this machine, Postgres backends included), and the whole machine's
// busy time. Linux reports both in clock ticks of USER_HZ, which is 100 on every supported build.
import { readFileSync } from 'node:fs';

const MS_PER_TICK = 10;

/** User + system CPU ms a process has used so far; undefined once it has gone (or off Linux). */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, inside parentheses): state is field 3,
    // utime 14 and stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return undefined;
  }
}

/** The machine's CPU ms so far, summed over its cores: busy (not idle, not waiting on I/O) and all. */
export function machineCpuMs(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = ticks.reduce((sum, t) => sum + t, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busy: (total - idle) * MS_PER_TICK, total: total * MS_PER_TICK };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** CPU ms of each pid since `before` (its value then; a pid absent then counts from 0). */
export function cpuSince(before: ReadonlyMap<number, number>, pids: Iterable<number>): Map<number, number> {
  const used = new Map<number, number>();
  for (const pid of pids) {
    const now = processCpuMs(pid);
    if (now !== undefined) used.set(pid, now - (before.get(pid) ?? 0));
  }
  return used;
}

/** The current CPU ms of each pid still running. */
export function cpuOf(pids: Iterable<number>): Map<number, number> {
  return cpuSince(new Map(), pids);
}
