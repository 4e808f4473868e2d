import {
  type GoalRecord,
  type JsonValue,
  readGoals,
  readGoalsTasks,
  readGraphsEventEnds,
  type TaskRecord,
} from '../../../kernel/index.js';
import type { SqlExecutor } from '../../../ports/sql-store.js';
import { MEMORY_TASK_DEFAULTS } from './task-defaults.js';

/**
 * What an episode of a goal is made of, read through the kernel's public queries: the goal, its
 * tasks and its events. Events are condensed to `{type, task, at}` (the task by its plan id), and
 * a long history keeps its first and last events with the number left out between them.
 */
export interface EpisodeEvent {
  readonly type: string;
  readonly task?: string;
  readonly at?: string;
  readonly omitted?: number;
}

export interface GoalMaterial {
  readonly goal: GoalRecord;
  readonly tasks: readonly TaskRecord[];
  readonly events: readonly EpisodeEvent[];
}

export async function readGoalMaterial(
  db: SqlExecutor,
  goalId: string,
  maxEvents: number = MEMORY_TASK_DEFAULTS.episodeEvents,
): Promise<GoalMaterial | null> {
  return (await readGoalsMaterial(db, [goalId], maxEvents)).get(goalId) ?? null;
}

/**
 * The material of several goals, by goal id (a goal that does not exist is left out), in a few
 * statements for them all — the goals, their task counts, their tasks, their events' ends — not
 * three per goal: an episode task is given the goals that ended in the last second.
 */
export async function readGoalsMaterial(
  db: SqlExecutor,
  goalIds: readonly string[],
  maxEvents: number = MEMORY_TASK_DEFAULTS.episodeEvents,
): Promise<Map<string, GoalMaterial>> {
  const goals = await readGoals(db, goalIds);
  const tasksOf = await readGoalsTasks(
    db,
    goals.map((g) => g.id),
  );
  // The first quarter and the last three quarters of maxEvents, the rest counted between them; only
  // those are read (a large graph's whole history held the event loop while it was decoded).
  const head = Math.floor(maxEvents / 4);
  const graphIds = goals.flatMap((g) => (g.graphId === null ? [] : [g.graphId]));
  const endsOf = await readGraphsEventEnds(db, graphIds, head, maxEvents - head);
  const materials = new Map<string, GoalMaterial>();
  for (const goal of goals) {
    const tasks = tasksOf.get(goal.id) ?? [];
    const names = new Map(tasks.map((t) => [t.id, t.name]));
    const ends = (goal.graphId === null ? undefined : endsOf.get(goal.graphId)) ?? { events: [], total: 0 };
    const events: EpisodeEvent[] = ends.events.map((e) => {
      const task = e.taskId === null ? undefined : names.get(e.taskId);
      return { type: e.type, ...(task === undefined ? {} : { task }), at: e.createdAt };
    });
    if (ends.total > events.length)
      events.splice(head, 0, { type: 'Omitted', omitted: ends.total - events.length });
    materials.set(goal.id, { goal, tasks, events });
  }
  return materials;
}

const cut = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

const asText = (value: JsonValue | null): string =>
  value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);

/** Milliseconds from the goal's creation to its end; null while it has not ended. */
export const durationMs = (goal: GoalRecord): number | null =>
  goal.completedAt === null ? null : Math.max(0, Date.parse(goal.completedAt) - Date.parse(goal.createdAt));

/**
 * The summary written when no model is configured (or the call may not be made): one sentence of
 * the goal's outcome and counts, then the failed tasks with their errors. Deterministic: the same
 * goal gives the same text.
 */
export function plainGoalSummary(material: GoalMaterial): string {
  const { goal, tasks } = material;
  const by = (statuses: readonly string[]) => tasks.filter((t) => statuses.includes(t.status));
  const failed = by(['failed', 'dead_letter']);
  const duration = durationMs(goal);
  const parts = [
    `Goal "${cut(goal.goalText, 200)}" ${goal.status}`,
    duration === null ? '' : ` after ${(duration / 1000).toFixed(1)} s`,
    `: ${tasks.length} task${tasks.length === 1 ? '' : 's'}, ${by(['completed']).length} completed`,
    failed.length > 0 ? `, ${failed.length} failed` : '',
    by(['cancelled']).length > 0 ? `, ${by(['cancelled']).length} cancelled` : '',
    '.',
  ];
  const errors = failed
    .slice(0, 5)
    .map((t) => ` ${t.name} (${t.type}) failed: ${cut(t.error ?? 'no error recorded', 200)}.`);
  // The goal's own error says more only when no task's does (a dependency or an approval failed it).
  const goalError = goal.error === null || failed.length > 0 ? '' : ` ${cut(goal.error, 200)}.`;
  return `${parts.join('')}${errors.join('')}${goalError}`;
}

/**
 * The goal as the summarizing model reads it: its text, outcome and each task with its result or
 * error, cut at maxChars. Lines are built only until the cut is reached: a 10,000-task goal's
 * lines all built (each result serialized) held the event loop for nothing.
 */
export function goalMaterialText(material: GoalMaterial, maxChars: number): string {
  const { goal, tasks } = material;
  const lines = [
    `Goal: ${goal.goalText}`,
    `Outcome: ${goal.status}${goal.error === null ? '' : ` (${goal.error})`}`,
    'Tasks:',
  ];
  let length = lines.reduce((sum, line) => sum + line.length + 1, 0);
  for (const t of tasks) {
    if (length - 1 > maxChars) break; // the lines so far, joined, are already longer than the cut
    const detail =
      t.status === 'completed' ? `result ${cut(asText(t.result), 600)}` : `error ${cut(t.error ?? '', 600)}`;
    const line = `- ${t.name} (${t.type}) ${t.status}: ${detail}`;
    lines.push(line);
    length += line.length + 1;
  }
  return cut(lines.join('\n'), maxChars);
}
