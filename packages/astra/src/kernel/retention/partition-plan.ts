/**
 * Which partitions a maintenance round creates and which it retires, computed from the registry
 * (`retention_partitions`) and the injected clock alone, so it is tested without a database.
 *
 * Partitions of one parent never overlap: new ones are created forward from the highest upper
 * bound, each ending on a multiple of `partitionMs` since the epoch (UTC days by default), until
 * `partitionsAhead` partitions lie past now.
 *
 * No range is ever attached while an insert can still be routed to it through the default
 * partition: such an insert, routed before the attach and waiting for the default's lock, fails
 * the default's new partition constraint once it gets the lock. So when the registry's edge is
 * less than `settleMs` ahead of now (the maintenance fell behind; rows for now sit in the default),
 * the next partition starts `settleMs` past now instead, and the range between is left as a gap
 * in the registry. Its rows stay in the default until the gap's end is `settleMs` in the past;
 * then one partition fills the gap and takes them over.
 */
export const PARTITIONED_TABLES = ['events', 'task_history'] as const;
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number];

export interface PartitionRange {
  readonly name: string;
  readonly parent: PartitionedTable;
  /** null: MINVALUE. */
  readonly fromMs: number | null;
  readonly toMs: number;
}

export interface PlanOptions {
  readonly partitionMs: number;
  readonly partitionsAhead: number;
  /** 0: nothing retires. */
  readonly retentionMs: number;
  /** How far past now a range must start to be attached, and how long after its end a gap waits. */
  readonly settleMs: number;
}

/** The partitions to create ahead of now for one parent, oldest first. */
export function partitionsToCreate(
  parent: PartitionedTable,
  existing: readonly PartitionRange[],
  nowMs: number,
  options: PlanOptions,
): PartitionRange[] {
  const width = options.partitionMs;
  const current = Math.floor(nowMs / width) * width;
  let until = current + (options.partitionsAhead + 1) * width;
  const edge = Math.max(...rangesOf(parent, existing).map((p) => p.toMs), -Infinity);
  // Whole seconds: bounds are read back as milliseconds and names carry seconds.
  const safe = Math.ceil((nowMs + options.settleMs) / 1000) * 1000;
  let cursor = edge;
  if (edge < safe) {
    cursor = safe;
    until = Math.max(until, safe + 1); // at least one partition, so the gap below it is registered
  }
  const created: PartitionRange[] = [];
  while (cursor < until) {
    const end = (Math.floor(cursor / width) + 1) * width;
    created.push({ name: partitionName(parent, cursor), parent, fromMs: cursor, toMs: end });
    cursor = end;
  }
  return created;
}

/** The gaps of one parent whose end is `settleMs` in the past: each becomes one partition. */
export function settledGaps(
  parent: PartitionedTable,
  existing: readonly PartitionRange[],
  nowMs: number,
  options: PlanOptions,
): PartitionRange[] {
  return gapsOf(parent, existing)
    .filter((gap) => gap.toMs + options.settleMs <= nowMs)
    .map((gap) => ({ ...gap, parent, name: partitionName(parent, gap.fromMs) }));
}

function rangesOf(parent: PartitionedTable, existing: readonly PartitionRange[]): PartitionRange[] {
  return existing.filter((p) => p.parent === parent).sort((a, b) => a.toMs - b.toMs);
}

function gapsOf(
  parent: PartitionedTable,
  existing: readonly PartitionRange[],
): { fromMs: number; toMs: number }[] {
  const ranges = rangesOf(parent, existing);
  const gaps: { fromMs: number; toMs: number }[] = [];
  for (let i = 1; i < ranges.length; i++) {
    const below = ranges[i - 1] as PartitionRange;
    const above = ranges[i] as PartitionRange;
    if (above.fromMs !== null && above.fromMs > below.toMs)
      gaps.push({ fromMs: below.toMs, toMs: above.fromMs });
  }
  return gaps;
}

/**
 * The partitions whose every row is older than the retention horizon. Those at or above a parent's
 * lowest gap wait until it is filled: the partition just below a gap is what locates it.
 */
export function partitionsToRetire(
  existing: readonly PartitionRange[],
  nowMs: number,
  options: Pick<PlanOptions, 'retentionMs'>,
): PartitionRange[] {
  if (options.retentionMs <= 0) return [];
  const horizon = nowMs - options.retentionMs;
  return existing.filter((p) => {
    const gap = gapsOf(p.parent, existing)[0];
    return p.toMs <= horizon && (gap === undefined || p.toMs < gap.fromMs);
  });
}

/** e.g. `events_p20261202t000000`: the parent and the UTC start of the range. */
export function partitionName(parent: PartitionedTable, fromMs: number): string {
  const stamp = new Date(fromMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, '')
    .toLowerCase();
  return `${parent}_p${stamp}`;
}
