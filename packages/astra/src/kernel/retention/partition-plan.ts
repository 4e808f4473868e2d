/**
 * Which partitions a maintenance round creates and which it retires, computed from the registry
 * (`retention_partitions`) and the injected clock alone, so it is tested without a database.
 *
 * Partitions of one parent never overlap: new ones are created forward from the highest upper
 * bound, each ending on a multiple of `partitionMs` since the epoch (UTC days by default), until
 * `partitionsAhead` partitions lie past now. When the registry's edge is behind the partition
 * holding now (the maintenance was stopped), one partition covers the whole gap; the rows written
 * meanwhile sat in the default partition, and creating the partition moves them into it.
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
}

/** The partitions to create for one parent, oldest first. */
export function partitionsToCreate(
  parent: PartitionedTable,
  existing: readonly PartitionRange[],
  nowMs: number,
  options: PlanOptions,
): PartitionRange[] {
  const width = options.partitionMs;
  const current = Math.floor(nowMs / width) * width;
  const until = current + (options.partitionsAhead + 1) * width;
  const edge = Math.max(...existing.filter((p) => p.parent === parent).map((p) => p.toMs), -Infinity);
  const created: PartitionRange[] = [];
  let cursor = edge;
  if (edge === -Infinity) cursor = current;
  else if (edge < current) {
    created.push({ name: partitionName(parent, edge), parent, fromMs: edge, toMs: current });
    cursor = current;
  }
  while (cursor < until) {
    const end = (Math.floor(cursor / width) + 1) * width;
    created.push({ name: partitionName(parent, cursor), parent, fromMs: cursor, toMs: end });
    cursor = end;
  }
  return created;
}

/** The partitions whose every row is older than the retention horizon. */
export function partitionsToRetire(
  existing: readonly PartitionRange[],
  nowMs: number,
  options: PlanOptions,
): PartitionRange[] {
  if (options.retentionMs <= 0) return [];
  const horizon = nowMs - options.retentionMs;
  return existing.filter((p) => p.toMs <= horizon);
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
