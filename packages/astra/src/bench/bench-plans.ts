// The plans of Astra's benchmark shapes (the noop work the peers do too), shared by the in-process
// shapes (astra-shapes.ts) and the scale-out run over separate processes (scale-out.ts).
import type { ShapeSizes } from './peers/common.js';

/** A plan's task limit: the independent drain is split into goals of at most this many tasks. */
const PLAN_LIMIT = 10_000;

export type BenchPlan = object[];

/** `count` noop tasks without dependencies, ids `<prefix><i>`. */
export function noopTasks(count: number, prefix = 't'): BenchPlan {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i}`, type: 'noop' }));
}

/** The independent drain: `independentJobs` noop tasks in goals of at most PLAN_LIMIT (4 goals per limit). */
export function independentGoals(sizes: ShapeSizes): BenchPlan[] {
  const goalCount = Math.max(1, Math.ceil(sizes.independentJobs / PLAN_LIMIT) * 4);
  const perGoal = Math.ceil(sizes.independentJobs / goalCount);
  return Array.from({ length: goalCount }, () => noopTasks(perGoal));
}

/** One goal of `steps` noop tasks, each depending on the previous. */
export function chainPlan(steps: number): BenchPlan {
  return Array.from({ length: steps }, (_, i) => ({
    id: `s${i}`,
    type: 'noop',
    ...(i === 0 ? {} : { depends_on: [`s${i - 1}`] }),
  }));
}

/** 1 → width → 1: a root, `width` children of it, and a join depending on every child. */
export function fanPlan(width: number): BenchPlan {
  const middle = Array.from({ length: width }, (_, i) => ({
    id: `m${i}`,
    type: 'noop',
    depends_on: ['root'],
  }));
  return [
    { id: 'root', type: 'noop' },
    ...middle,
    { id: 'join', type: 'noop', depends_on: middle.map((m) => m.id) },
  ];
}
