import { expect } from 'vitest';
import type { ErrorCode } from '../../../src/errors/index.js';
import { AstraError } from '../../../src/errors/index.js';
import type { SqlExecutor, SqlStore } from '../../../src/ports/sql-store.js';

/** What a conformance run needs from an adapter: fresh migrated stores and what they can do. */
export interface SqlStoreFixture {
  readonly store: SqlStore;
  /** Ends the store's server sessions from outside; present where connections can break (Postgres). */
  readonly terminateConnections?: () => Promise<number>;
  /** Closes the store and removes its database. */
  readonly drop: () => Promise<void>;
}

export interface SqlStoreSubject {
  /** A fresh database with every migration applied, used by nobody else. */
  readonly create: () => Promise<SqlStoreFixture>;
  /** Whether two transactions can be open at once (PGlite has one session: they queue). */
  readonly concurrentTransactions: boolean;
  /** Pool size of created stores: the most broken connections a fault can leave behind. */
  readonly maxConnections: number;
}

/** Runs `body` against a fresh fixture and drops it afterwards, pass or fail. */
export async function withFreshStore(
  subject: SqlStoreSubject,
  body: (fixture: SqlStoreFixture) => Promise<void>,
): Promise<void> {
  const fixture = await subject.create();
  try {
    await body(fixture);
  } finally {
    await fixture.drop();
  }
}

/** Awaits `promise`, expecting it to reject with an AstraError of `code`; returns that error. */
export async function expectAstraError(promise: Promise<unknown>, code: ErrorCode): Promise<AstraError> {
  const error: unknown = await promise.then(
    () => new Error(`expected ${code}, but it resolved`),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AstraError);
  const astra = error as AstraError;
  expect(astra.code, astra.message).toBe(code);
  return astra;
}

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export async function countRows(db: SqlExecutor, table: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0]?.n ?? -1;
}

/** Raises SQLSTATE `code` from the server, as a real conflict would. */
export function raiseSql(code: string): string {
  return `DO $$ BEGIN RAISE EXCEPTION 'forced %', '${code}' USING ERRCODE = '${code}'; END $$`;
}

export interface KernelRows {
  readonly agentId: string;
  readonly goalId: string;
  readonly graphId: string;
  readonly taskId: string;
}

/** One agent with a goal, a graph and a task: the parents the kernel tables' rows need. */
export async function seedKernelRows(db: SqlExecutor): Promise<KernelRows> {
  const one = async (text: string, params: unknown[]): Promise<string> => {
    const { rows } = await db.query<{ id: string }>(text, params);
    const id = rows[0]?.id;
    if (id === undefined) throw new Error(`no id from: ${text}`);
    return id;
  };
  const agentId = await one(`INSERT INTO agents (name) VALUES ($1) RETURNING id`, ['seed-agent']);
  const goalId = await one(`INSERT INTO goals (agent_id, goal_text) VALUES ($1, $2) RETURNING id`, [
    agentId,
    'g',
  ]);
  const graphId = await one(`INSERT INTO task_graphs (goal_id, agent_id) VALUES ($1, $2) RETURNING id`, [
    goalId,
    agentId,
  ]);
  const taskId = await one(
    `INSERT INTO tasks (graph_id, goal_id, agent_id, type) VALUES ($1, $2, $3, 'noop') RETURNING id`,
    [graphId, goalId, agentId],
  );
  return { agentId, goalId, graphId, taskId };
}
