/**
 * The one way a statement that logs several kinds of events appends them: a single INSERT whose
 * rows are sorted by step, so the identity ids (the order every reader and the live feed use)
 * follow causality within the statement — a task's transition before the children it readied,
 * those before the graph's end, the graph's end before the goal's. Separate INSERT CTEs in one
 * statement run in an order Postgres leaves unspecified (in practice the last CTE first), which
 * logged a goal's end before its last task's completion.
 *
 * Each select yields the columns (kind, agent_id, goal_id, graph_id, task_id, body) in that
 * order, typed (cast parameters and NULLs: `$3::uuid`, `NULL::uuid`); `now` is the timestamp
 * parameter (e.g. `$4`). Returns a CTE named `name`.
 */
export function orderedEventsCte(name: string, now: string, selects: readonly string[]): string {
  const steps = selects.map((select, i) => `SELECT ${i + 1} AS step, s.* FROM (${select}) s`);
  return `${name} AS (
  INSERT INTO events (event_type, actor_id, goal_id, graph_id, task_id, payload, created_at)
  SELECT kind, agent_id, goal_id, graph_id, task_id, body, ${now}
  FROM (${steps.join('\n    UNION ALL ')}) ordered
  ORDER BY step
)`;
}
