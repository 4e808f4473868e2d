/**
 * The command line of one bubblewrap run, outermost first:
 *
 *   /bin/sh -c JOIN procs… --      joins the run's cgroups ($$ into each cgroup.procs), then execs
 *   prlimit --nproc --fsize --cpu --core=0 --nofile [--as] --   rlimits for everything below
 *   setpriv --reuid U --regid U --clear-groups --no-new-privs --   (only when Astra runs as root:
 *                                  each concurrent run gets its own unprivileged host uid)
 *   bwrap …                        new user, pid, ipc, uts, net and cgroup namespaces; uid 65534
 *                                  inside; no capabilities; /usr (and its /bin, /lib… links)
 *                                  read-only; fresh /proc, /dev; sized tmpfs /tmp; the scratch
 *                                  bind (and the run's workspace copy at /workspace, when given)
 *                                  the only writable places; files as read-only data; the
 *                                  egress socket; the given environment only
 *   argv                           the program
 *
 * Every element is passed as its own argument: nothing is interpolated into a shell string (the
 * wrapper script is a constant and reads its arguments as "$@").
 */
import { lstat, readlink } from 'node:fs/promises';
import {
  SANDBOX_EGRESS_SOCKET,
  SANDBOX_FILES_DIR,
  SANDBOX_SCRATCH_DIR,
  SANDBOX_WORKSPACE_DIR,
  type SandboxLimits,
} from '../../../ports/sandbox.js';

/** Joins each cgroup given before `--`, then execs the rest. Exit 125: a cgroup could not be joined. */
const JOIN_CGROUPS =
  'unset PWD OLDPWD; while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';
/** The uid and gid the program has inside its user namespace. */
export const SANDBOX_UID = 65534;
/** First file descriptor of the run's files (0–2 are stdio, 3 is bwrap's status). */
export const FIRST_FILE_FD = 4;
export const STATUS_FD = 3;

/** How the host's top-level system directories look: links into /usr are recreated, others bound. */
export type HostLayout = readonly { readonly path: string; readonly link?: string }[];

export async function readHostLayout(): Promise<HostLayout> {
  const layout: { path: string; link?: string }[] = [];
  for (const dir of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    try {
      const info = await lstat(dir);
      if (info.isSymbolicLink()) layout.push({ path: dir, link: await readlink(dir) });
      else if (info.isDirectory()) layout.push({ path: dir });
    } catch {
      // Absent on this host.
    }
  }
  return layout;
}

export interface CommandInput {
  readonly tools: {
    readonly sh: string;
    readonly prlimit: string;
    readonly setpriv: string;
    readonly bwrap: string;
  };
  readonly layout: HostLayout;
  /** Read-only extras beside /usr that programs need to start (Debian's alternatives links, CA certs). */
  readonly extraReadOnly: readonly string[];
  readonly limits: SandboxLimits;
  /** RLIMIT_NPROC: processes of the run's uid, the sandbox's own two bwrap processes included. */
  readonly nproc: number;
  readonly maxFileBytes: number;
  /** Bound RLIMIT_AS to the memory limit (only without a memory cgroup). */
  readonly addressSpace: boolean;
  readonly cgroupProcs: readonly string[];
  /** The host uid to run as (root only); undefined keeps the caller's. */
  readonly hostUid: number | undefined;
  readonly scratch: string;
  /** The run's workspace copy, bound at /workspace (read-only unless writable) and made the working directory. */
  readonly workspace?: { readonly dir: string; readonly writable: boolean } | undefined;
  readonly files: readonly string[];
  readonly egressSocket: string | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly argv: readonly string[];
}

function parents(file: string): string[] {
  const dirs: string[] = [];
  let at = file.slice(0, file.lastIndexOf('/'));
  while (at.length > SANDBOX_FILES_DIR.length) {
    dirs.unshift(at);
    at = at.slice(0, at.lastIndexOf('/'));
  }
  return dirs;
}

function bwrapArguments(input: CommandInput): string[] {
  const args = [
    '--unshare-user',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-net',
    '--unshare-cgroup',
    '--uid',
    String(SANDBOX_UID),
    '--gid',
    String(SANDBOX_UID),
    '--hostname',
    'sandbox',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--json-status-fd',
    String(STATUS_FD),
    '--ro-bind',
    '/usr',
    '/usr',
  ];
  for (const entry of input.layout) {
    if (entry.link !== undefined) args.push('--symlink', entry.link, entry.path);
    else args.push('--ro-bind', entry.path, entry.path);
  }
  for (const extra of input.extraReadOnly) args.push('--ro-bind-try', extra, extra);
  args.push('--proc', '/proc', '--dev', '/dev');
  args.push('--size', String(input.limits.memoryBytes), '--perms', '1777', '--tmpfs', '/tmp');
  args.push('--bind', input.scratch, SANDBOX_SCRATCH_DIR);
  if (input.workspace !== undefined)
    args.push(input.workspace.writable ? '--bind' : '--ro-bind', input.workspace.dir, SANDBOX_WORKSPACE_DIR);
  args.push('--dir', SANDBOX_FILES_DIR);
  const made = new Set<string>();
  input.files.forEach((relative, index) => {
    const target = `${SANDBOX_FILES_DIR}/${relative}`;
    for (const dir of parents(target)) {
      if (!made.has(dir)) args.push('--dir', dir);
      made.add(dir);
    }
    args.push('--perms', '0444', '--ro-bind-data', String(FIRST_FILE_FD + index), target);
  });
  if (input.egressSocket !== undefined) args.push('--bind', input.egressSocket, SANDBOX_EGRESS_SOCKET);
  args.push('--remount-ro', '/');
  args.push('--clearenv');
  for (const [name, value] of Object.entries(input.env)) args.push('--setenv', name, value);
  args.push('--chdir', input.workspace === undefined ? SANDBOX_SCRATCH_DIR : SANDBOX_WORKSPACE_DIR);
  args.push('--', ...input.argv);
  return args;
}

/** The executable and arguments to spawn for one run. */
export function buildCommand(input: CommandInput): {
  readonly file: string;
  readonly args: readonly string[];
} {
  const cpuSeconds = Math.ceil(input.limits.cpuTimeMs / 1000);
  const limits = [
    `--nproc=${input.nproc}`,
    `--fsize=${input.maxFileBytes}`,
    `--cpu=${cpuSeconds}:${cpuSeconds + 1}`,
    '--core=0',
    '--nofile=1024',
  ];
  if (input.addressSpace) limits.push(`--as=${input.limits.memoryBytes}`);
  const drop =
    input.hostUid === undefined
      ? []
      : [
          input.tools.setpriv,
          `--reuid=${input.hostUid}`,
          `--regid=${input.hostUid}`,
          '--clear-groups',
          '--no-new-privs',
          '--',
        ];
  const inner = [input.tools.prlimit, ...limits, '--', ...drop, input.tools.bwrap, ...bwrapArguments(input)];
  if (input.cgroupProcs.length === 0) return { file: inner[0] as string, args: inner.slice(1) };
  return {
    file: input.tools.sh,
    args: ['-c', JOIN_CGROUPS, 'astra-sandbox', ...input.cgroupProcs, '--', ...inner],
  };
}
