import type { Approval, AstraClient, Goal } from '@astra/sdk';
import { AstraError } from '../../errors/index.js';
import type { CliContext } from './context.js';

/**
 * `--follow` and `astra goal follow`: a progress line whenever the goal's state changes, until it
 * ends. A goal whose plan waits for approval shows `waiting_approval` with the approval id (it has
 * no tasks yet, so counts alone would read "0/0"); tasks held for approval are listed with theirs,
 * so the line says what to approve (`astra approvals approve <id>`).
 */
const ENDED = new Set(['completed', 'failed', 'cancelled']);

/** Task statuses shown after the counts, in the order a task passes through them. */
const SHOWN = [
  'created',
  'pending',
  'waiting_approval',
  'queued',
  'scheduled',
  'running',
  'failed',
  'dead_letter',
  'cancelled',
];

function countsOf(goal: Goal): string {
  const p = goal.progress;
  const total = p.total ?? 0;
  const done = (p.completed ?? 0) + (p.failed ?? 0) + (p.dead_letter ?? 0) + (p.cancelled ?? 0);
  const parts = SHOWN.filter((status) => (p[status] ?? 0) > 0).map((status) => `${status} ${p[status]}`);
  return `${p.completed ?? 0}/${total} completed, ${done}/${total} ended${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

/** What the goal waits for, when it waits for people or other goals; '' otherwise. */
function waitingFor(goal: Goal, approvals: readonly Approval[]): string {
  if (goal.status === 'blocked') return '; waiting for the goals it depends on';
  if (approvals.length === 0)
    return goal.status === 'pending_approval'
      ? '; waiting_approval (the plan; no pending request found)'
      : '';
  const listed = approvals.map((a) =>
    a.request_type === 'plan' ? `plan approval ${a.id}` : `task ${a.task_id} approval ${a.id}`,
  );
  return `; waiting_approval: ${listed.join(', ')} (astra approvals approve <id>)`;
}

export function describeProgress(goal: Goal, approvals: readonly Approval[] = []): string {
  const state = goal.status === 'pending_approval' ? 'waiting_approval' : goal.status;
  const counts = goal.status === 'pending_approval' ? 'the plan waits for approval' : countsOf(goal);
  return `goal ${state}: ${counts}${waitingFor(goal, approvals)}`;
}

const waitsForApproval = (goal: Goal): boolean =>
  goal.status === 'pending_approval' || (goal.progress.waiting_approval ?? 0) > 0;

async function pendingApprovalsOf(client: AstraClient, goal: Goal): Promise<Approval[]> {
  const { approvals } = await client.listPendingApprovals({ agent_id: goal.agent_id });
  return approvals.filter((approval) => approval.goal_id === goal.id);
}

/** Prints a progress line whenever the goal's state changes, until it ends; returns its final state. */
export async function followGoal(
  context: CliContext,
  client: AstraClient,
  goalId: string,
  intervalMs = 250,
): Promise<Goal> {
  let lastState = '';
  let lastLine = '';
  for (;;) {
    const goal = await client.getGoal(goalId);
    // Approvals are read again only when the goal's state moved, not on every poll.
    const state = `${goal.status} ${JSON.stringify(goal.progress)}`;
    if (state !== lastState) {
      const approvals = waitsForApproval(goal) ? await pendingApprovalsOf(client, goal) : [];
      const line = describeProgress(goal, approvals);
      if (line !== lastLine) context.output.out(`astra: ${line}`);
      lastLine = line;
    }
    lastState = state;
    if (ENDED.has(goal.status)) return goal;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Follows the goal to its end; a goal that did not complete is an error (exit code 1). */
export async function finishGoal(context: CliContext, client: AstraClient, goalId: string): Promise<void> {
  const goal = await followGoal(context, client, goalId);
  context.output.out(`astra: goal ${goal.id} ${goal.status}${goal.error === null ? '' : `: ${goal.error}`}`);
  if (goal.status !== 'completed')
    throw new AstraError('ASTRA_STATE_CONFLICT', `goal ended ${goal.status}`, {
      details: { status: goal.status },
    });
}
