/**
 * A status test the planner cannot answer from tasks_status_idx, so a statement that names its rows
 * by id finds them through the primary key. Left indexable, the cached (generic) plan can scan the
 * status instead — every running task and, until vacuum, the dead versions of those that ran, or
 * every created or queued task — and the statement then costs in proportion to those (measured:
 * docs/benchmark.md, "The completion statement").
 */
export const notIndexed = (test: string): string => `(${test}) IS TRUE`;
