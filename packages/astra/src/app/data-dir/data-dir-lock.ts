import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { AstraError } from '../../errors/index.js';
import { dataDirError } from './data-dir-errors.js';
import { OWNER_ONLY_DIR_MODE, OWNER_ONLY_FILE_MODE } from './ensure-data-dir.js';
import { currentProcess, isRunning, type ProcessIdentity } from './process-identity.js';

/**
 * One embedded data dir, one process: PGlite is a single-process database, and two Astras on one
 * directory declare each other's workers lost and overwrite each other's pages.
 *
 * The lock is a directory `<dataDir>/lock` of generation files `0`, `1`, `2`… holding a JSON holder
 * record (pid, process start time, host, port). The highest generation decides: its holder owns
 * the data dir while that process runs and has not released it. To take the lock, a process reads
 * the highest generation g; if its holder is gone (or there is none), it creates generation g+1
 * with link(2), which fails when the name exists — so of the processes that saw the same g, exactly
 * one creates g+1, and a holder that crashed is taken over without ever deleting its file (deleting
 * a stale lock and creating a new one is the race every pid file has: two processes both delete,
 * one deletes the other's fresh lock). Records are written to a temporary file first and linked or
 * renamed into place, so no reader ever sees a half-written record.
 *
 * A winner then lists the directory again: a higher generation means another process claimed one
 * from a view it read at the same time, and the lower claim steps back and reads again. Only then
 * are lower generations removed. The highest generation is never removed — release rewrites it as
 * released — so a reader never finds an empty directory while a holder lives.
 *
 * The lock protects processes of one host (liveness is checked by pid); a data dir on a network
 * file system shared by two hosts is not supported.
 */
export interface HolderRecord extends ProcessIdentity {
  readonly hostname: string;
  /** The HTTP port the holder serves, once it listens. */
  readonly port: number | null;
  readonly acquiredAt: string;
  readonly released?: true;
}

export interface DataDirLock {
  readonly generation: number;
  /** Records the port the holder serves, so a refused process can name it. */
  announce(info: { port: number }): Promise<void>;
  /** Marks the lock released; the next process takes the following generation. */
  release(): Promise<void>;
}

export interface DataDirLockOptions {
  /** Test hook: runs after the highest generation was judged free, before claiming the next. */
  readonly beforeClaim?: (generation: number) => Promise<void>;
}

const LOCK_DIR = 'lock';
const GENERATION = /^\d+$/;
/** Rounds of read-and-claim before giving up; each lost round means another process moved on. */
const MAX_ROUNDS = 20;

export async function acquireDataDirLock(
  dataDir: string,
  options: DataDirLockOptions = {},
): Promise<DataDirLock> {
  const dir = path.join(dataDir, LOCK_DIR);
  try {
    await mkdir(dir, { recursive: true, mode: OWNER_ONLY_DIR_MODE });
    return await acquire(dataDir, dir, options);
  } catch (error) {
    throw dataDirError(dataDir, error);
  }
}

async function acquire(dataDir: string, dir: string, options: DataDirLockOptions): Promise<DataDirLock> {
  const self = await currentProcess();
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    const highest = await highestGeneration(dir);
    if (highest !== null) {
      const record = await readRecord(dir, highest);
      if (record === 'missing') continue;
      if (record !== 'unreadable' && (await holds(record, self))) throw lockedError(dataDir, record);
    }
    const generation = (highest ?? -1) + 1;
    await options.beforeClaim?.(generation);
    const record: HolderRecord = {
      ...self,
      hostname: hostname(),
      port: null,
      acquiredAt: new Date().toISOString(),
    };
    if (!(await writeRecord(dir, generation, record, 'create'))) continue;
    if (((await highestGeneration(dir)) ?? generation) > generation) {
      await unlink(path.join(dir, String(generation))).catch(() => undefined);
      continue;
    }
    await removeBelow(dir, generation);
    return heldLock(dir, generation, record);
  }
  throw new AstraError(
    'ASTRA_DATA_DIR_LOCKED',
    `the data dir ${dataDir} is being claimed by other processes at the same time; try again`,
    { details: { dataDir } },
  );
}

function heldLock(dir: string, generation: number, initial: HolderRecord): DataDirLock {
  let record = initial;
  return {
    generation,
    announce: async ({ port }) => {
      record = { ...record, port };
      await writeRecord(dir, generation, record, 'replace');
    },
    release: async () => {
      record = { ...record, released: true };
      await writeRecord(dir, generation, record, 'replace');
    },
  };
}

async function holds(record: HolderRecord, self: ProcessIdentity): Promise<boolean> {
  if (record.released === true) return false;
  if (record.pid === self.pid && record.startTicks === self.startTicks) return true;
  return isRunning(record);
}

function lockedError(dataDir: string, holder: HolderRecord): AstraError {
  const where = [
    `pid ${holder.pid}`,
    holder.port === null ? 'not listening yet' : `port ${holder.port}`,
    ...(holder.hostname === hostname() ? [] : [`host ${holder.hostname}`]),
  ].join(', ');
  return new AstraError(
    'ASTRA_DATA_DIR_LOCKED',
    `the data dir ${dataDir} is in use by another Astra process (${where}); stop that process, or give this one another --data-dir`,
    { details: { dataDir, pid: holder.pid, port: holder.port, hostname: holder.hostname } },
  );
}

async function highestGeneration(dir: string): Promise<number | null> {
  const generations = (await readdir(dir)).filter((name) => GENERATION.test(name)).map(Number);
  return generations.length === 0 ? null : Math.max(...generations);
}

async function readRecord(dir: string, generation: number): Promise<HolderRecord | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path.join(dir, String(generation)), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<HolderRecord>;
    return typeof parsed.pid === 'number' ? (parsed as HolderRecord) : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/**
 * Writes a record through a temporary file: `create` links it to the generation's name and returns
 * false when that name exists; `replace` renames it over the name (atomic for readers).
 */
async function writeRecord(
  dir: string,
  generation: number,
  record: HolderRecord,
  how: 'create' | 'replace',
): Promise<boolean> {
  const temporary = path.join(dir, `tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  await writeFile(temporary, `${JSON.stringify(record)}\n`, { mode: OWNER_ONLY_FILE_MODE, flag: 'wx' });
  const target = path.join(dir, String(generation));
  if (how === 'replace') {
    await rename(temporary, target);
    return true;
  }
  try {
    await link(temporary, target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/** Removes generations below the held one and temporary files of processes that are gone. */
async function removeBelow(dir: string, generation: number): Promise<void> {
  for (const name of await readdir(dir)) {
    const stale = GENERATION.test(name) ? Number(name) < generation : await temporaryOfDeadProcess(name);
    if (stale) await unlink(path.join(dir, name)).catch(() => undefined);
  }
}

async function temporaryOfDeadProcess(name: string): Promise<boolean> {
  const pid = /^tmp-(\d+)-/.exec(name)?.[1];
  return pid !== undefined && !(await isRunning({ pid: Number(pid), startTicks: null }));
}
