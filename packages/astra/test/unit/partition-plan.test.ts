import { describe, expect, it } from 'vitest';
import {
  type PartitionRange,
  partitionName,
  partitionsToCreate,
  partitionsToRetire,
} from '../../src/kernel/retention/partition-plan.js';

const DAY = 86_400_000;
const T = Date.UTC(2026, 11, 2, 15, 30); // 2026-12-02 15:30 UTC
const options = { partitionMs: DAY, partitionsAhead: 2, retentionMs: 0 };

describe('partition plan (kernel/retention/partition-plan.ts)', () => {
  it('starts at the partition holding now and ends partitionsAhead past it, on UTC days', () => {
    const created = partitionsToCreate('events', [], T, options);
    expect(created.map((p) => p.name)).toEqual([
      'events_p20261202t000000',
      'events_p20261203t000000',
      'events_p20261204t000000',
    ]);
    expect(created[0]).toMatchObject({ fromMs: Date.UTC(2026, 11, 2), toMs: Date.UTC(2026, 11, 3) });
  });

  it('continues from the highest bound of its own parent: an unaligned edge first fills up to the next day', () => {
    const edge = Date.UTC(2026, 11, 2, 9, 15, 7);
    const existing: PartitionRange[] = [
      { name: 'events_before', parent: 'events', fromMs: null, toMs: edge },
      { name: 'task_history_p20261210t000000', parent: 'task_history', fromMs: 0, toMs: T + 10 * DAY },
    ];
    const created = partitionsToCreate('events', existing, T, options);
    expect(created[0]).toEqual({
      name: 'events_p20261202t091507',
      parent: 'events',
      fromMs: edge,
      toMs: Date.UTC(2026, 11, 3),
    });
    expect(created.at(-1)?.toMs).toBe(Date.UTC(2026, 11, 5));
    expect(partitionsToCreate('task_history', existing, T, options)).toEqual([]);
  });

  it('covers a gap left by a stopped maintenance with one partition', () => {
    const edge = Date.UTC(2026, 10, 20);
    const created = partitionsToCreate(
      'events',
      [{ name: 'events_p20261119t000000', parent: 'events', fromMs: edge - DAY, toMs: edge }],
      T,
      options,
    );
    expect(created[0]).toMatchObject({ fromMs: edge, toMs: Date.UTC(2026, 11, 2) });
    expect(created).toHaveLength(4);
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

  it('names a partition by its parent and UTC start', () => {
    expect(partitionName('task_history', Date.UTC(2026, 0, 5, 1, 2, 3))).toBe(
      'task_history_p20260105t010203',
    );
  });
});
