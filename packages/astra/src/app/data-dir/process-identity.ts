import { readFile } from 'node:fs/promises';

/**
 * A process as a lock file records it: its pid and, where /proc exists (Linux), its start time in
 * clock ticks since boot (field 22 of /proc/<pid>/stat). The start time tells a reused pid from the
 * process that wrote the record: after a container restart the new Astra often gets the same pid
 * as the one that crashed, and on a busy host a dead holder's pid may belong to anything.
 */
export interface ProcessIdentity {
  readonly pid: number;
  readonly startTicks: string | null;
}

interface ProcStat {
  readonly state: string;
  readonly startTicks: string;
}

async function procStat(pid: number): Promise<ProcStat | null> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: fields 3.. follow the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19];
  return state === undefined || startTicks === undefined ? null : { state, startTicks };
}

export async function currentProcess(): Promise<ProcessIdentity> {
  return { pid: process.pid, startTicks: (await procStat(process.pid))?.startTicks ?? null };
}

/** Whether the recorded process still runs: the same pid started at the same time, and not a zombie. */
export async function isRunning(holder: ProcessIdentity): Promise<boolean> {
  const stat = await procStat(holder.pid);
  if (stat !== null)
    return (
      stat.state !== 'Z' &&
      stat.state !== 'X' &&
      (holder.startTicks === null || stat.startTicks === holder.startTicks)
    );
  if ((await procStat(process.pid)) !== null) return false;
  // No /proc (macOS, BSD): signal 0 checks existence only; EPERM means it runs under another user.
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
