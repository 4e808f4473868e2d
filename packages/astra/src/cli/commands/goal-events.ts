import type { AstraClient, StreamedEvent } from '@astra/sdk';
import type { CliContext } from './context.js';

/**
 * `astra events`: one JSON line per event. With --goal, the goal's stored history comes first —
 * the stream replays the log from its start (`Last-Event-ID: 0`, read by goal from the events
 * table) and continues live, each event once, in id order — and the command ends at the event
 * that ended the goal, so an ended goal prints its history and exits. The goal is read first, so
 * an unknown one is a 404 rather than a wait for events that never come. Without --goal the
 * stream is live only (from now, or after --after).
 */
export interface EventsInput {
  readonly goalId?: string;
  readonly agentId?: string;
  readonly afterId?: number;
}

const ENDED = new Set(['completed', 'failed', 'cancelled']);

/** A goal's own event that moved it to an end: GoalCompleted/Failed/Cancelled, or created failed. */
function endsGoal(event: StreamedEvent, goalId: string): boolean {
  if (event.goal_id !== goalId || event.task_id !== null || !event.type.startsWith('Goal')) return false;
  const to = (event.payload as { to?: unknown } | null)?.to;
  return typeof to === 'string' && ENDED.has(to);
}

export async function printEvents(
  context: CliContext,
  client: AstraClient,
  input: EventsInput,
): Promise<void> {
  const goalId = input.goalId === undefined ? undefined : (await client.getGoal(input.goalId)).id;
  const afterId = input.afterId ?? (goalId === undefined ? undefined : 0);
  const events = client.events({
    ...(goalId === undefined ? {} : { goalId }),
    ...(input.agentId === undefined ? {} : { agentId: input.agentId }),
    ...(afterId === undefined ? {} : { afterId }),
  });
  for await (const event of events) {
    context.output.out(JSON.stringify(event));
    if (goalId !== undefined && endsGoal(event, goalId)) return;
  }
}
