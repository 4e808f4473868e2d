import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './private-server.js';

/**
 * A throwaway PostgreSQL cluster for tests that kill or restart the database: `initdb` into a temp
 * dir, `pg_ctl start` on a free port (127.0.0.1 only, no Unix socket outside the temp dir), trust
 * authentication, one database. Never touches the machine's shared instance.
 *
 * Binaries: the highest version under /usr/lib/postgresql/<version>/bin (or ASTRA_TEST_PG_BIN).
 * initdb refuses to run as root, so under root the cluster belongs to the `postgres` OS user: the
 * temp dir is chowned to it and initdb / pg_ctl run through `runuser -u postgres --`.
 *
 * fsync is OFF (full_page_writes too): these tests kill processes, not the machine, so everything a
 * killed server wrote is still in the OS page cache and crash recovery on restart sees it;
 * durability against power loss is not what they test, and fsync would only make them slower.
 * synchronous_commit stays ON: with it off a commit is acknowledged before its WAL leaves the
 * server's shared memory, and a SIGKILL would lose acknowledged commits.
 *
 * kill() is a crash: SIGKILL to the postmaster and to every server process it had started (as
 * when the host or its container dies), then it waits until all are gone. restart() starts the
 * same data directory again on the same port, which runs crash recovery. stop() kills and removes
 * the temp dir.
 */
export interface PrivatePostgres {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** `postgres://postgres@127.0.0.1:PORT/DATABASE`. */
  readonly url: string;
  /** The same server's URL with an application_name, so pg_stat_activity tells clients apart. */
  urlFor(applicationName: string): string;
  /** PIDs of the running server processes (postmaster first); empty when down. */
  pids(): number[];
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export type PrivatePostgresAvailability =
  | { readonly available: true; readonly binDir: string; readonly version: string }
  | { readonly available: false; readonly reason: string };

const OS_USER = 'postgres';
const START_TIMEOUT_S = 60;

function run(file: string, args: readonly string[], options: { asPostgres: boolean }): Promise<string> {
  const [command, argv] =
    options.asPostgres && isRoot() ? ['runuser', ['-u', OS_USER, '--', file, ...args]] : [file, [...args]];
  return new Promise((resolve, reject) => {
    execFile(
      command,
      argv,
      { encoding: 'utf8', timeout: START_TIMEOUT_S * 1000 },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function postgresOsUser(): { uid: number; gid: number } | null {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith(`${OS_USER}:`));
    const fields = line?.split(':');
    if (fields?.[2] === undefined || fields[3] === undefined) return null;
    return { uid: Number(fields[2]), gid: Number(fields[3]) };
  } catch {
    return null;
  }
}

function findBinDir(): { binDir: string; version: string } | string {
  const override = process.env.ASTRA_TEST_PG_BIN;
  if (override !== undefined && override !== '') {
    return existsSync(path.join(override, 'initdb'))
      ? { binDir: override, version: path.basename(path.dirname(override)) }
      : `ASTRA_TEST_PG_BIN=${override} has no initdb`;
  }
  const root = '/usr/lib/postgresql';
  let versions: string[];
  try {
    versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')));
  } catch {
    return `no PostgreSQL server binaries (${root} does not exist)`;
  }
  const highest = versions.sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))[0];
  if (highest === undefined) return `no PostgreSQL server binaries under ${root}/<version>/bin`;
  return { binDir: path.join(root, highest, 'bin'), version: highest };
}

/**
 * Whether this machine can run a private cluster. Missing binaries mean the suite skips with the
 * reason, except under ASTRA_TEST_REQUIRE_SERVICES=1 (CI), where this throws: a mandatory run
 * must fail rather than silently skip the crash tests.
 */
export async function privatePostgresAvailable(): Promise<PrivatePostgresAvailability> {
  const found = findBinDir();
  let result: PrivatePostgresAvailability;
  if (typeof found === 'string') result = { available: false, reason: found };
  else if (isRoot() && postgresOsUser() === null)
    result = { available: false, reason: `running as root and there is no "${OS_USER}" OS user for initdb` };
  else {
    try {
      await run(path.join(found.binDir, 'initdb'), ['--version'], { asPostgres: true });
      result = { available: true, ...found };
    } catch (error) {
      result = { available: false, reason: (error as Error).message.split('\n')[0] ?? 'initdb failed' };
    }
  }
  if (!result.available && process.env.ASTRA_TEST_REQUIRE_SERVICES === '1')
    throw new Error(
      `a private PostgreSQL cluster is required (ASTRA_TEST_REQUIRE_SERVICES=1) but unavailable: ${result.reason}`,
    );
  return result;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Children of a process, from /proc (Linux). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...; comm may hold spaces or parentheses, so parse after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`private postgres: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function startPrivatePostgres(
  options: { database?: string; maxConnections?: number } = {},
): Promise<PrivatePostgres> {
  const availability = await privatePostgresAvailable();
  if (!availability.available) throw new Error(`private postgres unavailable: ${availability.reason}`);
  const bin = (name: string): string => path.join(availability.binDir, name);
  const database = options.database ?? 'astra';
  const dir = mkdtempSync(path.join(tmpdir(), 'astra-pg-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const owner = isRoot() ? postgresOsUser() : null;
  if (owner !== null) chownSync(dir, owner.uid, owner.gid);
  const superuser = isRoot() ? OS_USER : userInfo().username;
  const port = await freePort();
  const host = '127.0.0.1';

  const postmasterPid = (): number | null => {
    try {
      const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
    } catch {
      return null;
    }
  };
  const pids = (): number[] => {
    const pid = postmasterPid();
    return pid === null ? [] : [pid, ...childrenOf(pid)];
  };
  const start = async (): Promise<void> => {
    const serverOptions = [
      `-p ${port}`,
      `-c listen_addresses=${host}`,
      `-c unix_socket_directories=${dir}`,
      '-c fsync=off',
      '-c full_page_writes=off',
      `-c max_connections=${options.maxConnections ?? 200}`,
      '-c shared_buffers=32MB',
      '-c log_min_messages=warning',
    ].join(' ');
    await run(
      bin('pg_ctl'),
      ['-D', dataDir, '-l', logFile, '-w', '-t', String(START_TIMEOUT_S), '-o', serverOptions, 'start'],
      {
        asPostgres: true,
      },
    );
  };
  const kill = async (): Promise<void> => {
    const victims = pids();
    for (const pid of victims) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    // Backends the postmaster started after we listed them exit on their own once it is dead.
    await waitFor('the killed server processes to exit', () => victims.every((pid) => !alive(pid)), 10_000);
    await waitFor(
      'the server port to close',
      async () => (await connectable(host, port, superuser)) === false,
      10_000,
    );
  };

  try {
    mkdirSync(dataDir);
    if (owner !== null) chownSync(dataDir, owner.uid, owner.gid);
    await run(
      bin('initdb'),
      ['-D', dataDir, '-U', superuser, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
      { asPostgres: true },
    );
    await start();
    const admin = new pg.Client({ host, port, user: superuser, database: 'postgres' });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
    } finally {
      await admin.end();
    }
  } catch (error) {
    await kill().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const url = `postgres://${superuser}@${host}:${port}/${database}`;
  return {
    host,
    port,
    database,
    url,
    urlFor: (applicationName) => `${url}?application_name=${encodeURIComponent(applicationName)}`,
    pids,
    kill,
    restart: async () => {
      await kill();
      await start();
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function connectable(host: string, port: number, user: string): Promise<boolean> {
  const client = new pg.Client({ host, port, user, database: 'postgres', connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
