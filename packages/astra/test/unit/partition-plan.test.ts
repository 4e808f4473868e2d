import { describe, expect, it } from 'vitest';
import {
  type PartitionRange,
  partitionName,
  partitionsToCreate,
  partitionsToRetire,
  settledGaps,
} from '../../src/kernel/retention/partition-plan.js';

const DAY = 86_400_000;
const T = Date.UTC(2026, 11, 2, 15, 30); // 2026-12-02 15:30 UTC
const MINUTE = 60_000;
const options = { partitionMs: DAY, partitionsAhead: 2, retentionMs: 0, settleMs: MINUTE };

describe('partition plan (kernel/retention/partition-plan.ts)', () => {
  it('with an empty registry, starts settleMs past now and ends partitionsAhead past the day of now', () => {
    const created = partitionsToCreate('events', [], T, options);
    expect(created.map((p) => p.name)).toEqual([
      'events_p20261202t153100',
      'events_p20261203t000000',
      'events_p20261204t000000',
    ]);
    expect(created[0]).toMatchObject({ fromMs: T + MINUTE, toMs: Date.UTC(2026, 11, 3) });
  });

  it('continues from the highest bound of its own parent: an unaligned edge first fills up to the next day', () => {
    const edge = Date.UTC(2026, 11, 2, 16, 45, 7);
    const existing: PartitionRange[] = [
      { name: 'events_before', parent: 'events', fromMs: null, toMs: edge },
      { name: 'task_history_p20261210t000000', parent: 'task_history', fromMs: 0, toMs: T + 10 * DAY },
    ];
    const created = partitionsToCreate('events', existing, T, options);
    expect(created[0]).toEqual({
      name: 'events_p20261202t164507',
      parent: 'events',
      fromMs: edge,
      toMs: Date.UTC(2026, 11, 3),
    });
    expect(created.at(-1)?.toMs).toBe(Date.UTC(2026, 11, 5));
    expect(partitionsToCreate('task_history', existing, T, options)).toEqual([]);
  });

  it('never starts a partition less than settleMs past now: an edge too close is treated as behind', () => {
    const edge = T + 30_000;
    const existing: PartitionRange[] = [
      { name: 'events_before', parent: 'events', fromMs: null, toMs: edge },
    ];
    const created = partitionsToCreate('events', existing, T, options);
    expect(created[0]?.fromMs).toBe(T + MINUTE);
  });

  it('a maintenance that fell behind leaves a gap from the old edge; it is filled once settleMs past its end', () => {
    const edge = Date.UTC(2026, 10, 20);
    const old: PartitionRange = {
      name: 'events_p20261119t000000',
      parent: 'events',
      fromMs: edge - DAY,
      toMs: edge,
    };
    const created = partitionsToCreate('events', [old], T, options);
    expect(created[0]).toMatchObject({ fromMs: T + MINUTE, toMs: Date.UTC(2026, 11, 3) });
    expect(created).toHaveLength(3);
    const existing = [old, ...created];
    expect(settledGaps('events', existing, T, options)).toEqual([]);
    expect(settledGaps('events', existing, T + 2 * MINUTE - 1, options)).toEqual([]);
    expect(settledGaps('events', existing, T + 2 * MINUTE, options)).toEqual([
      { name: 'events_p20261120t000000', parent: 'events', fromMs: edge, toMs: T + MINUTE },
    ]);
    expect(settledGaps('task_history', existing, T + 2 * MINUTE, options)).toEqual([]);
    // Filled, the registry is contiguous again and nothing more is due.
    const filled = [...existing, ...settledGaps('events', existing, T + 2 * MINUTE, options)];
    expect(settledGaps('events', filled, T + DAY, options)).toEqual([]);
    expect(partitionsToCreate('events', filled, T + 2 * MINUTE, options)).toEqual([]);
  });

  it('a start settleMs past now is rounded up to a whole second', () => {
    const created = partitionsToCreate('events', [], T + 1, options);
    expect(created[0]?.fromMs).toBe(T + MINUTE + 1000);
  });

  it('creates nothing once partitionsAhead partitions lie past now', () => {
    const existing = partitionsToCreate('events', [], T, options);
    expect(partitionsToCreate('events', existing, T + 1000, options)).toEqual([]);
  });

  it('retires the partitions wholly older than the horizon, none when retention is 0', () => {
    const existing: PartitionRange[] = [
      { name: 'events_before', parent: 'events', fromMs: null, toMs: T - 8 * DAY },
      { name: 'a', parent: 'events', fromMs: T - 8 * DAY, toMs: T - 7 * DAY },
      { name: 'b', parent: 'events', fromMs: T - 7 * DAY, toMs: T - 6 * DAY },
    ];
    expect(partitionsToRetire(existing, T, options)).toEqual([]);
    const retired = partitionsToRetire(existing, T, { ...options, retentionMs: 7 * DAY });
    expect(retired.map((p) => p.name)).toEqual(['events_before', 'a']);
  });

  it('keeps the partition just below a gap (and all above it) until the gap is filled', () => {
    const existing: PartitionRange[] = [
      { name: 'a', parent: 'events', fromMs: T - 8 * DAY, toMs: T - 7 * DAY },
      { name: 'b', parent: 'events', fromMs: T - 7 * DAY, toMs: T - 6 * DAY },
      { name: 'c', parent: 'events', fromMs: T - 5 * DAY, toMs: T - 4 * DAY },
      { name: 'h', parent: 'task_history', fromMs: T - 8 * DAY, toMs: T - 7 * DAY },
    ];
    const retired = partitionsToRetire(existing, T, { retentionMs: DAY });
    expect(retired.map((p) => p.name)).toEqual(['a', 'h']);
  });

  it('names a partition by its parent and UTC start', () => {
    expect(partitionName('task_history', Date.UTC(2026, 0, 5, 1, 2, 3))).toBe(
      'task_history_p20260105t010203',
    );
  });
});
