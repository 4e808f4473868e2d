import { AstraError } from '../../errors/index.js';
import type { SqlExecutor } from '../../ports/sql-store.js';
import { type AccessControl, readGoalOwners } from '../access/index.js';
import type { Principal } from '../identity/index.js';

/**
 * `depends_on_goal_ids` may name only goals of the target agent's organization that the caller
 * may see. Any other goal gets exactly the answer a goal that does not exist gets from the engine
 * (400 ASTRA_VALIDATION_FAILED naming it), so a submission reveals neither another organization's
 * goals nor their status — a dependency that failed would make the new goal fail at once.
 */
export async function requireVisibleGoalDependencies(
  deps: { readonly store: SqlExecutor; readonly access: Pick<AccessControl, 'filterAgents'> },
  principal: Principal,
  target: { readonly orgId: string },
  goalIds: readonly string[],
): Promise<void> {
  if (goalIds.length === 0) return;
  const ids = [...new Set(goalIds)];
  const sameOrg = (await readGoalOwners(deps.store, ids)).filter((goal) => goal.orgId === target.orgId);
  const visible = await deps.access.filterAgents(principal, 'agent.view', sameOrg, (goal) => goal.agentId);
  const known = new Set(visible.map((goal) => goal.goalId));
  const hidden = ids.find((id) => !known.has(id.toLowerCase()));
  if (hidden !== undefined) throw unknownGoal(hidden);
}

/** The engine's answer for a dependency on a goal that does not exist (kernel/tasks/engine.ts), word for word. */
const unknownGoal = (goalId: string): AstraError =>
  new AstraError('ASTRA_VALIDATION_FAILED', `depends_on_goal_ids names unknown goal ${goalId}`, {
    details: { field: 'depends_on_goal_ids', goal_id: goalId },
  });
