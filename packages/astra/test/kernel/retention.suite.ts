import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, expect, it } from 'vitest';
import { fileExporter } from '../../src/kernel/retention/file-archive.js';
import type { PartitionRange } from '../../src/kernel/retention/partition-plan.js';
import { type RetentionOptions, runRetentionRound } from '../../src/kernel/retention/retention.js';
import { readPartitions } from '../../src/kernel/retention/sql/partitions.js';
import { replayGraph } from '../../src/kernel/tasks/replay.js';
import {
  goalTaskIds,
  readGoal,
  readGoalTasks,
  readGraphEvents,
  readGraphTasks,
  readTask,
} from '../../src/kernel/tasks/sql/read.js';
import { goalProgress } from '../../src/services/reads/read-model.js';
import { ManualClock } from '../../src/time/clock.js';
import { type KernelBackend, type KernelHarness, openKernel } from './harness.js';

/**
 * The retention maintenance (kernel/retention/, docs/retention.md) on both backends, by an injected
 * clock: partitions created ahead, a finished goal's tasks moved to task_history with every read
 * unchanged, rows of the default partition moved into the range partition created for them, and
 * past retention the goal, its tasks and its events gone (reads find nothing), archived to a file
 * first when asked.
 */
const MINUTE = 60_000;
/** Scaled to minute partitions as the default (a minute) is to days. */
const SETTLE_MS = 10_000;
const SHORT: RetentionOptions = {
  partitionMs: MINUTE,
  partitionsAhead: 2,
  archiveAfterMs: 0,
  retentionMs: 0,
  settleMs: SETTLE_MS,
};

/**
 * The maintenance's clock for tests whose rows are written at the real time: a round never
 * attaches a range that starts less than settleMs ahead, so the first round runs as if a settle
 * period ago, and its partitions cover the present.
 */
function presentClock(): ManualClock {
  return new ManualClock(Date.now() - SETTLE_MS - 1000);
}

/** A round a minute, as the loop runs them, over `minutes`; the reports merged. */
async function roundsFor(
  h: KernelHarness,
  clock: ManualClock,
  minutes: number,
  options: RetentionOptions,
): Promise<{ created: string[]; retired: string[]; files: string[]; deletedGoals: number }> {
  const merged = { created: [] as string[], retired: [] as string[], files: [] as string[], deletedGoals: 0 };
  for (let i = 0; i < minutes; i++) {
    await clock.advance(MINUTE);
    const round = await runRetentionRound({ store: h.store, clock }, options);
    merged.created.push(...round.created);
    merged.retired.push(...round.retired);
    merged.files.push(...round.files);
    merged.deletedGoals += round.deletedGoals;
  }
  return merged;
}

const DIAMOND = {
  tasks: [
    { id: 'a', type: 'echo', payload: { n: 1 } },
    { id: 'b', type: 'noop', depends_on: ['a'] },
    { id: 'c', type: 'noop', depends_on: ['a'] },
    { id: 'd', type: 'echo', payload: { n: 4 }, depends_on: ['b', 'c'] },
  ],
};

async function partitionOf(h: KernelHarness, table: 'events' | 'task_history', where: string, id: string) {
  const { rows } = await h.store.query<{ p: string }>(
    `SELECT DISTINCT tableoid::regclass::text AS p FROM ${table} WHERE ${where} = $1`,
    [id],
  );
  return rows.map((row) => row.p);
}

/** Until another session waits for a lock on `table` (Postgres; there is no event for it). */
async function waitForLockWaiter(h: KernelHarness, table: string): Promise<void> {
  for (;;) {
    const { rows } = await h.store.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks WHERE relation = $1::regclass AND NOT granted
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [table],
    );
    if ((rows[0]?.n ?? 0) > 0) return;
  }
}

export function describeRetention(backend: KernelBackend): void {
  let h: KernelHarness;
  let dir: string | undefined;
  afterEach(async () => {
    await h?.dispose();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function runGoal(): Promise<{ goalId: string; graphId: string }> {
    const agentId = await h.createAgent();
    const submitted = await h.kernel.engine.submitGoal({ agentId, goalText: 'diamond', plan: DIAMOND });
    const goal = await h.waitForGoal(submitted.goalId);
    expect(goal.status).toBe('completed');
    return { goalId: submitted.goalId, graphId: submitted.graphId as string };
  }

  it('creates partitions ahead by the injected clock; new events land in them, not in the default', async () => {
    h = await openKernel(backend);
    // At the start of a minute, so the first partition (starting settleMs past now) lies in the
    // current minute whatever second the test runs at: three partitions per parent, not two.
    const clock = new ManualClock(Math.floor(presentClock().now() / MINUTE) * MINUTE);
    const first = await runRetentionRound({ store: h.store, clock }, SHORT);
    expect(first.created.length).toBeGreaterThanOrEqual(6);
    for (const parent of ['events', 'task_history'] as const) {
      const ranges = (await readPartitions(h.store)).filter((p) => p.parent === parent);
      const edge = Math.max(...ranges.map((p) => p.toMs));
      expect(edge).toBeGreaterThanOrEqual(clock.now() + 2 * MINUTE);
    }
    // Nothing is due: a second round creates nothing.
    expect((await runRetentionRound({ store: h.store, clock }, SHORT)).created).toEqual([]);
    await h.startExecutor();
    const { graphId } = await runGoal();
    const partitions = await partitionOf(h, 'events', 'graph_id', graphId);
    expect(partitions.every((p) => p.startsWith('events_p'))).toBe(true);
    // Three minutes on, the partitions move forward with the clock; the gap the first round left
    // below its start (the template database was migrated earlier) is filled: no gap remains.
    const later = await roundsFor(h, clock, 3, SHORT);
    expect(later.created.filter((name) => !first.created.includes(name)).length).toBe(8);
    for (const parent of ['events', 'task_history'] as const) {
      const ranges = (await readPartitions(h.store)).filter((p) => p.parent === parent);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]?.fromMs).toBe(ranges[i - 1]?.toMs);
    }
  });

  it("moves an ended goal's tasks to task_history; every read by id, graph and goal is unchanged", async () => {
    h = await openKernel(backend);
    const clock = presentClock();
    await runRetentionRound({ store: h.store, clock }, { ...SHORT, archiveAfterMs: 10 * MINUTE });
    await h.startExecutor();
    const { goalId, graphId } = await runGoal();
    const before = {
      graph: await readGraphTasks(h.store, graphId),
      goal: await readGoalTasks(h.store, goalId),
      ids: (await goalTaskIds(h.store, goalId)).sort(),
      progress: await goalProgress(h.store, goalId),
    };
    const one = before.graph.find((task) => task.name === 'd');
    // Not yet: the goal ended less than archiveAfterMs ago.
    const early = await runRetentionRound(
      { store: h.store, clock },
      { ...SHORT, archiveAfterMs: 10 * MINUTE },
    );
    expect(early.archivedTasks).toBe(0);
    await clock.advance(11 * MINUTE);
    const round = await runRetentionRound(
      { store: h.store, clock },
      { ...SHORT, archiveAfterMs: 10 * MINUTE },
    );
    expect(round).toMatchObject({ archivedGoals: 1, archivedTasks: 4 });
    const { rows } = await h.store.query('SELECT id FROM tasks WHERE goal_id = $1', [goalId]);
    expect(rows).toEqual([]);
    expect(await readGraphTasks(h.store, graphId)).toEqual(before.graph);
    expect(await readGoalTasks(h.store, goalId)).toEqual(before.goal);
    expect((await goalTaskIds(h.store, goalId)).sort()).toEqual(before.ids);
    expect(await goalProgress(h.store, goalId)).toEqual(before.progress);
    expect(await readTask(h.store, one?.id as string)).toEqual(one);
    expect(one?.dependsOn).toHaveLength(2);
    // The goal's updated_at is not touched by the move; its log still rebuilds the graph.
    expect((await readGoal(h.store, goalId))?.status).toBe('completed');
    const replayed = replayGraph(await readGraphEvents(h.store, graphId));
    for (const task of before.graph)
      expect(replayed.tasks.get(task.id)).toMatchObject({ status: task.status });
    // Archived once: the next round moves nothing.
    expect((await runRetentionRound({ store: h.store, clock }, SHORT)).archivedGoals).toBe(0);
  });

  it('past retention deletes the goal and retires its partitions: reads find nothing', async () => {
    h = await openKernel(backend);
    const clock = presentClock();
    const options = { ...SHORT, retentionMs: 5 * MINUTE };
    await runRetentionRound({ store: h.store, clock }, options);
    await h.startExecutor();
    const { goalId, graphId } = await runGoal();
    const taskId = (await goalTaskIds(h.store, goalId))[0] as string;
    const partitions = await partitionOf(h, 'events', 'graph_id', graphId);
    await clock.advance(MINUTE);
    expect((await runRetentionRound({ store: h.store, clock }, options)).archivedGoals).toBe(1);
    expect(await readTask(h.store, taskId)).not.toBeNull();
    const round = await roundsFor(h, clock, 8, options);
    expect(round.deletedGoals).toBe(1);
    expect(round.retired).toEqual(expect.arrayContaining(partitions));
    expect(round.retired.some((name) => name.startsWith('task_history_'))).toBe(true);
    expect(await readGoal(h.store, goalId)).toBeNull();
    expect(await readTask(h.store, taskId)).toBeNull();
    expect(await readGraphTasks(h.store, graphId)).toEqual([]);
    expect(await readGraphEvents(h.store, graphId)).toEqual([]);
    const names = (await readPartitions(h.store)).map((p) => p.name);
    for (const name of round.retired) expect(names).not.toContain(name);
    const { rows } = await h.store.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_class WHERE relname = ANY($1::text[])`,
      [round.retired],
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('moves rows the default partition holds into the range partition created for them', async () => {
    h = await openKernel(backend);
    const clock = new ManualClock(Date.now());
    await runRetentionRound({ store: h.store, clock }, SHORT);
    const future = new Date(clock.now() + 30 * MINUTE);
    const { rows } = await h.store.query<{ id: string }>(
      `INSERT INTO events (event_type, payload, created_at) VALUES ('Probe', '{}', $1) RETURNING id::text`,
      [future],
    );
    const id = rows[0]?.id as string;
    expect(await partitionOf(h, 'events', 'id', id)).toEqual(['events_default']);
    await clock.advance(29 * MINUTE);
    const round = await runRetentionRound({ store: h.store, clock }, SHORT);
    expect(round.movedFromDefault).toBe(1);
    const [partition] = await partitionOf(h, 'events', 'id', id);
    expect(partition).toMatch(/^events_p/);
    // Still append-only outside the maintenance's move.
    await expect(h.store.query(`DELETE FROM events WHERE id = $1`, [id])).rejects.toThrow(/append-only/);
  });

  it('a maintenance that fell behind attaches no range an insert can still be routed to; no insert fails, no row is lost', async () => {
    h = await openKernel(backend);
    const clock = new ManualClock(Date.now());
    await runRetentionRound({ store: h.store, clock }, SHORT);
    // The maintenance stops for ten minutes: "now" passes every partition made ahead.
    await clock.advance(10 * MINUTE);
    const probe = (at: number) =>
      h.store.query(`INSERT INTO events (event_type, payload, created_at) VALUES ('Probe', '{}', $1)`, [
        new Date(at),
      ]);
    await probe(clock.now());
    // While each new partition is being attached, an insert at "now" is routed to the default (as
    // long as no partition attached before covers now) and waits for its lock: on Postgres it is
    // started there and waited for until it is seen waiting. PGlite has one session, so no insert
    // can run beside the attach: there each is started once the round is over.
    const inserts: Promise<unknown>[] = [];
    const afterRound: number[] = [];
    const attached: PartitionRange[] = [];
    const beforeAttach = async (range: PartitionRange): Promise<void> => {
      if (range.parent !== 'events') return;
      const at = clock.now();
      const routedToDefault = !attached.some((p) => (p.fromMs ?? -Infinity) <= at && at < p.toMs);
      attached.push(range);
      if (!routedToDefault) return;
      if (backend === 'embedded') afterRound.push(at);
      else {
        inserts.push(probe(at));
        await waitForLockWaiter(h, 'events_default');
      }
    };
    const behind = await runRetentionRound({ store: h.store, clock, beforeAttach }, SHORT);
    expect(behind.created.length).toBeGreaterThan(0);
    inserts.push(...afterRound.map(probe));
    const outcomes = await Promise.allSettled(inserts);
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    // The default keeps the rows of the range written while behind until nothing can still write to it;
    // then they move into a partition of their own.
    await clock.advance(SETTLE_MS + MINUTE);
    const caughtUp = await runRetentionRound({ store: h.store, clock }, SHORT);
    expect(caughtUp.movedFromDefault).toBe(1 + inserts.length);
    const { rows } = await h.store.query<{ p: string; n: number }>(
      `SELECT tableoid::regclass::text AS p, count(*)::int AS n FROM events WHERE event_type = 'Probe' GROUP BY 1`,
    );
    expect(rows.reduce((n, row) => n + row.n, 0)).toBe(1 + inserts.length);
    expect(rows.every((row) => row.p.startsWith('events_p'))).toBe(true);
  });

  it('archival "file" writes each retired partition as gzipped JSON lines before dropping it', async () => {
    h = await openKernel(backend);
    dir = await mkdtemp(path.join(tmpdir(), 'astra-retention-'));
    const clock = presentClock();
    const options: RetentionOptions = {
      ...SHORT,
      retentionMs: 2 * MINUTE,
      archival: 'file',
      exporter: fileExporter(dir),
    };
    await runRetentionRound({ store: h.store, clock }, options);
    await h.startExecutor();
    const { graphId } = await runGoal();
    const partitions = await partitionOf(h, 'events', 'graph_id', graphId);
    const { rows } = await h.store.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${partitions[0]}`);
    const round = await roundsFor(h, clock, 5, options);
    expect(round.retired).toContain(partitions[0]);
    const file = round.files.find((f) => f.endsWith(`${partitions[0]}.jsonl.gz`)) as string;
    const lines = gunzipSync(await readFile(file))
      .toString('utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(rows[0]?.n as number);
    expect(lines.map((line) => JSON.parse(line).graph_id)).toContain(graphId);
    expect(await readGraphEvents(h.store, graphId)).toEqual([]);
  });

  it('archival "detach" keeps a retired partition as a plain table', async () => {
    h = await openKernel(backend);
    const clock = presentClock();
    const options: RetentionOptions = { ...SHORT, retentionMs: 2 * MINUTE, archival: 'detach' };
    await runRetentionRound({ store: h.store, clock }, options);
    await h.startExecutor();
    const { graphId } = await runGoal();
    const partitions = await partitionOf(h, 'events', 'graph_id', graphId);
    const round = await roundsFor(h, clock, 5, options);
    expect(round.retired).toEqual(expect.arrayContaining(partitions));
    const { rows } = await h.store.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_class c WHERE relname = ANY($1::text[]) AND NOT relispartition`,
      [partitions],
    );
    expect(rows[0]?.n).toBe(partitions.length);
    const kept = await h.store.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${partitions[0]} WHERE graph_id = $1`,
      [graphId],
    );
    expect(kept.rows[0]?.n).toBeGreaterThan(0);
    expect(await readGraphEvents(h.store, graphId)).toEqual([]);
  });
}
